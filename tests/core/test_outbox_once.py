"""A post whose answer was lost is not sent twice, however the answer was lost; two identical posts both arrive."""
from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from outbox_kit import BOT, KEY, make_outbox
from wyzepal_notifier import Credentials, Message
from wyzepal_notifier.outbox import Spool


def contents(server, stream="general"):
    return [m["content"] for m in server.messages(stream)]


def test_a_message_stored_whose_answer_was_lost_is_recorded_not_sent_again(devserver, spool_path):
    devserver.faults.lose_answer_next(1, path="messages", method="POST")
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "t", "deployed v1"), handle="d1")
    assert outbox.flush(15)
    outbox.close()
    assert contents(devserver) == ["deployed v1"]
    assert outbox.handle_state("d1").message_id == devserver.messages()[0]["id"]


def test_two_identical_notices_both_arrive_even_when_answers_are_lost(devserver, spool_path):
    devserver.faults.lose_answer_next(3, path="messages", method="POST")
    outbox = make_outbox(devserver, spool_path)
    for _ in range(2):
        outbox.put(Message.to_stream("general", "t", "build passed"))
    outbox.put(Message.to_stream("general", "t", "then something else"))
    assert outbox.flush(20)
    outbox.close()
    assert contents(devserver) == ["build passed", "build passed", "then something else"]


def test_when_the_queue_is_lost_the_topic_history_tells_what_arrived(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "t", "warm-up"))  # the worker registers its queue
    assert outbox.flush(10)
    devserver.faults.lose_answer_next(1, path="messages", method="POST")
    devserver.faults.delay(0.5, n=1, path="events")  # the queue is expired before the worker reads it
    devserver.expire_all_queues()
    outbox.put(Message.to_stream("general", "t", "important"))
    outbox.put(Message.to_stream("general", "t", "important"))  # the same words on purpose
    assert outbox.flush(20)
    outbox.close()
    assert contents(devserver) == ["warm-up", "important", "important"]


def test_a_direct_message_whose_answer_was_lost_is_sent_once(devserver, spool_path):
    devserver.add_user("alice@example.com", full_name="Alice", bot=False)
    devserver.faults.lose_answer_next(1, path="messages", method="POST")
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.direct("alice@example.com", "your build broke"))
    assert outbox.flush(15)
    outbox.close()
    assert [m["content"] for m in devserver.messages() if m["type"] == "private"] == ["your build broke"]


KILLS = 20


def test_a_worker_killed_at_random_instants_delivers_everything_once(devserver, spool_path):
    """20 kills mid-delivery (the stress script in benchmarks/ does 200): no loss, no duplicate."""
    spool = Spool(spool_path)
    sender = spool.save_sender(Credentials(devserver.site, BOT, KEY), "KillTest", "1")
    expected = [f"{topic}-{i}" for i in range(15) for topic in ("a", "b", "c", "d")]
    for text in expected:
        spool.append(sender, Message.to_stream("general", text.split("-")[0], text).checked())
    spool.close()
    # Stored at once, answered 50 ms later: a kill in between leaves a message the worker did not record.
    devserver.faults.delay_answer(0.05, path="messages", method="POST")
    rng = random.Random(20261201)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "shared")}
    command = [sys.executable, "-m", "wyzepal_notifier.outbox.worker", "--outbox", str(spool_path),
               "--give-up-after", "20"]
    kills = 0
    deadline = time.monotonic() + 120
    while kills < KILLS and time.monotonic() < deadline:
        worker = subprocess.Popen(command, env=env)
        time.sleep(rng.uniform(0.05, 0.4))
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        worker.wait(10)
        if not Spool(spool_path).pending_count():
            break
    final = subprocess.run(command, env=env, timeout=60)
    assert final.returncode == 0
    stored = contents(devserver)
    counts = collections.Counter(stored)
    assert sorted(counts) == sorted(expected), "nothing lost"
    assert [c for c, n in counts.items() if n > 1] == [], f"no duplicate after {kills} kills"
    for topic in "abcd":
        assert [c for c in stored if c.startswith(topic)] == [f"{topic}-{i}" for i in range(15)]
    assert kills >= 5, "the worker was killed mid-delivery often enough to mean something"
