"""A running Trac follows edits of its config file; the held-events file stays bounded."""
from __future__ import annotations

import logging

from wyzepal_notifier import Message
from wyzepal_trac.components.held_events import HeldEvents


def test_an_edited_config_is_used_without_a_restart(make_trac, fresh_chat):
    trac = make_trac()
    trac.create_ticket(summary="Before")
    old = trac.notifier.announcer.integration()
    config = trac.env.plugins_dir + "/wyzepal_trac_config.py"
    with open(config, "a") as handle:
        handle.write("STREAM_FOR_NOTIFICATIONS = 'docs'\n")
    trac.create_ticket(summary="After")
    new = trac.notifier.announcer.integration()
    assert new is not old
    # A request still holding the old integration can queue: its worker is retired later, not at once.
    assert old.send(Message.to_stream("release", "late", "queued by the old integration"))
    assert old.outbox.flush(10) and trac.flush()
    placed = sorted((m["display_recipient"], m["subject"]) for m in fresh_chat.messages())
    assert placed == [("docs", "#2: After"), ("release", "late"), ("trac", "#1: Before")]


def test_held_events_are_bounded_and_the_oldest_give_way(tmp_path, caplog):
    held = HeldEvents(tmp_path / "held.sqlite3", limit=3)
    with caplog.at_level(logging.WARNING, logger="wyzepal_notifier.trac"):
        for number in range(5):
            held.hold({"type": "ticket_created", "id": str(number)})
    assert held.count() == 3
    assert "the oldest 1 were dropped" in caplog.text
    released = []
    assert held.release(released.append) == 3
    assert [event["id"] for event in released] == ["2", "3", "4"]
    assert held.count() == 0
