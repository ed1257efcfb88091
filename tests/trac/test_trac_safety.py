"""Hostile text stays inert; plugin errors and config problems never reach the Trac user."""
from __future__ import annotations

import pytest
from test_trac_tickets import only_message
from tracrig import StubTrac, write_config


def test_a_summary_or_description_cannot_ping_everyone_or_break_out(make_trac, fresh_chat):
    trac = make_trac()
    trac.create_ticket(summary="@**all** urgent [click](javascript:alert(1))",
                       description="```\n@*everyone* look\n```\n<script>x</script> @_**Ann|7**")
    content = only_message(trac, fresh_chat)["content"]
    assert "@**all**" not in content and "@*everyone*" not in content and "@_**Ann" not in content
    assert "@\u200b\\*\\*all\\*\\* urgent \\[click\\](javascript:alert(1))" in content
    assert "\\<script\\>" in content
    fences = [line for line in content.splitlines() if line.startswith("```")]
    assert fences == ["```quote", "```"]  # the description's own fence cannot close the quote
    assert "\n\\`\\`\\`\n@\u200b\\*everyone\\* look\n" in content


def test_a_failing_plugin_is_logged_and_the_ticket_is_saved(make_trac, fresh_chat, monkeypatch):
    from wyzepal_trac.events import ticket as ticket_events

    def broken(*args):
        raise RuntimeError("a bug in the plugin")

    trac = make_trac()
    monkeypatch.setattr(ticket_events, "created", broken)
    ticket = trac.create_ticket(summary="Still saved")
    from trac.ticket.model import Ticket

    assert Ticket(trac.env, ticket.id)["summary"] == "Still saved"
    assert any("ticket_created failed" in line for line in trac.log("ERROR"))


def test_a_failing_renderer_costs_only_its_message(make_trac, fresh_chat, monkeypatch):
    from wyzepal_trac.render import dispatch

    def broken(conf, event, links):
        raise KeyError("oops")

    trac = make_trac()
    monkeypatch.setitem(dispatch._RENDERERS, "wiki", broken)
    from test_trac_wiki_milestones_changesets import save_page

    save_page(trac, "Guide", "text")
    trac.create_ticket()
    assert trac.flush()
    assert [m["subject"][:2] for m in fresh_chat.messages()] == ["#1"]
    assert any("could not format wiki_page_added" in line for line in trac.log("ERROR"))


def test_a_broken_config_holds_events_and_sends_them_once_fixed(make_trac, fresh_chat):
    trac = make_trac()
    config = trac.env.plugins_dir + "/wyzepal_trac_config.py"
    good = open(config).read()
    with open(config, "w") as handle:
        handle.write(good + "TRAC_NOTIFY_ON = ['tickets'\n")
    trac.create_ticket(summary="During the outage")
    trac.create_ticket(summary="Also during it")
    errors = [line for line in trac.log("ERROR") if "held back" in line]
    assert len(errors) == 1 and "wyzepal_trac_config.py: is not valid Python (line" in errors[0]
    assert trac.notifier.announcer.held.count() == 2
    assert fresh_chat.messages() == []
    with open(config, "w") as handle:
        handle.write(good)
    messages = fresh_chat.wait_for_messages(2, timeout=15)  # no Trac activity needed
    # Two tickets, two topics: delivered side by side, so each once but in no promised order.
    assert sorted(m["subject"] for m in messages) == ["#1: During the outage", "#2: Also during it"]
    assert trac.notifier.announcer.held.count() == 0


def test_a_wrong_value_is_reported_with_file_key_and_fix(make_trac, fresh_chat):
    trac = make_trac(TRAC_NOTIFY_ON=["tickets"])
    trac.create_ticket()
    [error] = [line for line in trac.log("ERROR") if "held back" in line]
    assert "wyzepal_trac_config.py: TRAC_NOTIFY_ON: has the value 'tickets', which is not allowed" in error
    assert "Fix: set TRAC_NOTIFY_ON to a list of 'ticket_created'" in error
    assert "t" * 32 not in "\n".join(trac.log())  # the API key never shows


def test_without_a_config_file_nothing_is_held_and_the_log_says_where_to_put_it(tmp_path, fresh_chat,
                                                                                 notifier_class):
    trac = StubTrac(tmp_path / "env", notifier_class)
    try:
        trac.create_ticket()
        [error] = [line for line in trac.log("ERROR") if "off until a config file exists" in line]
        assert f"{tmp_path}/env/plugins/wyzepal_trac_config.py" in error
        assert f"{tmp_path}/env/conf/wyzepal_trac_config.py" in error
        assert trac.notifier.announcer.held.count() == 0
    finally:
        trac.close()


def test_trac_ini_can_name_the_config_file(tmp_path, fresh_chat, notifier_class):
    config = write_config(tmp_path / "elsewhere" / "wyzepal_trac_config.py", fresh_chat.site,
                          STREAM_FOR_NOTIFICATIONS="docs")
    trac = StubTrac(tmp_path / "env", notifier_class, config=config)
    try:
        trac.create_ticket()
        assert trac.flush()
        assert [m["display_recipient"] for m in fresh_chat.messages()] == ["docs"]
    finally:
        trac.close()


def test_a_missing_base_url_is_warned_about_at_startup(make_trac, fresh_chat):
    trac = make_trac(base_url=None)
    assert trac.env.needs_upgrade() is False
    assert any("[trac] base_url is not set" in line for line in trac.log("WARNING"))
    trac.create_ticket()
    assert "](/ticket/1)" in only_message(trac, fresh_chat)["content"]


@pytest.fixture
def single_file_class(tmp_path):
    """The single-file plugin's component, loaded from the file as Trac's loader does."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "plugins" / "trac" / "wyzepal_trac_plugin.py"
    spec = importlib.util.spec_from_file_location("wyzepal_trac_plugin", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["wyzepal_trac_plugin"] = module
    yield module.WyzePalNotifier
    from trac.core import ComponentMeta

    for component in (module.WyzePalNotifier, module.WyzePalAdminPanel):
        ComponentMeta.deregister(component)
    del sys.modules["wyzepal_trac_plugin"]


def test_with_both_install_ways_enabled_only_one_announces(make_trac, fresh_chat, single_file_class):
    trac = make_trac(extra=(single_file_class,))
    trac.create_ticket()
    only_message(trac, fresh_chat)
    assert any("only" in line and "announces" in line for line in trac.log("WARNING"))
