"""The shared outbox on a real redis-server: producers, delivery services, failures of each part.

Each test starts its own redis-server (``conftest.py``: loopback, AOF,
``appendfsync always``) and a dev server; services run as real
``wyzepal-integrations outbox serve`` processes where the test is about
processes (killed, restarted), and in a thread where it is about one behaviour.
"""
from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import wyzepal_notifier
from wyzepal_notifier import Credentials, Message
from wyzepal_notifier.outbox import HandleInUse, Locate, Outbox, SharedOutbox
from wyzepal_notifier.outbox.redis_store import RedisStore
from wyzepal_notifier.outbox.serve import serve

LIBRARY_ROOT = str(Path(wyzepal_notifier.__file__).resolve().parent.parent)
BOT, KEY = "bot@example.com", "x" * 32


def environment(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WYZEPAL_")}
    env["PYTHONPATH"] = os.pathsep.join([LIBRARY_ROOT, env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "wyzepal_notifier", *args], capture_output=True, text=True,
                          env=environment(), timeout=timeout)


def wait_until(condition, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Service:
    """``serve`` in a thread of the test (one behaviour at a time; processes are tested below)."""

    def __init__(self, url, server, **options):
        self.stop = threading.Event()
        credentials = {(server.site, BOT): Credentials(server.site, BOT, KEY)}
        self.thread = threading.Thread(target=serve, args=(url, credentials),
                                       kwargs={"stop": self.stop, **options}, daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join(30)


@pytest.fixture
def server(devserver_factory):
    return devserver_factory(streams=["general", "ci", "ops"])


@pytest.fixture
def rc(server, tmp_path):
    path = tmp_path / "wyzepalrc"
    server.write_wyzepalrc(str(path), BOT)
    path.chmod(0o600)
    return str(path)


def shared(redis_server, server, tmp_path, name="park", **options):
    return SharedOutbox(redis_server.url, Credentials(server.site, BOT, KEY), tmp_path / name / "outbox.sqlite3",
                        forward_in_background=False, **options)


def contents(server, stream="general", topic=None):
    return [m["content"] for m in server.messages(stream, topic)]


def test_put_goes_to_redis_and_a_service_delivers_in_order_with_handle_operations(redis_server, server, tmp_path):
    outbox = shared(redis_server, server, tmp_path)
    for i in range(10):
        outbox.put(Message.to_stream("general", "builds", f"build {i}"))
    outbox.put(Message.to_stream("ci", "app", "build #42 started"), handle="ci:app#42")
    outbox.add_reaction("ci:app#42", "hourglass")
    outbox.edit("ci:app#42", "build #42 passed")
    outbox.remove_reaction("ci:app#42", "hourglass")
    outbox.resolve_topic("ci:app#42")
    outbox.put(Message.to_stream("ci", "app", "deployed"), conversation="ci:app#42")
    with pytest.raises(HandleInUse):
        outbox.put(Message.to_stream("ci", "app", "again"), handle="ci:app#42")
    assert not (tmp_path / "park").exists()  # nothing parked: Redis took every call
    assert RedisStore(redis_server.url).pending_count() == 16
    service = Service(redis_server.url, server)
    try:
        wait_until(lambda: RedisStore(redis_server.url).pending_count() == 0, what="delivery")
    finally:
        service.close()
    assert contents(server, "general", "builds") == [f"build {i}" for i in range(10)]
    state = outbox.handle_state("ci:app#42")
    assert state is not None and state.topic == "\N{HEAVY CHECK MARK} app"
    posted = server.messages("ci")
    ours = [m["content"] for m in posted if "marked this topic as resolved" not in m["content"]]
    assert ours == ["build #42 passed", "deployed"]  # edited in place; the follow-up after the move
    assert {m["subject"] for m in posted} == {"\N{HEAVY CHECK MARK} app"}  # the follow-up went to the moved topic
    assert not server.message(posted[0]["id"]).get("reactions")
    outbox.close()


def test_api_keys_never_reach_redis(redis_server, server, tmp_path):
    outbox = shared(redis_server, server, tmp_path)
    outbox.put(Message.to_stream("general", "t", "hello"), handle="h:1")
    outbox.edit("h:1", "hello again", locate=Locate("general", "t", "hello"))
    outbox.close()
    aof = b"".join(p.read_bytes() for p in (redis_server.folder).rglob("*.aof"))
    assert b"hello again" in aof  # the AOF has every write ...
    assert KEY.encode() not in aof  # ... and no key among them
    store = RedisStore(redis_server.url)
    assert all(KEY not in json.dumps(store.redis.hgetall(k)) for k in store.redis.scan_iter(match="*")
               if store.redis.type(k) == "hash")


def test_unreachable_redis_parks_locally_in_order_and_forwards_once_back(redis_server, server, tmp_path):
    redis_server.stop()
    outbox = shared(redis_server, server, tmp_path, timeout=0.5, recheck_after=1.0)
    started = time.monotonic()
    outbox.put(Message.to_stream("general", "t", "parked 1"), handle="h:1")
    outbox.edit("h:1", "parked 1, edited")
    outbox.put(Message.to_stream("general", "t", "parked 2"))
    assert time.monotonic() - started < 5  # the host is not held up (never an exception either)
    assert outbox.flush(0.5) is False  # still parked
    redis_server.start()
    time.sleep(1.1)  # past the pause after a failure (it parks at once meanwhile, not waiting on a dead socket)
    outbox.put(Message.to_stream("general", "t", "direct 3"))  # forwards the parked rows first, then itself
    store = RedisStore(redis_server.url)
    assert store.pending_count() == 3  # the edit was folded into its parked post, as the spool does
    assert outbox.flush(1.0) is True
    service = Service(redis_server.url, server)
    try:
        wait_until(lambda: store.pending_count() == 0, what="delivery")
    finally:
        service.close()
    assert contents(server, "general", "t") == ["parked 1, edited", "parked 2", "direct 3"]
    outbox.close()


def test_a_forward_whose_answer_was_lost_is_not_queued_twice(redis_server, server, tmp_path):
    from wyzepal_notifier.outbox.shared import forward_parked
    from wyzepal_notifier.outbox.spool import Spool

    park = Spool(tmp_path / "park.sqlite3")
    sender = park.save_sender(Credentials(server.site, BOT, KEY), "T", "1")
    park.append(sender, Message.to_stream("general", "t", "once"))
    store = RedisStore(redis_server.url)
    row = park.claim("w", lease=5)[0]
    from wyzepal_notifier.outbox.shared import _file_identity
    store.append(store.save_sender(Credentials(server.site, BOT, KEY), "T", "1"), row.message,
                 token=f"{_file_identity(park.path)}:{row.id}")  # Redis took it, the spool never heard
    park.release("w")
    assert forward_parked(park, store) is True
    assert store.pending_count() == 1


def test_require_shared_waits_for_redis_instead_of_parking(redis_server, server, tmp_path):
    redis_server.stop()
    outbox = shared(redis_server, server, tmp_path, require_shared=True, shared_wait=20.0, timeout=0.5)
    threading.Timer(1.5, redis_server.start).start()
    started = time.monotonic()
    outbox.put(Message.to_stream("general", "t", "waited"))
    assert 1.0 < time.monotonic() - started < 20
    assert RedisStore(redis_server.url).pending_count() == 1
    assert not (tmp_path / "park" / "outbox.sqlite3").exists()


def test_require_shared_is_bounded_then_parks(redis_server, server, tmp_path):
    redis_server.stop()
    outbox = shared(redis_server, server, tmp_path, require_shared=True, shared_wait=1.0, timeout=0.3)
    started = time.monotonic()
    outbox.put(Message.to_stream("general", "t", "parked"))
    assert time.monotonic() - started < 6
    assert (tmp_path / "park" / "outbox.sqlite3").exists()


def test_outbox_url_in_a_config_picks_the_shared_outbox(redis_server, server, tmp_path):
    from wyzepal_notifier.config.settings import settings_from_values
    from wyzepal_notifier.outbox.handover import HandOverOutbox

    values = {"WYZEPAL_SITE": server.site, "WYZEPAL_USER": BOT, "WYZEPAL_API_KEY": KEY,
              "STREAM_FOR_NOTIFICATIONS": "general", "OUTBOX_URL": redis_server.url,
              "OUTBOX_PATH": str(tmp_path / "local.sqlite3")}
    settings = settings_from_values(values, "test.conf", env={})

    class Plugin:
        integration_id = "test"
        version = "1"
        def __init__(self):
            self.settings = settings
        def user_agent_name(self):
            return "Test"

    outbox = Outbox.for_integration(Plugin())
    assert isinstance(outbox, SharedOutbox)
    hook = HandOverOutbox("test", settings, "Test", "1")
    hook.put(Message.to_stream("general", "t", "from a hook"))
    hook.close()
    assert RedisStore(redis_server.url).pending_count() == 1
    assert not (tmp_path / "local.sqlite3").exists()


def test_status_retry_and_alerts_work_site_wide(redis_server, server, tmp_path, rc):
    outbox = shared(redis_server, server, tmp_path, alerts={"to": {"stream": "ops", "topic": "outbox alerts",
                                                                   "person": None}, "backlog_after": 900.0})
    outbox.put(Message.to_stream("nowhere", "t", "lost channel"))
    outbox.put(Message.to_stream("general", "t", "fine"))
    service = Service(redis_server.url, server)
    try:
        wait_until(lambda: contents(server, "ops"), what="the alert")
        status = cli("outbox", "status", "--outbox-url", redis_server.url, "--json")
        assert status.returncode == 1, status.stderr
        report = json.loads(status.stdout)
        assert report["dead"] == 1 and "nowhere" in report["dead_messages"][0]["to"]
        assert "could not be delivered" in contents(server, "ops")[0]
        server.add_stream("nowhere")
        retried = cli("outbox", "retry", "--outbox", redis_server.url)
        assert retried.returncode == 0, retried.stderr
        assert "1 dead message queued again" in retried.stdout
        wait_until(lambda: contents(server, "nowhere") == ["lost channel"], what="the retried message")
    finally:
        service.close()
    assert contents(server, "general") == ["fine"]
    shown = cli("outbox", "status", "--outbox-url", redis_server.url)
    assert shown.returncode == 0 and "dead:      0" in shown.stdout
    flushed = cli("outbox", "flush", "--outbox-url", redis_server.url)  # the services deliver; it says what waits
    assert flushed.returncode == 0 and "0 waiting in redis://" in flushed.stdout, flushed.stderr


def test_serve_needs_an_url_and_a_config(rc):
    result = cli("outbox", "serve", "--config", rc)
    assert result.returncode == 2 and "--outbox-url" in result.stderr and "Traceback" not in result.stderr


PRODUCER = textwrap.dedent("""
    import sys, time
    from wyzepal_notifier import Credentials, Message
    from wyzepal_notifier.outbox import SharedOutbox
    url, site, park, name, count, topics = sys.argv[1:7]
    outbox = SharedOutbox(url, Credentials(site, "bot@example.com", "x" * 32), park, timeout=0.5,
                          forward_in_background=False)
    for i in range(int(count)):
        outbox.put(Message.to_stream("general", f"topic {i % int(topics)}", f"{name} {i}"))
        time.sleep(0.1)
    outbox.close(60)
""")


def start_service(url, rc, log_path, lease=3.0):
    with open(log_path, "w") as log:
        return subprocess.Popen([sys.executable, "-m", "wyzepal_notifier", "outbox", "serve", "--outbox-url", url,
                                 "--config", rc, "--lease", str(lease), "--rate-limit", "100/4", "-v"],
                                env=environment(), stdout=subprocess.DEVNULL, stderr=log, text=True)


def test_ten_producers_three_services_a_killed_service_a_redis_restart_a_server_outage(
        redis_server, devserver_factory, tmp_path, rc_for):
    """Every message delivered once, in order per producer and topic, whatever fails on the way."""
    server = devserver_factory(streams=["general"], rate_limit="100/4")
    rc = rc_for(server)
    producers, per_producer, topics = 10, 20, 4
    # The first service meets a server that takes its post and holds the answer: it is killed meanwhile.
    server.faults.delay_answer(30.0, n=1, path="messages", method="POST")
    logs = [tmp_path / f"service{i}.log" for i in range(3)]
    phases = {}
    services = [start_service(redis_server.url, rc, logs[0])]
    running = [subprocess.Popen([sys.executable, "-c", PRODUCER, redis_server.url, server.site,
                                 str(tmp_path / f"park{p}.sqlite3"), f"p{p}", str(per_producer), str(topics)],
                                env=environment(), stderr=subprocess.PIPE, text=True) for p in range(producers)]
    total = producers * per_producer
    wait_until(lambda: not server.faults.pending() and server.messages("general"), what="the held answer")
    services[0].send_signal(signal.SIGKILL)  # mid-delivery: the server has the post, the service never knew
    phases["killed"] = time.time()
    services += [start_service(redis_server.url, rc, logs[1]), start_service(redis_server.url, rc, logs[2])]
    wait_until(lambda: len(server.messages("general")) >= total // 4, timeout=40, what="a quarter delivered")
    phases["redis down"] = time.time()
    redis_server.restart()  # SIGKILL and start again: what it said it had, it has (AOF, fsync always)
    phases["redis up"] = time.time()
    wait_until(lambda: len(server.messages("general")) >= total // 2, timeout=40, what="half delivered")
    phases["chat down"] = time.time()
    server.stop()
    time.sleep(2.0)
    server.start()
    phases["chat up"] = time.time()
    try:
        for producer in running:
            assert producer.wait(60) == 0, producer.stderr.read()
        wait_until(lambda: len(server.messages("general")) >= total, timeout=60, what="everything delivered")
        time.sleep(1.0)  # a duplicate would show now
    finally:
        for service in services:
            service.terminate()
        for service in services:
            service.wait(20)
    seen = collections.defaultdict(list)
    for message in server.messages("general"):
        name, number = message["content"].split()
        seen[(name, message["subject"])].append(int(number))
    delivered = sorted((name, n) for (name, _), numbers in seen.items() for n in numbers)
    expected = sorted((f"p{p}", i) for p in range(producers) for i in range(per_producer))
    extra = collections.Counter(delivered) - collections.Counter(expected)
    twice = [(m["id"], m["content"], m["timestamp"]) for m in server.messages("general")
             if tuple(m["content"].split()) in {(n, str(i)) for n, i in extra}]
    assert delivered == expected, (extra, twice, phases, [p.read_text()[-3000:] for p in logs])  # once each
    for numbers in seen.values():
        assert numbers == sorted(numbers)  # in order per producer and topic
    assert RedisStore(redis_server.url).status().pending == 0
    too_many = [r for r in server.requests if r.status == 429]
    window_count = (max(r.time for r in server.requests) - min(r.time for r in server.requests)) / 4 + 1
    assert len(too_many) <= window_count, too_many  # at most one 429 per window, site-wide


@pytest.fixture
def rc_for(tmp_path):
    def make(server):
        path = tmp_path / "service-wyzepalrc"
        server.write_wyzepalrc(str(path), BOT)
        path.chmod(0o600)
        return str(path)
    return make


def test_services_share_one_rate_limit_per_bot_learned_from_the_headers(redis_server, devserver_factory, tmp_path):
    server = devserver_factory(streams=["general"], rate_limit="20/2")
    outbox = shared(redis_server, server, tmp_path)
    for i in range(40):
        outbox.put(Message.to_stream("general", f"topic {i % 6}", f"m {i}"))
    services = [Service(redis_server.url, server, rate=(5, 2.0)) for _ in range(3)]  # a low default at first
    store = RedisStore(redis_server.url)
    try:
        wait_until(lambda: store.pending_count() == 0, timeout=40, what="the drain")
    finally:
        for service in services:
            service.close()
    assert len(contents(server)) == 40
    gate = store.redis.hgetall("wyzepal:outbox:rl:1")
    assert gate["limit"] == "20" and 2.0 <= float(gate["window"]) < 3.5  # from X-RateLimit-*, not the default
    first = min(r.time for r in server.requests)
    took = max(r.time for r in server.requests) - first
    too_many = [r for r in server.requests if r.status == 429]
    assert len(too_many) <= 1, too_many  # three services, one limit (with each its own gate: 4 to 8 of them)
    # Faster than the default alone would allow (5 per 2 s): the server's limit took over.
    assert took < (40 / 5) * 2


def test_a_service_leaves_the_rows_of_a_bot_it_has_no_key_for(redis_server, server, tmp_path):
    server.add_user("other@example.com", "y" * 32, "Other")
    other = SharedOutbox(redis_server.url, Credentials(server.site, "other@example.com", "y" * 32),
                         tmp_path / "other.sqlite3", forward_in_background=False)
    other.put(Message.to_stream("general", "t", "from the other bot"))
    mine = shared(redis_server, server, tmp_path)
    mine.put(Message.to_stream("general", "t", "from mine"))
    service = Service(redis_server.url, server)  # has only BOT's key
    store = RedisStore(redis_server.url)
    try:
        wait_until(lambda: contents(server) == ["from mine"], what="the bot it has a key for")
        time.sleep(1.0)
        assert store.pending_count() == 1  # the other bot's row waits for a service with its key
    finally:
        service.close()


def test_a_worker_whose_lease_ran_out_does_not_send(redis_server, server, tmp_path):
    """A stalled worker (its lease gone, another took the key) must not send the post the other now sends."""
    from wyzepal_notifier.outbox.redis_store import LeaseLost

    outbox = shared(redis_server, server, tmp_path)
    outbox.put(Message.to_stream("general", "t", "one"))
    credentials = {(server.site, BOT): Credentials(server.site, BOT, KEY)}
    stalled, other = RedisStore(redis_server.url, credentials=credentials), RedisStore(redis_server.url,
                                                                                      credentials=credentials)
    row = stalled.claim("stalled", lease=0.3)[0]
    time.sleep(0.5)
    assert [r.id for r in other.claim("other", lease=30)] == [row.id]  # the key changed hands
    with pytest.raises(LeaseLost):
        stalled.note_attempt(row, {"since": time.time(), "local_ids": ["1.1.x"], "queue_id": None})
    stalled.retry_later(row, "stalled", "stalled", 60.0)  # what the courier does then: no effect on the key
    assert other.redis.zscore("wyzepal:outbox:due", other._stream_of(row)) <= time.time()
    other.note_attempt(row, {"since": time.time(), "local_ids": ["1.1.y"], "queue_id": None})  # the holder may


def test_the_first_429_makes_the_learned_window_a_second_longer_once(redis_server):
    """A server rounding X-RateLimit-Reset down (Zulip) makes the window look short: one 429 corrects it."""
    store = RedisStore(redis_server.url)
    gate = store.rate_gate(1, limit=0, window=60.0)
    assert gate.start() == 0.0  # no limit known yet: goes
    now = time.time()
    gate.finish({"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "9", "X-RateLimit-Reset": str(int(now + 4))},
                started=now)
    learned = float(store.redis.hget("wyzepal:outbox:rl:1", "window"))
    assert 3.0 < learned <= 4.0
    for _ in range(9):
        assert gate.start() == 0.0
    assert gate.start() > 0  # the tenth within the window waits: the limit from the header holds site-wide
    gate.hold_until(time.time() + 1)
    gate.hold_until(time.time() + 1)
    assert float(store.redis.hget("wyzepal:outbox:rl:1", "window")) == pytest.approx(learned + 1.0)
    gate.finish({"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "9", "X-RateLimit-Reset": str(int(now + 4))},
                started=now)
    assert float(store.redis.hget("wyzepal:outbox:rl:1", "window")) == pytest.approx(learned + 1.0)  # kept
