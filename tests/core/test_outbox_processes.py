"""The outbox across processes: ``send --outbox``, detached and killed workers, shared spools, the CLI."""
from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import wyzepal_notifier
from wyzepal_notifier import Credentials, Message
from wyzepal_notifier.outbox import Outbox, Spool
from wyzepal_notifier.outbox.worker import worker_lock

BOT, KEY = "bot@example.com", "x" * 32
LIBRARY_ROOT = str(Path(wyzepal_notifier.__file__).resolve().parent.parent)


def environment(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WYZEPAL_")}
    env["PYTHONPATH"] = os.pathsep.join([LIBRARY_ROOT, env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def cli(*args, **extra_env):
    return subprocess.run([sys.executable, "-m", "wyzepal_notifier", *args], capture_output=True, text=True,
                          env=environment(**extra_env), timeout=60)


@pytest.fixture
def rc(devserver, tmp_path):
    path = tmp_path / "wyzepalrc"
    devserver.write_wyzepalrc(str(path), BOT)
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def spool_path(tmp_path):
    return tmp_path / "spool" / "outbox.sqlite3"


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def worker_has_exited(spool_path):
    with worker_lock(spool_path) as mine:
        return mine


def fill(server, spool_path, topics, per_topic):
    spool = Spool(spool_path)
    sender = spool.save_sender(Credentials(server.site, BOT, KEY), "OutboxTest", "1")
    for i in range(per_topic):
        for topic in topics:
            spool.append(sender, Message.to_stream("general", topic, f"{topic}-{i}"))
    spool.close()


def delivered_by_topic(server, stream="general"):
    by_topic = collections.defaultdict(list)
    for message in server.messages(stream):
        by_topic[message["subject"]].append(message["content"])
    return by_topic


def test_send_outbox_returns_at_once_and_a_detached_worker_delivers(devserver, rc, spool_path):
    result = cli("send", "--outbox", str(spool_path), "--config", rc, "--stream", "ci", "--topic", "hook",
                 "--content", "pushed 3 commits")
    assert result.returncode == 0, result.stderr
    devserver.wait_for_messages(1, stream="ci")
    assert [m["content"] for m in devserver.messages("ci")] == ["pushed 3 commits"]
    wait_until(lambda: worker_has_exited(spool_path))  # the worker leaves once the spool is empty
    assert Spool(spool_path).status().delivered == 1


def test_send_outbox_while_the_server_is_down_waits_for_outbox_flush(devserver, rc, spool_path):
    devserver.stop()
    result = cli("send", "--outbox", str(spool_path), "--config", rc, "--stream", "general", "--topic", "hook",
                 "--content", "queued while down")
    assert result.returncode == 0, result.stderr
    status = cli("outbox", "status", "--outbox", str(spool_path))
    assert status.returncode == 0 and "pending:   1" in status.stdout and "oldest pending: queued" in status.stdout
    devserver.start()
    flushed = cli("outbox", "flush", "--outbox", str(spool_path))
    assert flushed.returncode == 0, flushed.stderr
    wait_until(lambda: Spool(spool_path).status().pending == 0)
    assert [m["content"] for m in devserver.messages()] == ["queued while down"]


def test_dead_messages_show_in_status_and_go_out_with_retry_after_the_fix(devserver, rc, spool_path):
    cli("send", "--outbox", str(spool_path), "--config", rc, "--stream", "releases", "--topic", "v2",
        "--content", "released")
    wait_until(lambda: Spool(spool_path).status().dead == 1)
    status = cli("outbox", "status", "--outbox", str(spool_path))
    assert status.returncode == 1
    assert "dead:      1" in status.stdout and "#releases > v2" in status.stdout and "does not exist" in status.stdout
    assert "outbox retry" in status.stdout and "last error (" in status.stdout
    assert KEY not in status.stdout + status.stderr
    devserver.add_stream("releases")
    retried = cli("outbox", "retry", "--outbox", str(spool_path))
    assert retried.returncode == 0, retried.stderr
    assert "1 dead message queued again" in retried.stdout and "1 delivered" in retried.stdout
    assert [m["content"] for m in devserver.messages("releases")] == ["released"]


def test_retry_with_a_fixed_config_sends_as_that_bot(devserver, tmp_path, spool_path):
    bad_rc = tmp_path / "bad-rc"
    bad_rc.write_text(f"[api]\nemail={BOT}\nkey=wrong\nsite={devserver.site}\n")
    bad_rc.chmod(0o600)
    cli("send", "--outbox", str(spool_path), "--config", str(bad_rc), "--stream", "ci", "--topic", "t",
        "--content", "with a typo in the key")
    wait_until(lambda: Spool(spool_path).status().dead == 1)
    good_rc = tmp_path / "good-rc"
    devserver.write_wyzepalrc(str(good_rc), BOT)
    good_rc.chmod(0o600)
    retried = cli("outbox", "retry", "--outbox", str(spool_path), "--config", str(good_rc))
    assert retried.returncode == 0, retried.stderr
    assert [m["content"] for m in devserver.messages("ci")] == ["with a typo in the key"]


def test_a_spool_that_does_not_exist_is_bad_usage(tmp_path):
    for action in ("status", "flush", "retry"):
        result = cli("outbox", action, "--outbox", str(tmp_path / "typo.sqlite3"))
        assert result.returncode == 2 and "typo.sqlite3" in result.stderr, action
    assert not (tmp_path / "typo.sqlite3").exists()


def test_flush_delivers_a_backlog_showing_progress(devserver, spool_path):
    fill(devserver, spool_path, ["a", "b", "c"], 60)
    devserver.faults.delay(0.03, path="messages")  # topics go side by side: ~2 s, so progress is shown
    result = cli("outbox", "flush", "--outbox", str(spool_path))
    assert result.returncode == 0, result.stderr
    assert "delivering 180 messages" in result.stderr and "to go" in result.stderr
    assert "180 delivered, 0 still waiting, 0 dead" in result.stdout
    by_topic = delivered_by_topic(devserver)
    assert all(by_topic[t] == [f"{t}-{i}" for i in range(60)] for t in "abc")


def test_a_worker_killed_mid_delivery_is_replaced_and_nothing_is_lost(devserver, spool_path):
    topics = ["a", "b", "c"]
    fill(devserver, spool_path, topics, 10)
    devserver.faults.delay(0.05, path="messages")
    command = [sys.executable, "-m", "wyzepal_notifier.outbox.worker", "--outbox", str(spool_path)]
    first = subprocess.Popen(command, env=environment())
    wait_until(lambda: len(devserver.messages()) >= 8)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert Spool(spool_path).status().pending > 0, "killed with work left to do"
    second = subprocess.Popen(command, env=environment())
    assert second.wait(30) == 0
    contents = [m["content"] for m in devserver.messages()]
    counts = collections.Counter(contents)
    repeats = [content for content, n in counts.items() if n > 1]
    assert set(counts) == {f"{t}-{i}" for t in topics for i in range(10)}
    assert len(repeats) <= 1 and all(counts[c] == 2 for c in repeats), "only the one in flight may repeat"
    for topic in topics:
        first_seen = list(dict.fromkeys(c for c in contents if c.startswith(topic)))
        assert first_seen == [f"{topic}-{i}" for i in range(10)]


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no process priorities here")
def test_a_detached_worker_runs_below_its_host_and_delivers(devserver, spool_path):
    """The push or commit that starts a worker must not wait for the CPU the worker's start takes."""
    from wyzepal_notifier.outbox.detached import start_worker
    from wyzepal_notifier.outbox.worker import NICENESS

    fill(devserver, spool_path, ["a"], 3)
    devserver.faults.delay(0.5, path="messages")  # so the worker is still there to be looked at
    worker = start_worker(spool_path)
    try:
        wait_until(lambda: any(r.path.endswith("/messages") for r in devserver.requests) or worker.poll() is not None)
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)
        assert worker.wait(30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert [m["content"] for m in devserver.messages()] == ["a-0", "a-1", "a-2"]


KILLED_HOST = textwrap.dedent("""
    import sys, time
    from wyzepal_notifier import Credentials, Message
    from wyzepal_notifier.outbox import Outbox
    site, path = sys.argv[1:3]
    outbox = Outbox(path, Credentials(site, "bot@example.com", "x" * 32))
    for i in range(10):
        for topic in ("a", "b", "c"):
            outbox.put(Message.to_stream("general", topic, f"{topic}-{i}"))
    time.sleep(120)  # a host busy with other things, until it is killed
""")


def test_a_host_killed_mid_delivery_loses_nothing_when_it_starts_again(devserver, spool_path, tmp_path):
    script = tmp_path / "host.py"
    script.write_text(KILLED_HOST)
    devserver.faults.delay(0.05, path="messages")
    host = subprocess.Popen([sys.executable, str(script), devserver.site, str(spool_path)], env=environment())
    try:
        wait_until(lambda: len(devserver.messages()) >= 5, timeout=30)
    finally:
        host.send_signal(signal.SIGKILL)
        host.wait(10)
    assert Spool(spool_path).status().pending > 0, "killed with work left to do"
    # The host starts again: its outbox finds the leftovers and the dead worker's leases, and delivers.
    restarted = Outbox(spool_path, Credentials(devserver.site, BOT, KEY))
    try:
        assert restarted.flush(30), "a dead process's lease held the spool"
    finally:
        restarted.close(5)
    contents = [m["content"] for m in devserver.messages()]
    counts = collections.Counter(contents)
    assert set(counts) == {f"{t}-{i}" for t in "abc" for i in range(10)}
    repeats = [content for content, n in counts.items() if n > 1]
    assert len(repeats) <= 1 and all(counts[c] == 2 for c in repeats), "only the one in flight may repeat"
    for topic in "abc":
        assert list(dict.fromkeys(c for c in contents if c.startswith(topic))) == [f"{topic}-{i}" for i in range(10)]


FORKING_HOST = textwrap.dedent("""
    import os, sys, time
    from wyzepal_notifier import Credentials, Message
    from wyzepal_notifier.outbox import Outbox
    site, path = sys.argv[1:3]
    outbox = Outbox(path, Credentials(site, "bot@example.com", "x" * 32))
    outbox.put(Message.to_stream("general", "parent", "queued before the fork"))
    time.sleep(0.2)  # the parent's worker is now inside its (slow) request, holding its locks and lease
    child = os.fork()
    if child == 0:  # a pre-forking server's worker (gunicorn, tracd -d) sending its own notification
        outbox.put(Message.to_stream("general", "child", "queued in the child"))
        outbox.close(10)
        os._exit(0)
    deadline = time.monotonic() + 20
    while not os.waitpid(child, os.WNOHANG)[0]:
        if time.monotonic() > deadline:
            os.kill(child, 9)
            sys.exit("the child's put hung")
        time.sleep(0.02)
    outbox.close(10)
""")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_queues_and_delivers_with_its_own_connection(devserver, spool_path, tmp_path):
    script = tmp_path / "host.py"
    script.write_text(FORKING_HOST)
    devserver.faults.delay(1.0, n=1, path="messages")
    result = subprocess.run([sys.executable, str(script), devserver.site, str(spool_path)], env=environment(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert sorted(m["content"] for m in devserver.messages()) == ["queued before the fork", "queued in the child"]


HOST_PROCESS = textwrap.dedent("""
    import sys
    from wyzepal_notifier import Credentials, Message
    from wyzepal_notifier.outbox import Outbox
    site, path, tag = sys.argv[1:4]
    outbox = Outbox(path, Credentials(site, "bot@example.com", "x" * 32))
    for i in range(20):
        for topic in ("t0", "t1"):
            outbox.put(Message.to_stream("general", topic, f"{tag}-{topic}-{i}"))
    ok = outbox.flush(30)
    outbox.close(5)
    sys.exit(0 if ok else 1)
""")


def test_two_host_processes_sharing_one_spool_send_nothing_twice(devserver, spool_path, tmp_path):
    script = tmp_path / "host.py"
    script.write_text(HOST_PROCESS)
    spool_path.parent.mkdir(mode=0o700)
    hosts = [subprocess.Popen([sys.executable, str(script), devserver.site, str(spool_path), tag],
                              env=environment()) for tag in ("p1", "p2")]
    assert [host.wait(60) for host in hosts] == [0, 0]
    contents = [m["content"] for m in devserver.messages()]
    assert len(contents) == len(set(contents)) == 80
    posts = [r for r in devserver.requests if r.path.endswith("/messages") and r.method == "POST"]
    assert len(posts) == 80
    for tag in ("p1", "p2"):
        for topic in ("t0", "t1"):
            mine = [c for c in contents if c.startswith(f"{tag}-{topic}-")]
            assert mine == [f"{tag}-{topic}-{i}" for i in range(20)]


EXITING_HOST = textwrap.dedent("""
    import sys
    from wyzepal_notifier import Credentials, Message
    from wyzepal_notifier.outbox import Outbox
    site, path = sys.argv[1:3]
    outbox = Outbox(path, Credentials(site, "bot@example.com", "x" * 32))
    outbox.put(Message.to_stream("general", "exit", "sent on the way out"))
    # no flush, no close: the host just ends
""")


def test_at_exit_the_host_flushes_what_it_queued(devserver, spool_path, tmp_path):
    script = tmp_path / "host.py"
    script.write_text(EXITING_HOST)
    subprocess.run([sys.executable, str(script), devserver.site, str(spool_path)], env=environment(),
                   check=True, timeout=30)
    assert [m["content"] for m in devserver.messages()] == ["sent on the way out"]


def test_at_exit_a_down_server_costs_the_host_only_the_exit_timeout(devserver, spool_path, tmp_path):
    script = tmp_path / "host.py"
    script.write_text(EXITING_HOST)
    devserver.stop()
    started = time.monotonic()
    subprocess.run([sys.executable, str(script), devserver.site, str(spool_path)], check=True, timeout=30,
                   env=environment(WYZEPAL_OUTBOX_EXIT_TIMEOUT="0.5"))
    assert time.monotonic() - started < 5, "the host's exit waited for a server that is down"
    assert Spool(spool_path).status().pending == 1, "and the message waits in the spool"


def test_status_as_json_of_the_spool_named_by_the_environment(devserver, spool_path):
    fill(devserver, spool_path, ["a"], 2)
    result = cli("outbox", "status", "--json", WYZEPAL_OUTBOX=str(spool_path))
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert (status["path"], status["pending"], status["dead"]) == (str(spool_path), 2, 0)
    assert status["oldest_pending"] <= time.time()


def test_a_short_lived_host_hands_what_is_left_to_a_detached_worker(devserver, spool_path):
    site = devserver.site
    devserver.stop()  # the chat server is down while the build step runs
    outbox = Outbox(spool_path, Credentials(site, BOT, KEY), exit_timeout=0.2)
    outbox.put(Message.to_stream("ci", "build 7", "failed"))
    outbox.close(0.2, hand_over=True)  # the step exits; nothing of it remains to deliver
    assert Spool(spool_path, create=False).status().pending == 1
    devserver.start()
    arrived = devserver.wait_for_messages(1, stream="ci", timeout=30)
    assert [m["content"] for m in arrived] == ["failed"]
    wait_until(lambda: worker_has_exited(spool_path), timeout=30)
