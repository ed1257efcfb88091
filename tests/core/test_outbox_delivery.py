"""The outbox of a plugin against the dev server's faults: every message delivered once, in order per topic."""
from __future__ import annotations

import collections
import time

from outbox_kit import BOT, FAST, KEY, make_outbox
from wyzepal_notifier import Client, Credentials, Integration, Message, RetryPolicy
from wyzepal_notifier.outbox import Outbox, Spool
from wyzepal_notifier.outbox.courier import DEFAULT_CONCURRENCY


def queue_topics(outbox, topics, per_topic, stream="general"):
    for i in range(per_topic):
        for topic in topics:
            outbox.put(Message.to_stream(stream, topic, f"{topic}-{i}"))


def assert_each_once_in_order(server, topics, per_topic, stream="general"):
    stored = server.messages(stream)
    by_topic = collections.defaultdict(list)
    for message in stored:
        by_topic[message["subject"]].append(message["content"])
    for topic in topics:
        assert by_topic[topic] == [f"{topic}-{i}" for i in range(per_topic)], topic
    assert len(stored) == len(topics) * per_topic


def test_put_returns_before_the_server_answers_and_the_message_is_already_spooled(devserver, spool_path):
    devserver.faults.delay(1.0, path="messages")
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "deploys", "shipped"))
    assert devserver.messages() == []  # the server is still sitting on it
    assert Spool(spool_path).status().pending == 1  # yet it is on disk already
    assert outbox.flush(10)
    outbox.close()
    assert [m["content"] for m in devserver.messages()] == ["shipped"]
    assert devserver.requests[-1].email == BOT


