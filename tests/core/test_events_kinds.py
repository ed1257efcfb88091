"""Reactions and message updates through the events client, against the dev server over HTTP."""
from __future__ import annotations

import threading
import time

import pytest
from wyzepal_notifier import Client, RetryPolicy
from wyzepal_notifier.events import EventStream, call_on_each_event
from wyzepal_notifier.events.kinds import MessageUpdate, Reaction

HUMAN = ("alice@example.com", "a" * 32)
FAST = RetryPolicy(base=0.05, cap=0.3)
KINDS = ["message", "reaction", "update_message"]


@pytest.fixture
def server(devserver_factory):
    server = devserver_factory(heartbeat_seconds=0.3)
    server.add_user(HUMAN[0], HUMAN[1], full_name="Alice", bot=False)
    return server


@pytest.fixture
def client(server, devserver_bot):
    with Client(server.site, *devserver_bot, retry=RetryPolicy(budget=5.0, base=0.05, cap=0.2)) as client:
        yield client


@pytest.fixture
def alice(server):
    with Client(server.site, *HUMAN, retry=RetryPolicy(budget=5.0, base=0.05, cap=0.2)) as alice:
        yield alice


def alice_id(server):
    return next(u.user_id for u in server.store.users() if u.email == HUMAN[0])


def post(server, content, topic="deploys"):
    return server.send_message(HUMAN[0], "general", content, topic=topic)


def next_of(events, kind, timeout=10.0):
    """The next event of ``kind`` (the iterator blocks; the events before it are skipped)."""
    deadline = time.monotonic() + timeout
    for event in events:
        if event["type"] == kind:
            return event
        assert time.monotonic() < deadline, f"no {kind} event"
    raise AssertionError("the stream ended")


def test_a_reaction_and_an_edit_reach_an_event_stream_consumer(server, client, alice):
    with EventStream(client, KINDS, backoff=FAST) as stream:
        events = iter(stream)
        message_id = post(server, "deploy 12 started")
        assert next_of(events, "message")["message"]["id"] == message_id

        alice.add_reaction(message_id, "thumbs_up")
        reaction = Reaction.from_event(next_of(events, "reaction"))
        assert (reaction.op, reaction.added, reaction.message_id, reaction.emoji_name) == \
            ("add", True, message_id, "thumbs_up")
        assert reaction.user_id == alice_id(server) and reaction.emoji_code and not reaction.caught_up

        alice.remove_reaction(message_id, "thumbs_up")
        assert not Reaction.from_event(next_of(events, "reaction")).added

        alice.update_message(message_id, content="deploy 12 started (edited)")
        update = MessageUpdate.from_event(next_of(events, "update_message"))
        assert update.message_id == message_id and update.user_id == alice_id(server)
        assert update.content_changed and update.content == "deploy 12 started (edited)"
        assert update.orig_content == "deploy 12 started" and not update.topic_changed


def test_topic_renames_and_resolutions_by_people_are_told_apart(server, client, alice):
    with EventStream(client, KINDS, backoff=FAST) as stream:
        events = iter(stream)
        message_id = post(server, "one")
        next_of(events, "message")

        alice.update_message(message_id, topic="deploys (prod)", propagate_mode="change_all")
        renamed = MessageUpdate.from_event(next_of(events, "update_message"))
        assert renamed.renamed and not renamed.resolved and renamed.user_id == alice_id(server)
        assert (renamed.orig_topic, renamed.topic, renamed.propagate_mode) == ("deploys", "deploys (prod)",
                                                                              "change_all")
        assert message_id in renamed.message_ids and not renamed.content_changed

        alice.update_message(message_id, topic="✔ deploys (prod)", propagate_mode="change_all")
        resolved = MessageUpdate.from_event(next_of(events, "update_message"))
        assert resolved.resolved and not resolved.renamed and not resolved.unresolved

        alice.update_message(message_id, topic="deploys (prod)", propagate_mode="change_all")
        assert MessageUpdate.from_event(next_of(events, "update_message")).unresolved


