"""A hostile config never fails the Jenkins build it reports on, nor prints the key into the build log.

The step's real entry point, once per config of ``tests/hostile_configs.py``:
it must return 0 (the build goes on), name the file (and line), hide the key.
"""
from __future__ import annotations

import pytest
from hostile_configs import CASES, KEY, run_host


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-jenkins")
    return root, run_host("jenkins", root)


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
