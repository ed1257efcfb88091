"""The events client against the dev server: long polls, expired queues, outages, 429s, stopping."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from wyzepal_notifier import APIError, Client, RetryPolicy
from wyzepal_notifier.events import EventStream, call_on_each_event, call_on_each_message, stop_on_signals

HUMAN = ("alice@example.com", "a" * 32)
FAST = RetryPolicy(base=0.05, cap=0.3)


@pytest.fixture
def server(devserver_factory):
    server = devserver_factory(heartbeat_seconds=0.3)
    server.add_user(HUMAN[0], HUMAN[1], full_name="Alice", bot=False)
    return server


@pytest.fixture
def client(server, devserver_bot):
    with Client(server.site, *devserver_bot, retry=RetryPolicy(budget=2.0, base=0.05, cap=0.2)) as client:
        yield client


class Listener:
    """call_on_each_message on a thread, collecting what it hears."""

    def __init__(self, client, **options):
        self.received = []
        self.stop = threading.Event()
        self.error = None
        options.setdefault("backoff", FAST)
        self._thread = threading.Thread(target=self._run, args=(client, options), daemon=True)
        self._thread.start()

    def _run(self, client, options):
        try:
            call_on_each_message(client, self.received.append, stop=self.stop, **options)
        except Exception as exc:
            self.error = exc

    def contents(self):
        return [m["content"] for m in self.received]

    def wait_for(self, count, timeout=10.0):
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.contents()

    def finish(self, timeout=5.0):
        self.stop.set()
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the listener did not stop"


def post(server, content, stream="general", topic="chat"):
    return server.send_message(HUMAN[0], stream, content, topic=topic)


def test_messages_posted_while_long_polling_arrive_once_in_order(server, client):
    listener = Listener(client)
    server.wait_for_polls(1)
    for i in range(5):
        post(server, f"m{i}")
    assert listener.wait_for(5) == [f"m{i}" for i in range(5)]
    time.sleep(0.7)  # two heartbeats pass; they must not reach the callback or repeat anything
    listener.finish()
    assert listener.contents() == [f"m{i}" for i in range(5)]
    assert listener.error is None
    assert server.queue_ids() == [], "stopping deletes the queue"


def test_expired_queue_is_replaced_and_missed_messages_are_caught_up_without_repeats(server, client):
    listener = Listener(client)
    server.wait_for_polls(1)
    post(server, "before")
    assert listener.wait_for(1) == ["before"]
    server.faults.delay(1.0, n=1, path="register")  # the new queue comes late: a real gap
    server.expire_queue(server.queue_ids()[0])
    for i in range(3):
        post(server, f"gap{i}")  # in neither queue
    server.wait_for_polls(1)
    post(server, "after")
    assert listener.wait_for(5) == ["before", "gap0", "gap1", "gap2", "after"]
    time.sleep(0.5)
    listener.finish()
    assert listener.contents() == ["before", "gap0", "gap1", "gap2", "after"]
    paths = [r.path.rsplit("/", 1)[-1] for r in server.requests]
    assert paths.count("register") == 2 and paths.count("messages") == 1, "caught up with one GET /messages"


def test_catch_up_respects_the_narrow(server, client):
    with EventStream(client, ["message"], [["stream", "ci"]], backoff=FAST) as stream:
        messages = stream.messages()
        server.send_message(HUMAN[0], "ci", "ci-1", topic="build")
        assert next(messages)["content"] == "ci-1"
        server.expire_queue(stream.queue_id)
        server.send_message(HUMAN[0], "general", "not for us", topic="chat")
        server.send_message(HUMAN[0], "ci", "ci-2", topic="build")
        caught = next(messages)
        assert caught["content"] == "ci-2"
        server.send_message(HUMAN[0], "ci", "ci-3", topic="build")
        assert next(messages)["content"] == "ci-3"
        assert stream.registrations == 2


def test_server_down_for_a_while_then_back_loses_nothing(server, client):
    listener = Listener(client)
    server.wait_for_polls(1)
    post(server, "one")
    assert listener.wait_for(1) == ["one"]
    server.stop()
    post(server, "while down")  # straight into the server's store and queues
    time.sleep(1.0)  # the listener fails to connect and backs off meanwhile
    server.start()
    post(server, "back")
    assert listener.wait_for(3) == ["one", "while down", "back"]
    listener.finish()
    assert listener.contents() == ["one", "while down", "back"]


def test_a_server_down_for_over_a_thousand_attempts_is_still_waited_for(server, client, caplog):
    """The backoff's doublings stop counting at the cap: 2**1024 would not fit in a float, and a
    bridge must outlive a long outage (here compressed into thousands of quick attempts)."""
    listener = Listener(client, backoff=RetryPolicy(base=1e-6, cap=1e-5))
    server.wait_for_polls(1)
    server.stop()
    deadline = time.monotonic() + 60
    while sum("trying again" in r.getMessage() for r in caplog.records) < 1100:
        assert listener.error is None, listener.error
        assert time.monotonic() < deadline, "too few attempts"
        time.sleep(0.05)
    server.start()
    post(server, "back at last")
    assert listener.wait_for(1) == ["back at last"]
    listener.finish()
    assert listener.error is None


def test_a_503_burst_on_get_events_is_backed_off_and_nothing_is_lost(server, client):
    listener = Listener(client)
    server.wait_for_polls(1)
    server.faults.fail_next(4, status=503, path="events", method="GET")
    post(server, "before the storm")  # answers the parked poll; the next four polls fail
    assert listener.wait_for(1) == ["before the storm"]
    deadline = time.monotonic() + 5
    while len(failed_polls(server)) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    post(server, "after the storm")
    assert listener.wait_for(2) == ["before the storm", "after the storm"]
    listener.finish()
    failed = [r.time for r in failed_polls(server)]
    assert len(failed) == 4
    # Each wait is at least half its ceiling (jitter), and the ceiling doubles: a client
    # retrying at once would show gaps of a few milliseconds. Lower bounds only: load cannot break them.
    gaps = [later - earlier for earlier, later in zip(failed, failed[1:])]
    assert all(gap >= FAST.base * 2 ** attempt / 2 - 0.005 for attempt, gap in enumerate(gaps)), gaps


def failed_polls(server):
    return [r for r in server.requests if r.path.endswith("/events") and r.status == 503]


def test_429_waits_as_long_as_retry_after_says(server, client):
    listener = Listener(client)
    server.wait_for_polls(1)
    server.faults.fail_next(1, status=429, path="events", method="GET", retry_after=1)
    post(server, "first")  # answers the parked poll; the next poll gets the 429
    post(server, "second")
    assert listener.wait_for(2) == ["first", "second"]
    listener.finish()
    polls = [r for r in server.requests if r.path.endswith("/events") and r.method == "GET"]
    limited = next(i for i, r in enumerate(polls) if r.status == 429)
    assert polls[limited + 1].time - polls[limited].time >= 0.95


def test_stop_ends_a_waiting_long_poll_at_once_and_deletes_the_queue(devserver_factory, devserver_bot):
    server = devserver_factory(heartbeat_seconds=50)  # the poll would otherwise hang for 50 s
    client = Client(server.site, *devserver_bot)
    listener = Listener(client)
    server.wait_for_polls(1)
    started = time.monotonic()
    listener.finish(timeout=3.0)
    assert time.monotonic() - started < 3.0
    assert server.queue_ids() == []


def test_iterator_form_and_event_types(server, client):
    with EventStream(client, ["message"], backoff=FAST) as stream:
        events = iter(stream)
        post(server, "hello")
        event = next(events)
        assert event["type"] == "message" and event["message"]["content"] == "hello"
        assert event["message"]["sender_email"] == HUMAN[0] and event["message"]["display_recipient"] == "general"
        queue_id = stream.queue_id
        assert queue_id in server.queue_ids()
    assert queue_id not in server.queue_ids()


def test_call_on_each_event_hands_over_every_event_and_a_callback_error_ends_it(server, client):
    seen = []

    def callback(event):
        seen.append(event)
        if len(seen) == 2:
            raise RuntimeError("bridge bug")

    thread_error = []

    def run():
        try:
            call_on_each_event(client, callback, ["message"], backoff=FAST)
        except RuntimeError as exc:
            thread_error.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    server.wait_for_polls(1)
    post(server, "a")
    post(server, "b")
    thread.join(5)
    assert [e["message"]["content"] for e in seen] == ["a", "b"]
    assert [e["id"] for e in seen] == sorted({e["id"] for e in seen})
    assert str(thread_error[0]) == "bridge bug"
    assert server.queue_ids() == []


def test_every_event_is_handed_over_once_and_heartbeats_never(server, client, devserver_bot):
    """Non-message events have no message id to fall back on: only last_event_id keeps them from repeating."""
    seen, stop = [], threading.Event()
    thread = threading.Thread(target=call_on_each_event, args=(client, seen.append, ["subscription"]),
                              kwargs={"stop": stop, "backoff": FAST}, daemon=True)
    thread.start()
    server.wait_for_polls(1)
    with Client(server.site, *devserver_bot) as other:  # the same bot, from another connection
        for name in ("one", "two"):
            other.add_subscriptions([name])
        wait_until(lambda: len(seen) >= 2)
        time.sleep(1.5)  # several 0.3 s heartbeats: each answers a poll, none may reach the callback
        other.add_subscriptions(["three"])
        wait_until(lambda: len(seen) >= 3)
    time.sleep(0.7)  # room for a repeat to show up
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert [(e["type"], e["op"], e["subscriptions"][0]["name"]) for e in seen] == [
        ("subscription", "add", "one"), ("subscription", "add", "two"), ("subscription", "add", "three")]
    assert seen[2]["id"] > seen[1]["id"] + 1, "heartbeats took the ids in between"


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_rejected_key_is_raised_not_retried_forever(server):
    client = Client(server.site, "bot@example.com", "wrong-key")
    with pytest.raises(APIError) as caught:
        call_on_each_message(client, lambda m: None, backoff=FAST)
    assert caught.value.permanent and "API key" in str(caught.value)
    assert "wrong-key" not in str(caught.value)


def test_sigterm_stops_a_bridge_cleanly(server, client):
    stop = threading.Event()
    previous = signal.getsignal(signal.SIGTERM)
    server_ready = threading.Thread(target=lambda: (server.wait_for_polls(1), os.kill(os.getpid(), signal.SIGTERM)),
                                    daemon=True)
    server_ready.start()
    with stop_on_signals(stop) as handler:
        call_on_each_message(client, lambda m: None, stop=stop, backoff=FAST)
    assert handler.received == signal.SIGTERM and stop.is_set()
    assert signal.getsignal(signal.SIGTERM) == previous
    assert server.queue_ids() == []


def test_resume_after_catches_up_what_came_while_the_bridge_was_not_running(server, client):
    first = post(server, "handled before the restart")
    post(server, "sent while restarting")
    post(server, "also while restarting")
    states = []
    with EventStream(client, ["message"], backoff=FAST, resume_after=first, on_register=states.append) as stream:
        messages = stream.messages()
        assert [next(messages)["content"] for _ in range(2)] == ["sent while restarting", "also while restarting"]
        post(server, "live")
        assert next(messages)["content"] == "live"
    assert len(states) == 1 and states[0]["queue_id"] and states[0]["max_message_id"] >= first + 2
