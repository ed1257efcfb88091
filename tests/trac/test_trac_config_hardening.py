"""A hostile config never costs Trac a request or an event, and never puts the key in trac.log.

Trac's own path: the notifier's config search in the environment's plugins
folder, then the announcer, which holds the event while the config is broken
(a folder or a symlink loop in place of the file included: those are broken
configs, not "not set up"). See ``tests/hostile_configs.py``.
"""
from __future__ import annotations

import pytest
from hostile_configs import CASES, EVENT_CASES, KEY, run_host
from tracrig import BOT_KEY


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-trac")
    return root, run_host("trac", root)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_trac_holds_the_event_and_says_what_is_wrong(results, case):
    root, by_case = results
    result = by_case[case.name]
    output = result["output"]
    assert result["escaped"] is None, f"{result['escaped']} escaped the listener: {output[-800:]}"
    assert result["returned"]["held"] == 1, output
    assert KEY not in output and KEY[:12] not in output, output
    assert KEY not in (result["returned"]["problem"] or "")
    assert "Traceback" not in output, output
    assert str(root / case.name / "wyzepal_trac_config.py") in output, output
    if case.line is not None:
        assert f"line {case.line}" in output, output
    assert case.says in output, output


@pytest.mark.parametrize("case", EVENT_CASES, ids=[c.name for c in EVENT_CASES])
def test_a_condition_that_exits_costs_only_its_configuration(make_trac, fresh_chat, case):
    """CONFIGURATIONS callables run per event, inside Trac's request: contained there, the others still told."""
    trac = make_trac(source=case.body.decode() + "CONFIGURATIONS.append({'description': 'all'})\n")
    trac.create_ticket(summary="hello")
    assert trac.flush()
    assert len(fresh_chat.messages()) == 1
    assert BOT_KEY not in "\n".join(trac.log())
