"""Nothing a host's disk or files can do loses a notice silently.

Tables of hostile cases, each on real files and real SQLite: a damaged spool
(bytes overwritten, cut short, not SQLite at all), a spool that cannot be
written (a read-only file or folder, a disk that fills while the host runs),
and spools with loose permissions or another owner. For each, both kinds of
outbox: a hook's ``HandOverOutbox`` (about to exit: never keeps a notice in
memory only) and a long-running host's threaded ``Outbox``. The promise:
the message is kept (in the spool salvaged in place or in a fallback spool),
what the damaged file held is salvaged, the log names both paths, and
``flush()`` is never True for what no spool holds.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from wyzepal_notifier import Credentials, Message
from wyzepal_notifier.config import settings_from_values
from wyzepal_notifier.outbox import HandOverOutbox, Outbox, Spool
from wyzepal_notifier.outbox.paths import open_with_fallback

SITE = "http://127.0.0.1:9"  # nothing listens: every message stays pending, where the test can count it
BOT, KEY = "bot@example.com", "losses-test-key-0123456789abcdef"
CREDS = Credentials(SITE, BOT, KEY)
ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch):
    """The fallback spools go to a temp folder of this test's own."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def fallback_spools(private_tmp: Path) -> list[Path]:
    return sorted(private_tmp.glob("wyzepal-integrations-*/*.sqlite3"))


def bodies(path: Path) -> list[str]:
    """The contents of the pending posts of a spool, read with plain sqlite3."""
    with contextlib.closing(sqlite3.connect(str(path))) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'messages'").fetchone():
            return []  # a fallback the full disk never let become a spool
        rows = db.execute("SELECT body FROM messages WHERE state = 'pending' AND kind = 'post' ORDER BY id")
        return [json.loads(body)["content"] for (body,) in rows]


def hook(path: Path, tool: str = "git") -> HandOverOutbox:
    settings = settings_from_values({"WYZEPAL_SITE": SITE, "WYZEPAL_USER": BOT, "WYZEPAL_API_KEY": KEY,
                                     "OUTBOX_PATH": str(path), "STREAM_FOR_NOTIFICATIONS": "commits"},
                                    str(path.parent / "cfg.py"), [])
    return HandOverOutbox(tool, settings, "Test", "1", start=lambda *a, **k: None)


def threaded(path: Path) -> Outbox:
    """As ``Outbox.for_integration`` opens a plugin's outbox."""
    return open_with_fallback("git", path, lambda place: Outbox(place, CREDS, exit_timeout=0.1))


def message(n: int, size: int = 0) -> Message:
    return Message.to_stream("commits", "main", f"notice {n}" + "x" * size)


def full_spool(path: Path, n: int = 40) -> Path:
    """A spool with ``n`` pending notices, its log folded into the file, closed."""
    spool = Spool(path)
    sender = spool.save_sender(CREDS, "Test", "1")
    for i in range(n):
        spool.append(sender, message(i, 300))
    spool._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    spool.close()
    return path


# -- damaged spools: moved aside, salvaged, a fresh one takes the message --------------------------------------


