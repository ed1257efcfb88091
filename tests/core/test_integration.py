"""One integration, many configurations, a registry."""
from __future__ import annotations

import pytest
from wyzepal_notifier import ConfigError, Integration, IntegrationManager, Message
from wyzepal_notifier.config import Field

BASE = {
    "WYZEPAL_SITE": "https://chat.example.com",
    "WYZEPAL_USER": "bot@example.com",
    "WYZEPAL_API_KEY": "k" * 32,
    "STREAM_FOR_NOTIFICATIONS": "trac",
}


class Recorder:
    """Stands in for the outbox: this test is about routing, not delivery."""

    def __init__(self):
        self.messages = []

    def put(self, message):
        self.messages.append(message)

    def close(self, timeout=None):
        pass


class TrackerIntegration(Integration):
    integration_id = "tracker"
    name = "Tracker"
    description = "a tracker for tests"
    settings_fields = [Field("NOTIFY_FIELDS", list, default=["summary"])]
    default_settings = {"TOPIC": "tickets"}


def make(**values):
    return TrackerIntegration.from_values({**BASE, **values}, "wyzepal_tracker_config.py", env={}, outbox=Recorder())


def render(conf, event):
    return Message.to_stream(conf.stream, conf.topic, f"{event['title']} via {conf.description}")


def test_without_configurations_one_default_configuration_matches_everything():
    integration = make()
    confs = list(integration.get_configs({"component": "ui"}))
    assert [(c.stream, c.topic) for c in confs] == [("trac", "tickets")]


def test_configurations_route_one_event_to_several_channels():
    integration = make(CONFIGURATIONS=[
        {"description": "security", "conditions": {"component": "security"}, "stream": "security"},
        {"description": "release", "conditions": {"milestone": "1.*"},
         "settings": {"STREAM_FOR_NOTIFICATIONS": "release", "TOPIC": "1.0 work"}},
        {"description": "everything"},
        {"description": "off", "enabled": False},
    ])
    event = {"component": "security", "milestone": "1.0", "title": "t"}
    assert [c.description for c in integration.get_configs(event)] == ["security", "release", "everything"]
    assert integration.notify(event, render) == 3
    sent = integration.outbox.messages
    expected = [("security", "tickets"), ("release", "1.0 work"), ("trac", "tickets")]
    assert [(m.stream, m.topic) for m in sent] == expected
    other = {"component": "ui", "milestone": "2.0", "title": "t"}
    assert [c.description for c in integration.get_configs(other)] == ["everything"]


def test_conditions_lists_globs_callables_and_missing_keys():
    integration = make(CONFIGURATIONS=[
        {"description": "deploy failures", "conditions": {"job": "deploy-*", "result": ["FAILURE", "UNSTABLE"]}},
        {"description": "slow", "conditions": {"duration": lambda seconds: seconds > 600}},
    ])
    names = lambda event: [c.description for c in integration.get_configs(event)]  # noqa: E731
    assert names({"job": "deploy-web", "result": "FAILURE", "duration": 10}) == ["deploy failures"]
    assert names({"job": "deploy-web", "result": "SUCCESS", "duration": 900}) == ["slow"]
    assert names({"job": "build", "result": "FAILURE"}) == []


def test_configuration_falls_back_to_file_settings():
    integration = make(NOTIFY_FIELDS=["owner"], CONFIGURATIONS=[{"description": "a", "topic": "own"}])
    conf = next(integration.get_configs({}))
    assert conf["NOTIFY_FIELDS"] == ["owner"] and conf.topic == "own" and conf.stream == "trac"


@pytest.mark.parametrize(("entry", "words"), [
    ({"stream": 5}, "wrong type int"),
    ({"conditions": ["x"]}, "conditions is not a dict"),
    ({"settings": {"NOPE": 1}}, "unknown setting NOPE"),
    ({"destination": "x"}, "unknown keys ['destination']"),
])
def test_bad_configuration_entries_are_clear_errors(entry, words):
    with pytest.raises(ConfigError) as info:
        make(CONFIGURATIONS=[{"description": "ok"}, entry])
    assert "CONFIGURATIONS[1]" in str(info.value) and words in str(info.value)


def test_a_render_error_costs_one_message_not_the_host():
    integration = make(CONFIGURATIONS=[{"description": "a"}, {"description": "b"}])

    def flaky(conf, event):
        if conf.description == "a":
            raise KeyError("boom")
        return render(conf, event)

    assert integration.notify({"title": "t"}, flaky) == 1
    assert len(integration.outbox.messages) == 1


def test_send_never_raises_into_the_host():
    class Broken(Recorder):
        def put(self, message):
            raise OSError("disk full")

    integration = TrackerIntegration.from_values(BASE, env={}, outbox=Broken())
    assert integration.send(Message.to_stream("trac", "t", "x")) is False


def test_manager_registers_and_refuses_a_taken_id():
    manager = IntegrationManager()
    manager.register(TrackerIntegration)
    assert manager.get("tracker") is TrackerIntegration and "tracker" in manager

    class Other(Integration):
        integration_id = "tracker"

    with pytest.raises(ValueError, match="taken"):
        manager.register(Other)
    with pytest.raises(KeyError, match="known: tracker"):
        manager.get("jira")


def test_user_agent_name():
    assert TrackerIntegration.user_agent_name() == "WyzePalTracker"


def test_a_condition_that_raises_costs_only_its_own_configuration(caplog):
    integration = make(CONFIGURATIONS=[
        {"description": "1.x releases", "conditions": {"milestone": lambda m: float(m) >= 1}, "stream": "release"},
        {"description": "everything"},
    ])
    event = {"milestone": "", "title": "no milestone yet"}
    assert [c.description for c in integration.get_configs(event)] == ["everything"]
    assert integration.notify(event, render) == 1
    assert "'1.x releases' failed" in caplog.text
