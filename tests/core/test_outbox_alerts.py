"""Delivery you can watch: dead messages and old backlogs reach ALERTS_TO, or the host's log when chat cannot."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import time

import pytest
from wyzepal_notifier import Credentials, Integration, Message, RetryPolicy
from wyzepal_notifier.errors import ConfigError
from wyzepal_notifier.outbox import Outbox, Spool
from wyzepal_notifier.outbox.alerts import Alerter, AlertTarget

BOT, KEY = "bot@example.com", "x" * 32
FAST = {"backoff": RetryPolicy(base=0.05, cap=0.3), "call_retry": RetryPolicy(budget=0.3, base=0.05, cap=0.1)}


def alerting_outbox(server, path, to="ci > alerts", key=KEY, **alerts):
    return Outbox(path, Credentials(server.site, BOT, key), courier_options=FAST,
                  alerts={"to": AlertTarget.parse(to).to_dict(), "backlog_after": alerts.get("backlog_after", 900)})


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def alerts_in(server, stream="ci"):
    return [m for m in server.messages(stream) if "outbox alert" in m["content"]]


def test_a_dead_message_is_told_in_the_alert_channel_within_seconds_then_not_again_within_the_hour(devserver,
                                                                                                   tmp_path):
    outbox = alerting_outbox(devserver, tmp_path / "o.sqlite3")
    outbox.put(Message.to_stream("removed-channel", "t", "lost without an alert"))
    assert wait_for(lambda: alerts_in(devserver))
    alert = alerts_in(devserver)[0]
    assert alert["subject"] == "alerts" and "removed-channel" in alert["content"] and "outbox retry" in alert["content"]
    outbox.put(Message.to_stream("removed-channel", "t", "a second one"))
    assert outbox.flush(10) is False or True
    time.sleep(0.5)
    outbox.close(2)
    assert len(alerts_in(devserver)) == 1, "the same problem is told at most hourly"
    status = Spool(tmp_path / "o.sqlite3").status()
    assert status.dead == 2 and [a["name"] for a in status.alerts] == ["dead:chat"]


def test_alerts_can_go_to_a_person(devserver, tmp_path):
    person = devserver.add_user("ops@example.com", full_name="Ops", bot=False)
    outbox = alerting_outbox(devserver, tmp_path / "o.sqlite3", to="ops@example.com")
    outbox.put(Message.to_stream("gone", "t", "x"))
    assert wait_for(lambda: any("outbox alert" in m["content"] and m["type"] == "private"
                                for m in devserver.messages()))
    outbox.close(2)
    assert person


def test_a_dead_alert_is_not_alerted_about(devserver, tmp_path, caplog):
    outbox = alerting_outbox(devserver, tmp_path / "o.sqlite3", to="no-such-alerts-channel")
    outbox.put(Message.to_stream("gone", "t", "x"))
    time.sleep(2)
    outbox.close(2)
    status = Spool(tmp_path / "o.sqlite3").status()
    assert status.dead == 2  # the message and the alert about it; no third, no loop
    assert len([a for a in status.alerts if a["name"] == "dead:chat"]) == 1


def test_an_old_backlog_is_told(devserver, tmp_path):
    path = tmp_path / "o.sqlite3"
    spool = Spool(path)
    sender = spool.save_sender(Credentials(devserver.site, BOT, KEY), "T", "1",
                               {"to": AlertTarget.parse("ci > alerts").to_dict(), "backlog_after": 60})
    spool.append(sender, Message.to_stream("general", "stuck", "waiting since long").checked())
    with spool.transaction() as db:  # an hour old and held back by an earlier failure of its own
        db.execute("UPDATE messages SET created = created - 3600, not_before = ?, last_error = 'HTTP 400 odd'",
                   (time.time() + 3600,))
    told = Alerter(spool).check(via_chat=True)
    assert [p.name for p in told] == ["backlog"]
    spool.close()
    outbox = Outbox(path, Credentials(devserver.site, BOT, KEY), courier_options=FAST)
    assert wait_for(lambda: alerts_in(devserver))
    outbox.close(1)
    assert "waiting" in alerts_in(devserver)[0]["content"] and "3600 s" in alerts_in(devserver)[0]["content"]


def test_a_refused_key_cannot_be_told_in_chat_so_the_host_log_says_it(devserver, tmp_path, caplog):
    outbox = alerting_outbox(devserver, tmp_path / "o.sqlite3", key="y" * 32)
    outbox.put(Message.to_stream("general", "t", "with a wrong key"))
    outbox.flush(5)
    time.sleep(0.5)
    with caplog.at_level(logging.ERROR, logger="wyzepal_notifier"):
        outbox.close(2)
    assert alerts_in(devserver) == []
    said = [r.getMessage() for r in caplog.records if "outbox alert" in r.getMessage()]
    assert said and "chat cannot carry this alert" in said[0] and "y" * 32 not in said[0]


def test_a_server_that_is_down_makes_the_backlog_alert_go_to_the_host_log(tmp_path, caplog):
    path = tmp_path / "o.sqlite3"
    down = "http://127.0.0.1:9"  # nothing listens: every delivery fails
    spool = Spool(path)
    sender = spool.save_sender(Credentials(down, BOT, KEY), "T", "1",
                               {"to": AlertTarget.parse("ci").to_dict(), "backlog_after": 60})
    spool.append(sender, Message.to_stream("general", "t", "waiting").checked())
    with spool.transaction() as db:
        db.execute("UPDATE messages SET created = created - 600, last_error = '127.0.0.1 could not be reached'")
        db.execute("UPDATE senders SET failures = 3")
    with caplog.at_level(logging.ERROR):
        told = Alerter(spool).check(via_chat=True, host_log=logging.getLogger("host"))
    assert [p.name for p in told] == ["backlog"]
    assert spool.pending_count() == 1, "no alert message queued to a server that is down"
    assert any("chat cannot carry" in r.getMessage() for r in caplog.records)


def test_alerts_to_is_validated_and_off_when_unset(tmp_path):
    class Tool(Integration):
        integration_id = "tool"

    base = {"WYZEPAL_SITE": "https://chat.example.com", "WYZEPAL_USER": BOT, "WYZEPAL_API_KEY": KEY,
            "STREAM_FOR_NOTIFICATIONS": "ci", "OUTBOX_PATH": str(tmp_path / "o.sqlite3")}
    assert Outbox.for_integration(Tool.from_values(base)).alerts is None
    chosen = Outbox.for_integration(Tool.from_values({**base, "ALERTS_TO": "#ops > outbox"}))
    assert chosen.alerts["to"] == {"stream": "ops", "topic": "outbox", "person": None}
    with pytest.raises(ConfigError, match="ALERTS_TO"):
        AlertTarget.parse(" > topic only")


def test_status_json_has_the_figures_an_operator_graphs(devserver_factory, tmp_path):
    server = devserver_factory(rate_limit=(3, 1.0))
    path = tmp_path / "o.sqlite3"
    outbox = Outbox(path, Credentials(server.site, BOT, KEY),
                    courier_options={**FAST, "call_retry": RetryPolicy(budget=0.0)})
    for i in range(6):
        outbox.put(Message.to_stream("general", f"t{i % 3}", f"m{i}"))
    assert outbox.flush(20)
    outbox.put(Message.to_stream("nowhere", "t", "dead"))
    outbox.flush(5)
    outbox.close(1)
    result = subprocess.run([sys.executable, "-m", "wyzepal_notifier", "outbox", "status", "--json", "--outbox",
                             str(path)], capture_output=True, text=True, timeout=60)
    status = json.loads(result.stdout)
    assert status["delivered_last_hour"] == 6 and status["dead"] == 1 and status["pending"] == 0
    assert status["rate_limited_last_hour"] == sum(r.status == 429 for r in server.requests)
    assert {"oldest_age", "refusals", "alerts", "refused_last_hour"} <= set(status)