def test_call_on_each_event_passes_reactions_and_updates_on(server, client, alice):
    seen, stop = [], threading.Event()
    thread = threading.Thread(target=call_on_each_event, args=(client, seen.append, ["reaction", "update_message"]),
                              kwargs={"stop": stop, "backoff": FAST}, daemon=True)
    thread.start()
    server.wait_for_polls(1)
    message_id = post(server, "x")
    alice.add_reaction(message_id, "octopus")
    alice.update_message(message_id, content="y")
    deadline = time.monotonic() + 10
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(5)
    assert [e["type"] for e in seen] == ["reaction", "update_message"]


def test_after_a_lost_queue_the_reactions_of_missed_messages_come_once(server, client, alice):
    with EventStream(client, KINDS, backoff=FAST) as stream:
        events = iter(stream)
        old = post(server, "before the gap")
        assert next_of(events, "message")["message"]["id"] == old
        first_queue = stream.queue_id
        server.expire_queue(first_queue)
        missed = post(server, "in the gap")
        alice.add_reaction(missed, "eyes")
        alice.add_reaction(old, "tada")  # made in the gap to an older message: not recoverable
        server.faults.delay(1.5, n=1, path="messages", method="GET")  # the catch-up fetch comes late...
        caught = next_of(events, "message")  # (the stream registers again and fetches)
        assert caught["message"]["id"] == missed and caught["caught_up"]
        reaction = Reaction.from_event(next_of(events, "reaction"))
        assert (reaction.message_id, reaction.emoji_name, reaction.caught_up) == (missed, "eyes", True)
        assert reaction.user_id == alice_id(server)

        live = post(server, "after the gap")
        alice.add_reaction(live, "rocket")
        rest = []
        for event in events:
            rest.append(event)
            if event["type"] == "reaction" and event["message_id"] == live:
                break
        assert [(e["type"], e.get("message_id", e.get("message", {}).get("id"))) for e in rest] == [
            ("message", live), ("reaction", live)]


def test_a_reaction_seen_in_the_fetch_and_from_the_new_queue_is_handed_over_once(server, client, alice):
    with EventStream(client, KINDS, backoff=FAST) as stream:
        events = iter(stream)
        post(server, "before the gap")
        next_of(events, "message")
        server.expire_queue(stream.queue_id)
        missed = post(server, "in the gap")
        server.faults.delay(1.5, n=1, path="messages", method="GET")
        reader = threading.Thread(target=lambda: got.extend([next_of(events, "message"),
                                                             next_of(events, "reaction")]), daemon=True)
        got: list = []
        reader.start()
        deadline = time.monotonic() + 10
        while len(server.queue_ids()) != 1 or stream.registrations < 2:  # the new queue exists, the fetch waits
            assert time.monotonic() < deadline
            time.sleep(0.01)
        alice.add_reaction(missed, "eyes")  # both in the new queue and in the fetched message
        reader.join(10)
        assert [e["type"] for e in got] == ["message", "reaction"] and got[1]["caught_up"]
        later = post(server, "after")
        alice.add_reaction(later, "rocket")
        rest = []
        for event in events:
            rest.append(event)
            if event["type"] == "reaction" and event["message_id"] == later:
                break
        assert [e["type"] for e in rest] == ["message", "reaction"], "the queue's copy of 'eyes' was dropped"


def test_when_call_on_each_event_returns_no_callback_runs_or_will(server, client):
    calls, threads, stop = [], set(), threading.Event()

    def callback(message):
        threads.add(threading.current_thread().name)
        calls.append(("start", message["content"]))
        stop.set()  # the stopper sets stop while a callback is under way
        time.sleep(0.5)
        calls.append(("end", message["content"]))

    from wyzepal_notifier.events import call_on_each_message

    thread = threading.Thread(target=call_on_each_message, args=(client, callback),
                              kwargs={"stop": stop, "backoff": FAST}, daemon=True)
    thread.start()
    server.wait_for_polls(1)
    post(server, "one")
    post(server, "two")
    thread.join(10)
    assert not thread.is_alive()
    assert calls == [("start", "one"), ("end", "one")], "it returned after the callback ended; 'two' never ran"
    time.sleep(0.5)
    assert len(calls) == 2
    assert threads == {"wyzepal-events"}
    assert server.queue_ids() == []
