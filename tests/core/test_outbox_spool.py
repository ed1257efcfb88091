"""The spool on its own: claims, leases, order, dead rows, file safety, where it lives."""
from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import wyzepal_notifier
from wyzepal_notifier import ConfigError, Credentials, Message
from wyzepal_notifier.outbox import Spool, default_outbox_path
from wyzepal_notifier.outbox.paths import private_temp_dir

LIBRARY_ROOT = str(Path(wyzepal_notifier.__file__).resolve().parent.parent)
CREDS = Credentials("https://chat.example.com", "bot@example.com", "secret-key-123")


@pytest.fixture
def spool(tmp_path):
    spool = Spool(tmp_path / "state" / "outbox.sqlite3")
    yield spool
    spool.close()


def fill(spool, per_topic, topics=("a", "b")):
    sender = spool.save_sender(CREDS, "Test", "1")
    for i in range(per_topic):
        for topic in topics:
            spool.append(sender, Message.to_stream("general", topic, f"{topic}{i}"))
    return sender


def contents(rows):
    return [row.message.content for row in rows]


def test_the_file_and_its_folder_are_private(spool):
    assert stat.S_IMODE(spool.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(spool.path.parent.stat().st_mode) == 0o700


def test_a_file_that_is_not_a_spool_is_a_clear_error(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not a database, just some notes that are long enough " * 20)
    with pytest.raises(ConfigError) as caught:
        Spool(bogus)
    assert str(bogus) in str(caught.value) and "OUTBOX_PATH" in str(caught.value)


def test_opening_a_missing_spool_without_create_names_it(tmp_path):
    with pytest.raises(ConfigError) as caught:
        Spool(tmp_path / "typo.sqlite3", create=False)
    assert "typo.sqlite3" in str(caught.value) and "--outbox" in str(caught.value)
    assert not (tmp_path / "typo.sqlite3").exists()


def test_a_claim_takes_each_key_in_order_and_a_second_worker_gets_nothing_of_it(spool):
    fill(spool, 3)
    first = spool.claim("w1", lease=30)
    assert contents(first) == ["a0", "b0", "a1", "b1", "a2", "b2"]
    assert spool.claim("w2", lease=30) == []
    spool.release("w1")
    assert contents(spool.claim("w2", lease=30)) == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_claims_are_bounded_so_memory_is_too(spool):
    fill(spool, 50, topics=[f"t{i}" for i in range(10)])
    rows = spool.claim("w1", lease=30, max_keys=4, per_key=5)
    assert len(rows) == 20 and len({row.key for row in rows}) == 4


def test_an_expired_lease_lets_another_worker_take_over(spool):
    fill(spool, 1, topics=["a"])
    assert contents(spool.claim("w1", lease=0.05)) == ["a0"]
    time.sleep(0.1)
    assert contents(spool.claim("w2", lease=30)) == ["a0"]


def test_leases_of_a_process_that_is_gone_are_released_at_once(spool):
    fill(spool, 2, topics=["a"])
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    ghost = f"{socket.gethostname()}:{int(finished.stdout)}:deadbeef"
    alive = f"{socket.gethostname()}:{os.getpid()}:cafe"
    assert contents(spool.claim(ghost, lease=300)) == ["a0", "a1"]
    fill(spool, 1, topics=["b"])
    assert contents(spool.claim(alive, lease=300)) == ["b0"]
    assert spool.release_orphans() == 1  # the ghost's; ours is kept
    assert contents(spool.claim("w3", lease=30)) == ["a0", "a1"]


def test_a_failed_head_holds_back_its_key_but_not_others(spool):
    fill(spool, 2)
    rows = spool.claim("w1", lease=30)
    spool.retry_later(rows[0], "w1", "server down", delay=60)  # a0 must wait, and so must a1
    spool.delivered(rows[1])
    spool.delivered(rows[3])
    spool.release("w1")
    assert spool.claim("w2", lease=30) == []
    status = spool.status()
    assert (status.pending, status.waiting, status.delivered) == (2, 1, 2)
    assert status.last_error == "server down"


def test_a_dead_row_keeps_its_reason_and_lets_the_rows_behind_it_go(spool):
    fill(spool, 2, topics=["a"])
    head = spool.claim("w1", lease=30)[0]
    spool.bury(head, "w1", "channel 'general' does not exist")
    spool.release("w1")
    assert contents(spool.claim("w2", lease=30)) == ["a1"]
    status = spool.status()
    assert status.dead == 1
    assert status.dead_messages[0]["reason"] == "channel 'general' does not exist"
    assert status.dead_messages[0]["to"] == "#general > a"
    spool.release("w2")
    assert spool.requeue_dead() == 1
    assert contents(spool.claim("w3", lease=30)) == ["a0", "a1"]


def test_a_held_sender_is_not_claimed_until_its_time(spool):
    sender = fill(spool, 1, topics=["a"])
    spool.hold_sender(sender, 0.2, failed=True)
    assert spool.claim("w1", lease=30) == []
    time.sleep(0.25)
    assert contents(spool.claim("w1", lease=30)) == ["a0"]
    assert spool.sender_failures(sender) == 1


def test_saving_a_sender_again_refreshes_its_key(spool):
    first = spool.save_sender(CREDS, "Test", "1")
    fixed = Credentials(CREDS.site, CREDS.email, "new-key")
    assert spool.save_sender(fixed, "Test", "1") == first
    assert spool.sender(first).credentials.api_key == "new-key"
    assert "new-key" not in repr(spool.sender(first))


def test_default_path_order(tmp_path):
    config = tmp_path / "conf" / "wyzepal_trac_config.py"
    config.parent.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_STATE_HOME": str(tmp_path / "xdg")}
    path = default_outbox_path
    assert str(path("trac", explicit="/x/given.sqlite3", env={"WYZEPAL_OUTBOX": "/x/env"})) == "/x/given.sqlite3"
    assert str(path("trac", configured="/x/conf", env={"WYZEPAL_OUTBOX": "/x/env"})) == "/x/env"
    assert path("trac", configured="spool.db", config_path=str(config), env=env) == config.parent / "spool.db"
    assert path("trac", env=env) == tmp_path / "xdg" / "wyzepal-integrations" / "trac-outbox.sqlite3"
    assert path("trac", env={"HOME": str(home)}) == (
        home / ".local" / "state" / "wyzepal-integrations" / "trac-outbox.sqlite3")
    assert path("trac", config_path=str(config), env={}) == config.parent / ".wyzepal_trac_outbox.sqlite3"
    assert path("trac", env={}) == private_temp_dir() / "trac-outbox.sqlite3"


def test_a_home_that_cannot_hold_state_falls_through_to_the_next_place(tmp_path):
    not_a_folder = tmp_path / "home-is-a-file"
    not_a_folder.write_text("")
    env = {"HOME": str(not_a_folder)}
    assert default_outbox_path("git", env=env) == private_temp_dir() / "git-outbox.sqlite3"


def test_a_temp_folder_someone_else_could_write_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path))
    planted = private_temp_dir()
    planted.chmod(0o777)
    with pytest.raises(ConfigError) as caught:
        private_temp_dir()
    assert str(planted) in str(caught.value)


