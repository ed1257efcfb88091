"""A hostile config never fails the Jenkins build it reports on, nor prints the key into the build log.

The step's real entry point, once per config of ``tests/hostile_configs.py``:
it must return 0 (the build goes on), name the file (and line), hide the key.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_configs import CASES, KEY, write_case

RUNNER = Path(__file__).resolve().parents[1] / "hostile_configs.py"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-jenkins")
    for case in CASES:
        write_case(case, root / case.name, "jenkins")
    done = subprocess.run([sys.executable, str(RUNNER), "jenkins", str(root), *[c.name for c in CASES]],
                          capture_output=True, text=True, timeout=300, cwd=str(root))
    assert done.returncode == 0, done.stderr[-3000:]
    return root, {item["case"]: item for item in json.loads(done.stdout)}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_build_step_survives_a_hostile_config(results, case):
    root, by_case = results
    result = by_case[case.name]
    output = result["output"]
    assert result["escaped"] is None, f"{result['escaped']} escaped the step: {output[-800:]}"
    assert result["returned"] == 0, output
    assert KEY not in output and KEY[:12] not in output, output
    assert "Traceback" not in output, output
    assert str(root / case.name / "wyzepal_jenkins_config.py") in output, output
    if case.line is not None:
        assert f"line {case.line}" in output, output
    assert case.says in output, output