def overwrite_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    middle = (len(data) // page // 2) * page
    data[middle:middle + page] = b"\xde\xad\xbe\xef" * (page // 4)
    path.write_bytes(bytes(data))


def overwrite_scattered(path: Path) -> None:
    """The headers of every third page after the first."""
    data = bytearray(path.read_bytes())
    for at in range(4096 * 2, len(data), 4096 * 3):
        data[at:at + 12] = b"\xff" * 12
    path.write_bytes(bytes(data))


def cut_short(path: Path) -> None:
    """The last pages gone (a copy or a crash that stopped early); the newest rows are at the end."""
    pages = path.stat().st_size // 4096
    with open(path, "r+b") as file:
        file.truncate((pages - 4) * 4096)


def cut_to_a_page(path: Path) -> None:
    with open(path, "r+b") as file:
        file.truncate(4096)


def cut_mid_page(path: Path) -> None:
    with open(path, "r+b") as file:
        file.truncate(path.stat().st_size - 1000)


def zero_the_schema_page(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[100:4096] = bytes(4096 - 100)
    path.write_bytes(bytes(data))


DAMAGES = [overwrite_middle, overwrite_scattered, cut_short, cut_to_a_page, cut_mid_page, zero_the_schema_page]
HOSTS = {"hook": hook, "long-running": threaded}


@pytest.mark.parametrize("damage", DAMAGES, ids=[d.__name__ for d in DAMAGES])
@pytest.mark.parametrize("host", list(HOSTS))
def test_a_damaged_spool_is_salvaged_and_takes_the_next_message(tmp_path, private_tmp, caplog, damage, host):
    path = full_spool(tmp_path / "git-outbox.sqlite3")
    damage(path)
    caplog.set_level(logging.WARNING, "wyzepal_notifier")

    outbox = HOSTS[host](path)
    outbox.put(message(999))
    assert outbox.flush(0) is False  # pending (nothing listens), never "delivered"
    outbox.close(0)

    aside = [p for p in tmp_path.glob("git-outbox.sqlite3.damaged-*") if not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1
    assert oct(aside[0].stat().st_mode & 0o777) == "0o600"
    kept = bodies(path) + [b for spare in fallback_spools(private_tmp) for b in bodies(spare)]
    assert "notice 999" in kept
    salvaged = [b for b in kept if b != "notice 999"]
    assert salvaged == sorted(salvaged, key=lambda b: int(b.split()[1][:2].rstrip("x")))  # in their order
    logged = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert str(aside[0]) in logged and str(path) in logged


@pytest.mark.parametrize("damage", [overwrite_middle, cut_short, cut_mid_page], ids=lambda d: d.__name__)
def test_what_a_damaged_spool_still_holds_is_kept(tmp_path, damage):
    path = full_spool(tmp_path / "git-outbox.sqlite3")
    damage(path)
    from wyzepal_notifier.outbox.salvage import salvage

    result = salvage(path)
    kept = bodies(path)
    assert result.pending == len(kept) and kept, result.describe()
    assert all(k.startswith("notice ") for k in kept)
    spool = Spool(path)  # a whole spool again, its sender readable
    assert spool.sender(1).credentials.api_key == KEY
    spool.close()


LONG = {7: 6_000, 21: 20_000}  # notices longer than a page: their rows go on in overflow pages


def spool_with_long_rows(path: Path) -> Path:
    spool = Spool(path)
    sender = spool.save_sender(CREDS, "Test", "1")
    for i in range(30):
        spool.append(sender, message(i, LONG.get(i, 300)))
    spool._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    spool.close()
    return path


def test_rows_longer_than_a_page_are_read_back_from_their_overflow_pages(tmp_path):
    from wyzepal_notifier.outbox.salvage import salvage

    path = spool_with_long_rows(tmp_path / "git-outbox.sqlite3")
    zero_the_schema_page(path)  # SQLite reads nothing: every row comes from the page scan
    salvage(path)
    kept = bodies(path)
    assert kept == [message(i, LONG.get(i, 300)).content for i in range(30)]


def test_a_long_row_whose_overflow_pages_are_gone_is_left_out_whole(tmp_path):
    from wyzepal_notifier.outbox.salvage import salvage

    path = spool_with_long_rows(tmp_path / "git-outbox.sqlite3")
    zero_the_schema_page(path)
    with open(path, "r+b") as file:  # the last pages gone: the 20,000-character notice's chain runs into nothing
        file.truncate(path.stat().st_size - 3 * 4096)
    salvage(path)
    kept = bodies(path)
    assert kept, "the rows on intact pages are kept"
    complete = {message(i, LONG.get(i, 300)).content for i in range(30)}
    assert all(body in complete for body in kept), "a row is kept whole or not at all"


def test_a_file_that_is_not_sqlite_is_left_alone_and_a_fallback_takes_the_message(tmp_path, private_tmp, caplog):
    notes = tmp_path / "git-outbox.sqlite3"
    notes.write_text("someone's notes, not a spool\n" * 100)
    outbox = hook(notes)
    outbox.put(message(1))
    outbox.close()
    assert notes.read_text().startswith("someone's notes")
    assert [b for spare in fallback_spools(private_tmp) for b in bodies(spare)] == ["notice 1"]


# -- outbox status and salvage on a damaged spool ------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wyzepal_notifier.cli.main", *args], capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("damage", [overwrite_middle, cut_short], ids=lambda d: d.__name__)
def test_outbox_status_on_a_damaged_spool_says_how_to_salvage_it(tmp_path, damage):
    path = full_spool(tmp_path / "cli-outbox.sqlite3")
    damage(path)
    status = cli("outbox", "status", "--outbox", str(path))
    assert status.returncode == 2 and "Traceback" not in status.stderr
    assert "damaged" in status.stderr and f"outbox salvage --outbox {path}" in status.stderr

    salvaged = cli("outbox", "salvage", "--outbox", str(path))
    assert salvaged.returncode == 0, salvaged.stderr
    assert "moved aside" in salvaged.stdout and str(path) in salvaged.stdout
    again = cli("outbox", "status", "--outbox", str(path))
    assert again.returncode == 0 and "pending:" in again.stdout


# -- spools that cannot be written ---------------------------------------------------------------------------


@contextlib.contextmanager
def read_only(target: Path):
    """``target`` (a file or folder) cannot be written by this process: chmod, or for root a read-only bind mount."""
    if not ROOT:
        old = target.stat().st_mode
        target.chmod(0o555 if target.is_dir() else 0o444)
        try:
            yield
        finally:
            target.chmod(old)
        return
    subprocess.run(["mount", "--bind", str(target), str(target)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(target), str(target)], check=True)
        yield
    finally:
        subprocess.run(["umount", "-l", str(target)], check=True)  # lazily: a test's connection may hold it


@pytest.mark.parametrize("which", ["file", "folder"])
@pytest.mark.parametrize("host", list(HOSTS))
@pytest.mark.parametrize("when", ["before opening"])  # after: the open file stays writable (the disk-full case)
def test_a_spool_that_cannot_be_written_sends_the_message_to_a_fallback(tmp_path, private_tmp, caplog,
                                                                         which, host, when):
    folder = tmp_path / "spools"
    folder.mkdir(mode=0o700)
    path = full_spool(folder / "git-outbox.sqlite3", n=3)
    caplog.set_level(logging.WARNING, "wyzepal_notifier")
    target = path if which == "file" else folder
    with contextlib.ExitStack() as stack:
        if when == "before opening":
            stack.enter_context(read_only(target))
        outbox = HOSTS[host](path)
        if when == "after opening":
            outbox.put(message(1))  # the spool took this one
            stack.enter_context(read_only(target))
        outbox.put(message(2))
        outbox.put(message(3))
        flushed = outbox.flush(0)
        outbox.close(0)
    spares = fallback_spools(private_tmp)
    kept = bodies(path) + [b for spare in spares for b in bodies(spare)]
    assert {"notice 2", "notice 3"} <= set(kept) and flushed is False
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert str(path) in logged and any(str(spare) in logged for spare in spares)


FILLING = textwrap.dedent("""
    import faulthandler, json, logging, resource, signal, sys
    faulthandler.dump_traceback_later(40, exit=True)  # a hang shows where it is
    from pathlib import Path
    from wyzepal_notifier import Credentials, Message
    from wyzepal_notifier.config import settings_from_values
    from wyzepal_notifier.outbox import HandOverOutbox, Outbox

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    host, path, fallback_ok = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "yes"
    if host == "hook":
        settings = settings_from_values({"WYZEPAL_SITE": "http://127.0.0.1:9", "WYZEPAL_USER": "bot@example.com",
                                         "WYZEPAL_API_KEY": "k" * 32, "OUTBOX_PATH": str(path),
                                         "STREAM_FOR_NOTIFICATIONS": "c"}, str(path.parent / "cfg.py"), [])
        outbox = HandOverOutbox("git", settings, "T", "1", start=lambda *a, **k: None)
    else:
        outbox = Outbox(path, Credentials("http://127.0.0.1:9", "bot@example.com", "k" * 32), exit_timeout=0.1)
    outbox.put(Message.to_stream("c", "t", "first"))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # The disk fills: no file of this process may grow past its size now (the fallbacks get a little room).
    limit = 200000 if fallback_ok else path.stat().st_size  # a fresh spool's tables take about 100 kB
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    for n in range(60):
        outbox.put(Message.to_stream("c", "t", f"n{n} " + "y" * 4000))
    flushed = outbox.flush(0)
    kept_in_memory = len(getattr(outbox._spool, "unspooled", []))
    lost = getattr(outbox._spool, "lost", 0)
    print(json.dumps({"flushed": flushed, "memory": kept_in_memory, "lost": lost}), flush=True)
    outbox.close(0)
""")


@pytest.mark.parametrize("host", list(HOSTS))
@pytest.mark.parametrize("room", ["the fallback has room", "no room anywhere"])
def test_a_disk_that_fills_while_the_host_runs(tmp_path, private_tmp, host, room):
    path = tmp_path / "git-outbox.sqlite3"
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    done = subprocess.run([sys.executable, "-c", FILLING, host, str(path),
                           "yes" if room == "the fallback has room" else "no"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and done.stdout, done.stderr
    said = json.loads(done.stdout.splitlines()[-1])
    spooled = bodies(path) + [b for spare in fallback_spools(private_tmp) for b in bodies(spare)]
    assert "first" in spooled and said["flushed"] is False
    total = len(spooled) - 1 + said["memory"] + said["lost"]
    assert total >= 60, (len(spooled), said)  # each notice is somewhere, or said to be lost
    if room == "the fallback has room":
        assert any(bodies(spare) for spare in fallback_spools(private_tmp)), done.stderr
    if said["lost"] or said["memory"]:
        assert host == "hook" or said["lost"] == 0  # a long-running host keeps; a hook never claims to
        assert ("LOST" if host == "hook" else "MEMORY ONLY") in done.stderr
    assert str(path) in done.stderr


# -- permissions: a spool holds keys ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "-wal"], ids=["spool", "its log"])
@pytest.mark.parametrize("mode", [0o644, 0o664, 0o666, 0o640, 0o604])
def test_a_loose_spool_of_ours_is_made_private(tmp_path, caplog, name, mode):
    path = tmp_path / "git-outbox.sqlite3"
    spool = Spool(path)
    spool.save_sender(CREDS, "Test", "1")
    target = Path(f"{path}{name}")
    assert target.exists()
    target.chmod(mode)
    caplog.set_level(logging.WARNING, "wyzepal_notifier")
    other = Spool(path)
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert any(str(target) in r.getMessage() and "0600" in r.getMessage() for r in caplog.records)
    other.close()
    spool.close()


@pytest.mark.skipif(not ROOT, reason="only root can give a file or folder to another user")
@pytest.mark.parametrize("owned", ["file", "folder"])
@pytest.mark.parametrize("host", list(HOSTS))
def test_a_spool_of_another_user_is_refused_and_a_fallback_used(tmp_path, private_tmp, caplog, owned, host):
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o755)
    path = full_spool(folder / "git-outbox.sqlite3", n=2)
    os.chown(path if owned == "file" else folder, 4242, 4242)
    before = path.read_bytes()
    caplog.set_level(logging.WARNING, "wyzepal_notifier")
    outbox = HOSTS[host](path)
    outbox.put(message(7))
    outbox.close(0)
    assert path.read_bytes() == before  # not one byte of theirs written
    assert [b for spare in fallback_spools(private_tmp) for b in bodies(spare)] == ["notice 7"]
    assert any("another user" in r.getMessage() for r in caplog.records)
    status = cli("outbox", "status", "--outbox", str(path))  # the admin may still look at it
    assert status.returncode == 0 and "pending:   2" in status.stdout, status.stderr


def test_the_detached_worker_salvages_a_damaged_spool_and_delivers_what_it_kept(tmp_path, devserver, devserver_bot):
    path = tmp_path / "git-outbox.sqlite3"
    spool = Spool(path)
    sender = spool.save_sender(Credentials(devserver.site, *devserver_bot), "Test", "1")
    for i in range(30):
        spool.append(sender, Message.to_stream("general", "salvage", f"kept {i} " + "z" * 300))
    spool._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    spool.close()
    overwrite_middle(path)
    done = subprocess.run([sys.executable, "-m", "wyzepal_notifier.outbox.worker", "--outbox", str(path),
                           "--give-up-after", "10"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "damaged" in done.stderr and ".damaged-" in done.stderr
    got = [m["content"].split()[1] for m in devserver.messages(stream="general", topic="salvage")]
    assert got and got == sorted(got, key=int)  # what was kept, in order
