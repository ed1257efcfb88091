"""Delivery from a process of its own: tracd only appends; the process lingers, and leaves when Trac is gone."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tracrig import BOT_EMAIL, BOT_KEY


def delivery_processes(spool: Path) -> list[tuple[int, list[str]]]:
    """(pid, argv) of every delivery process (the library's worker) of ``spool``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if "wyzepal_notifier.outbox.worker" in argv and str(spool) in argv:
            found.append((int(entry.name), argv))
    return found


def wait_until(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_tracd_delivers_from_a_process_of_its_own_which_stays_for_the_next_ticket(tracd, browser, fresh_chat):
    spool = tracd.config_path.parent / "outbox.sqlite3"  # the rig's OUTBOX_PATH
    tracd.ticket_id(tracd.new_ticket(browser, summary="First"))
    fresh_chat.wait_for_messages(1, timeout=15)
    [(pid, argv)] = wait_until(lambda: delivery_processes(spool))
    assert argv[argv.index("--parent") + 1] == str(tracd.process.pid)
    tracd.ticket_id(tracd.new_ticket(browser, summary="Second"))
    fresh_chat.wait_for_messages(2, timeout=15)
    assert [found for found, _ in delivery_processes(spool)] == [pid]  # the same one delivered it


def test_the_delivery_process_leaves_when_trac_is_gone(tmp_path, fresh_chat):
    from wyzepal_notifier import Message
    from wyzepal_notifier.config.credentials import Credentials
    from wyzepal_notifier.outbox import Spool

    spool_path = tmp_path / "spool.sqlite3"
    spool = Spool(spool_path)
    sender = spool.save_sender(Credentials(fresh_chat.site, BOT_EMAIL, BOT_KEY), "WyzePalTrac", "test")
    spool.append(sender, Message.to_stream("trac", "t", "from the delivery process").checked())
    spool.close()
    trac = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # stands for tracd
    worker = subprocess.Popen([sys.executable, "-m", "wyzepal_notifier.outbox.worker", "--outbox", str(spool_path),
                               "--parent", str(trac.pid), "--linger", "600"])
    try:
        [message] = fresh_chat.wait_for_messages(1, timeout=15)
        assert message["content"] == "from the delivery process"
        time.sleep(0.5)
        assert worker.poll() is None  # idle, but Trac is there: it stays
        trac.kill()
        trac.wait()
        assert worker.wait(15) == 0
    finally:
        for process in (trac, worker):
            if process.poll() is None:
                process.kill()
                process.wait()


def test_with_the_server_unreachable_and_trac_gone_it_leaves_the_messages_in_the_spool(tmp_path):
    from tracd_rig import free_port
    from wyzepal_notifier import Message
    from wyzepal_notifier.config.credentials import Credentials
    from wyzepal_notifier.outbox import Spool

    spool_path = tmp_path / "spool.sqlite3"
    spool = Spool(spool_path)
    sender = spool.save_sender(Credentials(f"http://127.0.0.1:{free_port()}", BOT_EMAIL, BOT_KEY), "T", "t")
    spool.append(sender, Message.to_stream("trac", "t", "waits").checked())
    spool.close()
    trac = subprocess.Popen([sys.executable, "-c", "pass"])
    trac.wait()
    worker = subprocess.Popen([sys.executable, "-m", "wyzepal_notifier.outbox.worker", "--outbox", str(spool_path),
                               "--parent", str(trac.pid), "--linger", "600", "--give-up-after", "1"])
    try:
        assert worker.wait(30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    spool = Spool(spool_path, create=False)
    try:
        assert spool.pending_count() == 1
    finally:
        spool.close()


def test_a_forked_child_appends_through_its_own_connection(make_trac, fresh_chat):
    """SQLite forbids using a connection across fork(): a pre-forking server's child opens its own."""
    import os

    trac = make_trac()
    trac.create_ticket(summary="Parent")
    assert trac.flush()
    outbox = trac.notifier.announcer.integration().outbox
    child = os.fork()
    if child == 0:  # a pre-forking server's worker process
        try:
            inherited = outbox._spool
            trac.create_ticket(summary="Child")
            os._exit(0 if outbox._spool is not inherited and outbox.flush(15) else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert sorted(m["subject"] for m in fresh_chat.messages()) == ["#1: Parent", "#2: Child"]
