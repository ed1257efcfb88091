"""The plugin's settings: defaults, validation naming the file and the key, the template file."""
from __future__ import annotations

from pathlib import Path

import pytest
from wyzepal_notifier import ConfigError, integrations
from wyzepal_trac.integration import TracIntegration

BASE = {"WYZEPAL_SITE": "https://chat.example.com", "WYZEPAL_USER": "bot@example.com",
        "WYZEPAL_API_KEY": "k" * 32}
TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "wyzepal_trac_config.py"


def test_defaults_follow_the_issue():
    settings = TracIntegration.from_values(BASE, env={}).settings
    assert settings["STREAM_FOR_NOTIFICATIONS"] == "trac"
    assert list(settings["TRAC_NOTIFY_FIELDS"]) == ["description", "summary", "resolution", "comment", "owner",
                                                    "status", "priority"]
    assert settings["TRAC_TICKET_TOPIC"] == "#{id}: {summary}"


@pytest.mark.parametrize("key, value, problem", [
    ("TRAC_NOTIFY_ON", ["tickets"], "has the value 'tickets', which is not allowed"),
    ("TRAC_NOTIFY_FIELDS", "status", "has the wrong type str"),
    ("TRAC_TICKET_TOPIC", "#{id: {summary}", "is not a valid topic template"),
    ("TRAC_WIKI_TOPIC", "{page.upper}", "has a placeholder that is not a plain name"),
])
def test_a_bad_value_names_the_file_the_key_and_the_fix(key, value, problem):
    with pytest.raises(ConfigError) as error:
        TracIntegration.from_values({**BASE, key: value}, "/etc/trac/wyzepal_trac_config.py", env={})
    text = str(error.value)
    assert text.startswith(f"/etc/trac/wyzepal_trac_config.py: {key}: {problem}")
    assert "Fix: set " + key in text


def test_the_template_loads_and_its_routing_example_is_valid(tmp_path):
    source = TEMPLATE.read_text()
    lines = source.splitlines()
    start, end = lines.index("# CONFIGURATIONS = ["), lines.index("# ]")
    example = "\n".join(line[2:] for line in lines[start:end + 1])
    config = tmp_path / "wyzepal_trac_config.py"
    config.write_text(source + "\n" + example + "\n")
    config.chmod(0o600)
    integration = TracIntegration.load(explicit=config, env={})
    assert [c.stream for c in integration.configurations] == ["trac", "trac", "security", "release", "docs"]


def test_the_integration_is_found_through_its_entry_point_when_installed():
    from importlib import metadata

    names = [ep.name for ep in metadata.entry_points(group="wyzepal.integrations")]
    if "trac" not in names:
        pytest.fail("wyzepal-integrations is not installed here; run the suite with tox -e trac")
    integrations.load_entry_points()
    assert integrations.get("trac") is TracIntegration


# Each switch of TRAC_NOTIFY_ON and the events it stands for.
SWITCHED = [
    ("ticket_created", {"kind": "ticket", "type": "ticket_created"}),
    ("ticket_changed", {"kind": "ticket", "type": "ticket_changed", "changed_fields": ["owner"]}),
    ("ticket_closed", {"kind": "ticket", "type": "ticket_closed", "changed_fields": ["status", "resolution"]}),
    ("ticket_reopened", {"kind": "ticket", "type": "ticket_reopened", "changed_fields": ["status"]}),
    ("ticket_deleted", {"kind": "ticket", "type": "ticket_deleted"}),
    ("ticket_comment_edited", {"kind": "ticket", "type": "ticket_comment_edited"}),
    *[("wiki", {"kind": "wiki", "type": f"wiki_page_{what}"}) for what in ("added", "changed", "deleted", "renamed")],
    ("changesets", {"kind": "changeset", "type": "changeset_added"}),
    ("milestones", {"kind": "milestone", "type": "milestone_created"}),
    ("milestones", {"kind": "milestone", "type": "milestone_completed"}),
    *[("attachments", {"kind": kind, "type": f"{kind}_attachment_{what}"}) for kind in ("ticket", "wiki")
      for what in ("added", "deleted")],
]
#: A batch has no switch of its own: each of its tickets is switched as its own change (test_trac_batch.py).
UNSWITCHED = ["ticket_batch_modified"]


@pytest.mark.parametrize("switch, event", SWITCHED, ids=[event["type"] for _, event in SWITCHED])
def test_each_switch_turns_its_events_off_and_only_them(switch, event):
    from wyzepal_trac.render.switches import wanted
    from wyzepal_trac.settings import NOTIFY_ON_CHOICES

    def conf(switches):
        return TracIntegration.from_values({**BASE, "TRAC_NOTIFY_ON": switches}, env={}).configurations[0]

    assert wanted(conf(list(NOTIFY_ON_CHOICES)), event)
    assert not wanted(conf([name for name in NOTIFY_ON_CHOICES if name != switch]), event)
    assert not wanted(conf([]), event)


def test_the_switch_table_covers_every_event_type_and_switch():
    from wyzepal_trac.events import EVENT_TYPES
    from wyzepal_trac.settings import NOTIFY_ON_CHOICES

    assert sorted(event["type"] for _, event in SWITCHED) + UNSWITCHED == sorted(
        t for types in EVENT_TYPES.values() for t in types if t not in UNSWITCHED) + UNSWITCHED
    assert {switch for switch, _ in SWITCHED} == set(NOTIFY_ON_CHOICES)