def test_many_topics_are_delivered_in_order_each(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    topics = [f"t{i}" for i in range(4)]
    queue_topics(outbox, topics, 15)
    assert outbox.flush(20)
    outbox.close()
    assert_each_once_in_order(devserver, topics, 15)
    assert Spool(spool_path).status().delivered == 60


def test_server_down_for_a_while_then_back(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    devserver.stop()
    queue_topics(outbox, ["a", "b"], 5)
    time.sleep(0.8)  # the worker tries, fails, and backs off meanwhile
    status = outbox.status()
    assert status.pending == 10 and "could not be reached" in status.last_error
    devserver.start()
    assert outbox.flush(15)
    outbox.close()
    assert_each_once_in_order(devserver, ["a", "b"], 5)


def test_a_503_burst_delays_but_loses_and_repeats_nothing(devserver, spool_path):
    devserver.faults.fail_next(6, status=503, path="messages")
    outbox = make_outbox(devserver, spool_path)
    queue_topics(outbox, ["a", "b"], 6)
    assert outbox.flush(15)
    outbox.close()
    assert_each_once_in_order(devserver, ["a", "b"], 6)
    assert sum(r.status == 503 for r in devserver.requests) == 6


def test_rate_limits_are_respected_via_retry_after(devserver_factory, spool_path):
    server = devserver_factory(rate_limit=(4, 1.0))
    # no retries inside a call: each 429 goes through the spool's not-before time
    options = {**FAST, "call_retry": RetryPolicy(budget=0.0)}
    outbox = make_outbox(server, spool_path, courier_options=options)
    queue_topics(outbox, ["a", "b"], 5)
    assert outbox.flush(20)
    outbox.close()
    assert_each_once_in_order(server, ["a", "b"], 5)
    posts = [r for r in server.requests if r.path.endswith("/messages")]
    assert sum(r.status == 429 for r in posts) <= 1, "the limit headers and Retry-After keep it from hammering"
    assert posts[-1].time - posts[0].time >= 1.9, "10 messages at 4 per second take two more windows"


def test_a_429_with_retry_after_holds_every_message_of_the_sender(devserver, spool_path):
    devserver.faults.fail_next(1, status=429, path="messages", retry_after=1)
    outbox = make_outbox(devserver, spool_path, courier_options={**FAST, "call_retry": RetryPolicy(budget=0.0)})
    queue_topics(outbox, ["a", "b", "c"], 2)
    assert outbox.flush(15)
    outbox.close()
    assert_each_once_in_order(devserver, ["a", "b", "c"], 2)
    posts = [r for r in devserver.requests if r.path.endswith("/messages")]
    assert posts[0].status == 429
    # Topics go side by side: only the requests already on their way when the 429 came may land before
    # the server's Retry-After; none is started after it.
    early = [p for p in posts[1:] if p.time - posts[0].time < 0.95]
    assert len(early) <= DEFAULT_CONCURRENCY - 1, early


def test_slow_responses_deliver_everything_once(devserver, spool_path):
    devserver.faults.delay(0.3, path="messages")
    outbox = make_outbox(devserver, spool_path)
    queue_topics(outbox, ["a", "b"], 3)
    assert outbox.flush(15)
    outbox.close()
    assert_each_once_in_order(devserver, ["a", "b"], 3)


def test_a_response_slower_than_the_timeout_is_sent_again_and_nothing_else_repeats(devserver, spool_path, caplog):
    """The client gives up on a slow answer and the row is sent again. Whether the abandoned request
    was stored too is the server's business (this dev server cancels it, a real one may not): only
    that message may repeat. Everything arrives, in order per topic."""
    def impatient(sender):
        return Client.from_credentials(sender.credentials, retry=RetryPolicy(budget=0.0), read_timeout=0.5)

    devserver.faults.delay(2.0, n=1, path="messages")
    outbox = make_outbox(devserver, spool_path, courier_options={**FAST, "client_factory": impatient})
    queue_topics(outbox, ["a", "b"], 4)
    assert outbox.flush(20)
    outbox.close()
    posts = lambda: [r for r in devserver.requests if r.method == "POST" and r.path.endswith("/messages")]  # noqa: E731
    wait_until(lambda: len(posts()) == 9)  # the abandoned request is logged once the server is done with it
    contents = [m["content"] for m in devserver.messages()]
    counts = collections.Counter(contents)
    assert set(counts) == {f"{t}-{i}" for t in "ab" for i in range(4)}
    assert all(n == 1 for c, n in counts.items() if c != "a-0") and counts["a-0"] <= 2
    for topic in "ab":
        first_seen = list(dict.fromkeys(c for c in contents if c.startswith(topic)))
        assert first_seen == [f"{topic}-{i}" for i in range(4)]
    assert "timed out" in caplog.text


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_a_sender_that_failed_for_days_is_still_retried_and_delivers_when_the_server_is_back(devserver, spool_path):
    """Failure counts grow for as long as a server is down; the backoff must not overflow on them."""
    from wyzepal_notifier.outbox import Courier

    spool = Spool(spool_path)
    sender = spool.save_sender(Credentials(devserver.site, BOT, KEY), "OutboxTest", "1")
    spool.append(sender, Message.to_stream("general", "t", "after a long outage").checked())
    for _ in range(1100):  # a server down for days: that many failed attempts, one per capped backoff
        spool.hold_sender(sender, 0.0, failed=True)
    devserver.stop()
    courier = Courier(spool, **FAST)
    try:
        assert courier.deliver_round().failed == 1  # one more failure: counted, not an OverflowError
        assert spool.status().pending == 1 and spool.sender_failures(sender) == 1101
        devserver.start()
        spool.wake_senders()
        assert courier.deliver_round().delivered == 1
    finally:
        courier.close()
        spool.close()
    assert [m["content"] for m in devserver.messages()] == ["after a long outage"]


def test_a_permanent_refusal_is_kept_dead_with_its_reason_and_retried_after_the_fix(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("releases", "v1", "missing channel"))
    outbox.put(Message.to_stream("general", "ok", "fine"))
    outbox.put(Message.to_stream("releases", "v1", "behind the dead one"))
    assert outbox.flush(10)
    status = outbox.status()
    assert status.dead == 2 and status.pending == 0
    assert "releases" in status.dead_messages[0]["reason"] and "does not exist" in status.dead_messages[0]["reason"]
    assert [m["content"] for m in devserver.messages()] == ["fine"]
    devserver.add_stream("releases")
    spool = Spool(spool_path)
    assert spool.requeue_dead() == 2
    assert outbox.flush(10)
    outbox.close()
    assert [m["content"] for m in devserver.messages("releases")] == ["missing channel", "behind the dead one"]


def test_a_rejected_key_is_dead_and_the_key_is_not_in_the_reason(devserver, spool_path):
    outbox = Outbox(spool_path, Credentials(devserver.site, BOT, "not-the-key"), courier_options=FAST)
    outbox.put(Message.to_stream("general", "t", "hello"))
    assert outbox.flush(10)
    reason = outbox.status().dead_messages[0]["reason"]
    outbox.close()
    assert "API key" in reason and "not-the-key" not in reason


def test_close_is_bounded_while_the_server_is_down_and_the_next_start_delivers(devserver, spool_path):
    devserver.stop()
    outbox = make_outbox(devserver, spool_path)
    queue_topics(outbox, ["a"], 4)
    started = time.monotonic()
    outbox.close(0.5)
    assert time.monotonic() - started < 3.0
    assert Spool(spool_path).status().pending == 4
    devserver.start()
    again = make_outbox(devserver, spool_path)  # nothing new is put: leftovers go by themselves
    devserver.wait_for_messages(4, timeout=10)
    again.close()
    assert_each_once_in_order(devserver, ["a"], 4)


def test_a_message_put_after_close_is_still_delivered(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "t", "before close"))
    outbox.close(10)
    outbox.put(Message.to_stream("general", "t", "after close"))  # e.g. a host thread still busy at exit
    assert outbox.flush(10)
    outbox.close(10)
    assert outbox.flush(1), "nothing waits, closed or not"
    assert [m["content"] for m in devserver.messages()] == ["before close", "after close"]
    assert outbox.status().delivered == 2


def test_direct_messages_go_through_the_outbox(devserver, spool_path):
    devserver.add_user("alice@example.com", full_name="Alice", bot=False)
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.direct("alice@example.com", "psst"))
    assert outbox.flush(10)
    outbox.close()
    [message] = devserver.messages()
    assert message["type"] == "private" and message["content"] == "psst"