def test_many_processes_creating_one_spool_at_once_all_succeed(tmp_path):
    """Several tracd workers or parallel Jenkins steps can be the first to open a spool."""
    path, go = tmp_path / "shared" / "outbox.sqlite3", tmp_path / "go"
    opener = ("import os, sys, time\n"
              "from wyzepal_notifier.outbox import Spool\n"
              "while not os.path.exists(sys.argv[2]): time.sleep(0.001)\n"
              "Spool(sys.argv[1]).close()\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([LIBRARY_ROOT, os.environ.get("PYTHONPATH", "")]))
    for _ in range(3):
        if path.parent.exists():
            for leftover in path.parent.iterdir():
                leftover.unlink()
        processes = [subprocess.Popen([sys.executable, "-c", opener, str(path), str(go)], env=env,
                                      stderr=subprocess.PIPE, text=True) for _ in range(8)]
        time.sleep(0.5)  # all are waiting for the go
        go.touch()
        failures = [p.communicate(timeout=60)[1] for p in processes if p.wait(timeout=60) != 0]
        go.unlink()
        assert failures == []


@pytest.mark.parametrize("version", [1, 2, 3])
def test_a_spool_written_by_an_older_version_is_migrated_and_keeps_its_messages(tmp_path, version):
    import sqlite3

    from wyzepal_notifier.outbox.spool import _MIGRATIONS, SCHEMA_VERSION

    path = tmp_path / f"v{version}.sqlite3"
    db = sqlite3.connect(str(path), isolation_level=None)
    for step in range(1, version + 1):
        for statement in _MIGRATIONS[step].split(";"):
            if statement.strip():
                db.execute(statement)
    db.execute("INSERT INTO senders (site, email, api_key) VALUES ('https://chat.example.com', 'b@example.com', ?)",
               ("k" * 32,))
    old = Message.to_stream("g", "t", "left by an old version")
    db.execute("INSERT INTO messages (sender_id, key, body, created) VALUES (1, ?, ?, 0)", (old.key, old.to_json()))
    db.execute(f"PRAGMA user_version = {version}")
    db.close()
    spool = Spool(path)
    assert spool._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    rows = spool.claim("w", lease=30)
    assert [r.message.content for r in rows] == ["left by an old version"] and rows[0].kind == "post"
    spool.delivered(rows[0], message_id=7)
    assert spool.status().delivered == 1


def test_rows_of_a_bot_whose_server_is_gone_never_hold_up_another_bots_rows_to_the_same_topic(spool):
    gone = spool.save_sender(Credentials("http://127.0.0.1:9", "bot@example.com", "k" * 32), "T", "1")
    alive = spool.save_sender(Credentials("https://chat.example.com", "bot@example.com", "k" * 32), "T", "1")
    spool.append(gone, Message.to_stream("ci", "build", "to a server long gone").checked())
    spool.hold_sender(gone, 3600, failed=True)
    spool.append(alive, Message.to_stream("ci", "build", "to the server of today").checked())
    assert [r.message.content for r in spool.claim("w", lease=30)] == ["to the server of today"]


def test_a_process_outbox_keeps_what_no_spool_takes_in_memory_and_a_hook_does_not():
    from wyzepal_notifier.outbox import HandOverOutbox, ProcessOutbox

    assert ProcessOutbox.keeps_in_memory and not HandOverOutbox.keeps_in_memory
