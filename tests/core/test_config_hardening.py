"""A config file cannot take its host down or leak the API key.

Every hostile config of ``tests/hostile_configs.py`` goes through the real
entry point of ``wyzepal-integrations check``, the git and Subversion hooks and
the Hubot bridge (Trac and the Jenkins step: their own test folders). Each
host must survive with its usual status, name the file (and line), and never
print the key.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hostile_configs import CASES, EVENT_CASES, FIRST, HEAD, KEY, host_tool, run_host, write_case
from wyzepal_notifier.config import load_pyfile
from wyzepal_notifier.errors import ConfigError
from wyzepal_notifier.integration import Integration
from wyzepal_notifier.message import Message

#: The exit status each host gives for a config it cannot use (git ignores post-receive's; svn shows it).
EXPECTED_STATUS = {"check": 2, "git": 0, "svn": 1, "hubot": 2, "jenkins": 0}


def assert_contained(host: str, case, result: dict, path: Path) -> None:
    output = result["output"]
    assert result["escaped"] is None, f"{result['escaped']} escaped {host}: {output[-800:]}"
    assert KEY not in output and KEY[:12] not in output, output
    assert "Traceback" not in output, output
    assert str(path) in output, output
    if case.line is not None:
        assert f"line {case.line}" in output, output
    assert case.says in output, output
    assert len(output) < 6000, f"{len(output)} characters of output"


@pytest.fixture(scope="module", params=["check", "git", "svn", "hubot"])
def host_results(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"hostile-{request.param}")
    return request.param, root, run_host(request.param, root)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_hostile_config_is_contained_by_every_host(host_results, case):
    host, root, results = host_results
    result = results[case.name]
    assert_contained(host, case, result, root / case.name / f"wyzepal_{host_tool(host)}_config.py")
    assert result["returned"] == EXPECTED_STATUS[host], result["output"]


def test_load_pyfile_names_file_and_line_of_a_system_exit(tmp_path):
    path = tmp_path / "wyzepal_demo_config.py"
    path.write_text(HEAD + "\n\nimport sys\nsys.exit(4)\n")
    with pytest.raises(ConfigError) as caught:
        load_pyfile(path)
    text = str(caught.value)
    assert str(path) in text and f"line {FIRST + 3}" in text and "SystemExit" in text


def test_a_warning_raised_by_the_config_never_shows_the_key(tmp_path):
    path = tmp_path / "wyzepal_demo_config.py"
    path.write_text(HEAD + "import warnings\nwarnings.warn('the key is ' + WYZEPAL_API_KEY)\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_pyfile(path)
    shown = " ".join(str(w.message) for w in caught)
    assert "the key is" in shown and KEY not in shown


class _Collect:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    def put(self, message: Message) -> None:
        self.messages.append(message)


@pytest.mark.parametrize("case", EVENT_CASES, ids=[c.name for c in EVENT_CASES])
def test_a_condition_that_exits_costs_only_its_configuration(tmp_path, case, caplog):
    """A callable in CONFIGURATIONS that exits or is interrupted must not take the host's event loop down."""
    path = write_case(case, tmp_path, "demo")
    values = load_pyfile(path)
    values["CONFIGURATIONS"] = [*values["CONFIGURATIONS"], {"description": "all"}]
    outbox = _Collect()
    integration = Integration.from_values(values, str(path), env={}, outbox=outbox)
    sent = integration.notify({"type": "ticket"}, lambda conf, event: Message.to_stream(conf.stream, "t", "hello"))
    assert sent == 1 and len(outbox.messages) == 1
    assert KEY not in caplog.text and KEY[:12] not in caplog.text