class Deploys(Integration):
    integration_id = "deploys"
    name = "Deploys"


def test_integration_send_uses_the_outbox_named_by_outbox_path(devserver, tmp_path):
    spool = tmp_path / "spools" / "deploys.sqlite3"
    integration = Deploys.from_values({"WYZEPAL_SITE": devserver.site, "WYZEPAL_USER": BOT, "WYZEPAL_API_KEY": KEY,
                                       "STREAM_FOR_NOTIFICATIONS": "ci", "OUTBOX_PATH": str(spool)}, env={})
    assert integration.send(Message.to_stream("ci", "prod", "deployed"))
    integration.close(10)
    assert spool.is_file()
    assert [m["content"] for m in devserver.messages("ci")] == ["deployed"]
    assert Spool(spool).status().delivered == 1


def test_an_unusable_outbox_path_falls_back_to_a_private_folder_and_loses_nothing(devserver, tmp_path, monkeypatch,
                                                                                   caplog):
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    integration = Deploys.from_values({"WYZEPAL_SITE": devserver.site, "WYZEPAL_USER": BOT, "WYZEPAL_API_KEY": KEY,
                                       "STREAM_FOR_NOTIFICATIONS": "ci",
                                       "OUTBOX_PATH": str(blocker / "outbox.sqlite3")}, env={})
    assert integration.send(Message.to_stream("ci", "prod", "still delivered"))
    integration.close(10)
    assert [m["content"] for m in devserver.messages("ci")] == ["still delivered"]
    assert "a-file" in caplog.text and "instead" in caplog.text
    assert list((tmp_path / "tmp").glob("wyzepal-integrations-*/deploys-outbox.sqlite3"))


def test_topics_sent_side_by_side_stay_within_a_sliding_window_limit_without_429s(devserver_factory, spool_path):
    """Four topics at once, one bot: the threads share one gate that follows the server's sliding window."""
    server = devserver_factory(rate_limit=(5, 1.0))
    outbox = make_outbox(server, spool_path, courier_options={**FAST, "call_retry": RetryPolicy(budget=0.0)})
    queue_topics(outbox, ["a", "b", "c", "d"], 5)
    assert outbox.flush(60)
    outbox.close()
    assert_each_once_in_order(server, ["a", "b", "c", "d"], 5)
    posts = [r for r in server.requests if r.method == "POST" and r.path.endswith("/messages")]
    # A request the loaded machine held back longer than any answer so far may meet one 429; never a storm.
    assert [r.status for r in posts].count(429) <= 1
    assert posts[-1].time - posts[0].time >= 3.0, "20 messages at 5 per second take three more windows"
