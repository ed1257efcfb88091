"""The bridge keeps every message through queue expiry, server restarts, faults and its own restarts."""
from __future__ import annotations

import signal
import time

from hubot_harness import ALICE, HUBOT, BridgeRun, bridge_env


def alice_says(server, content, topic="greetings"):
    return server.send_message(ALICE["email"], "general", content, topic=topic)


def test_an_expired_queue_loses_no_message(bridge, server):
    alice_says(server, "before")
    bridge.expect("message", text="before")
    server.expire_all_queues()
    alice_says(server, "while the queue is gone")
    alice_says(server, "and another")
    assert bridge.expect("message", text="while the queue is gone")
    assert bridge.expect("message", text="and another")
    bridge.drain(0.5)
    texts = [line["text"] for line in bridge.seen if line["type"] == "message"]
    assert texts == ["before", "while the queue is gone", "and another"], "nothing lost, nothing twice"


def test_a_restarted_server_is_reconnected_to(bridge, server):
    server.restart()
    alice_says(server, "after the restart")
    assert bridge.expect("message", text="after the restart", timeout=20)


def test_answers_wait_for_a_server_that_is_down(bridge, server):
    server.stop()
    bridge.send(type="send", ref="1", text="said while down", room="stream:general topic:outage")
    time.sleep(1.0)
    assert not [line for line in bridge.seen if line.get("ref") == "1"]
    server.start()
    assert bridge.expect("ack", ref="1", timeout=30)
    assert server.messages("general", "outage")[-1]["content"] == "said while down"


def test_server_errors_and_rate_limits_delay_answers_but_lose_none(bridge, server):
    server.faults.fail_next(3, status=503, path="messages", method="POST")
    server.faults.fail_next(1, status=429, path="messages", method="POST", retry_after=0.5)
    for n in range(3):
        bridge.send(type="send", ref=str(n), text=f"answer {n}", room="stream:general topic:faults")
    for n in range(3):
        bridge.expect("ack", ref=str(n), timeout=30)
    assert [m["content"] for m in server.messages("general", "faults")] == ["answer 0", "answer 1", "answer 2"]


def test_a_new_bridge_resumes_after_the_last_message_hubot_heard(start_bridge, server):
    first = start_bridge()
    first.expect("ready")
    heard_id = alice_says(server, "heard by the first bridge")
    first.expect("message", text="heard by the first bridge")
    first.proc.kill()
    first.wait()
    alice_says(server, "said while no bridge ran")
    alice_says(server, "this too")
    second = start_bridge("--resume-after", str(heard_id))
    assert second.expect("message", text="said while no bridge ran")
    assert second.expect("message", text="this too")
    second.drain(0.3)
    assert not [line for line in second.seen if line.get("text") == "heard by the first bridge"]


def test_end_of_input_stops_the_bridge_and_deletes_its_queue(bridge, server):
    assert server.queue_ids()
    bridge.close_stdin()
    assert bridge.wait(10) == 0
    assert server.queue_ids() == []


def test_sigterm_stops_the_bridge_cleanly_even_in_a_long_poll(devserver_factory):
    # Heartbeats a minute apart: a bridge that waited for its long poll to end would take that long.
    server = devserver_factory(users=[HUBOT, ALICE], streams=["general"], heartbeat_seconds=60)
    run = BridgeRun(bridge_env(server))
    try:
        run.expect("ready")
        time.sleep(0.5)  # the first long poll is under way
        started = time.monotonic()
        run.proc.send_signal(signal.SIGTERM)
        assert run.wait(30) == 0
        assert time.monotonic() - started < 20, "the stop must not wait for the long poll's heartbeat"
        assert server.queue_ids() == []
    finally:
        run.stop()


def test_a_bridge_started_while_the_server_is_down_waits_for_it(start_bridge, server):
    server.stop()
    run = start_bridge()
    time.sleep(1.0)
    assert run.proc.poll() is None
    assert "could not be reached" in run.log
    server.start()
    assert run.expect("ready", timeout=30)


def test_a_bridge_waiting_for_its_server_still_stops_at_once(start_bridge, server):
    server.stop()
    run = start_bridge()
    time.sleep(1.0)
    run.close_stdin()
    assert run.wait(10) == 0


def test_a_bridge_waiting_for_a_slow_server_still_stops_at_once(start_bridge, server):
    server.faults.delay(60, path="users/me")  # who the bot is: no answer for a minute
    run = start_bridge()
    time.sleep(1.0)
    started = time.monotonic()
    run.close_stdin()
    assert run.wait(30) == 0
    assert time.monotonic() - started < 20, "the stop must not wait for the server's answer"
    server.faults.clear()
