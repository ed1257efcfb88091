"""The durable spool: a SQLite file of messages waiting for delivery.

Why SQLite in WAL mode with ``synchronous=NORMAL``: one ``INSERT`` costs tens of
microseconds (an append to the write-ahead log, no fsync), and a committed row
survives the process being killed at any moment; only a power cut can take the
last few commits back. ``synchronous=FULL`` costs several times more per message
and buys only the power-cut case (``benchmarks/outbox.py`` prints both).

Several processes may share one file. A worker *claims* rows with a lease
(``claimed_by``/``claimed_until``) inside ``BEGIN IMMEDIATE``, so no row is sent
by two workers; a worker that dies leaves a lease that runs out (or is released
at once when its process is known to be gone). Only the oldest pending row of an
ordering key of a sender can be claimed, with the rows behind it, so every
(bot, channel, topic) is delivered in order; another bot's (or another server's)
rows never wait behind them.

The file holds the senders' API keys (as the config file does), so it is created
readable by its owner only, in a folder only its owner may enter.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterator, Mapping, NamedTuple, Optional, Sequence

from ..config.credentials import Credentials
from ..errors import ConfigError
from ..message import Message
from .handles import DEFAULT_HANDLE_TTL, FORGET, POST, HandleInUse, HandleState, Refusal, check_handle, encode_args
from .salvage import DAMAGED, SpoolDamaged, trouble

_log = logging.getLogger("wyzepal_notifier.outbox")
#: Files up to this size are checked whole at each open (``quick_check``: about 4 ms a MB);
#: a larger one (a backlog's leftovers) only shows damage at a write, which is salvaged then.
CHECK_UP_TO = 2 * 1024 * 1024
SCHEMA_VERSION = 4
PENDING, DEAD = "pending", "dead"
#: Width of the buckets the delivery figures of ``outbox status`` are counted in.
STATS_BUCKET = 60

_SCHEMA = """
CREATE TABLE IF NOT EXISTS senders (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    email TEXT NOT NULL,
    api_key TEXT NOT NULL,
    insecure INTEGER NOT NULL DEFAULT 0,
    cert_bundle TEXT,
    client_name TEXT,
    client_version TEXT,
    not_before REAL NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    UNIQUE (site, email)
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender_id INTEGER NOT NULL REFERENCES senders (id),
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_until REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    failed_at REAL
);
CREATE INDEX IF NOT EXISTS messages_by_key ON messages (state, key, id);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

#: Version 2: message handles and the operations queued behind them, refusals, figures per minute.
_SCHEMA_2 = """
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'post';
ALTER TABLE messages ADD COLUMN handle TEXT;
ALTER TABLE messages ADD COLUMN args TEXT;
CREATE INDEX IF NOT EXISTS messages_by_handle ON messages (handle, state, id);
CREATE TABLE IF NOT EXISTS handles (
    handle TEXT PRIMARY KEY,
    sender_id INTEGER NOT NULL REFERENCES senders (id),
    order_key TEXT NOT NULL,
    message_id INTEGER,
    stream TEXT,
    topic TEXT,
    recipients TEXT NOT NULL DEFAULT '[]',
    sent_at REAL,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS refusals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    handle TEXT NOT NULL,
    operation TEXT NOT NULL,
    reason TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS refusals_by_handle ON refusals (handle, id);
CREATE TABLE IF NOT EXISTS stats (bucket INTEGER NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
                                  PRIMARY KEY (bucket, name));
CREATE TABLE IF NOT EXISTS alerts (name TEXT PRIMARY KEY, sent_at REAL NOT NULL, text TEXT);
"""
#: Version 3: where a sender's alerts go (``ALERTS_TO``).
_SCHEMA_3 = """
ALTER TABLE senders ADD COLUMN alerts TEXT;
"""
#: Version 4: what was tried of a post, and what was delivered (to send each post once, see ``once``).
_SCHEMA_4 = """
ALTER TABLE messages ADD COLUMN attempt TEXT;
CREATE TABLE IF NOT EXISTS sent (message_id INTEGER NOT NULL, sender_id INTEGER NOT NULL, at REAL NOT NULL,
                                 PRIMARY KEY (sender_id, message_id));
"""
_MIGRATIONS = {1: _SCHEMA, 2: _SCHEMA_2, 3: _SCHEMA_3, 4: _SCHEMA_4}


#: The arguments of a row that has none (immutable: a default is shared by every row).
NO_ARGS: Mapping[str, Any] = MappingProxyType({})


# The records below are NamedTuples, not dataclasses: a hook imports this module at every
# run, and ``dataclasses`` would cost it about 20 ms (see ``config.credentials``).
class Sender(NamedTuple):
    """Who sends a spooled message; the key stays out of repr."""

    id: int
    credentials: Credentials
    client_name: str
    client_version: str


class SpooledMessage(NamedTuple):
    """A claimed row on its way to the server: a post, or an operation on a handle's message.

    ``message`` is the post (None for operations); ``args`` the operation's
    arguments (new content, emoji, topic, fallback, where to look the handle up).
    """

    id: int
    sender_id: int
    key: str
    message: Optional[Message]
    attempts: int
    kind: str = POST
    handle: Optional[str] = None
    args: Mapping[str, Any] = NO_ARGS
    #: What earlier tries of a post sent (``local_ids``, ``queue_id``, ``since``): empty when never tried.
    attempt: Mapping[str, Any] = NO_ARGS


class SpoolStatus(NamedTuple):
    """What ``outbox status`` shows: counts by state, the oldest pending, the last error."""

    path: str
    pending: int
    in_flight: int
    waiting: int
    dead: int
    delivered: int
    oldest_pending: Optional[float]
    last_error: Optional[str]
    last_error_at: Optional[float]
    dead_messages: list[dict[str, Any]]
    #: Seconds the oldest pending message has waited (None: nothing pending).
    oldest_age: Optional[float] = None
    #: Figures of the last hour: deliveries, 429s met, operations the server refused.
    delivered_last_hour: int = 0
    rate_limited_last_hour: int = 0
    refused_last_hour: int = 0
    #: Operations on handles the server did not allow, newest first: handle, operation, reason, at.
    refusals: Sequence[dict[str, Any]] = ()
    #: Alerts told (``ALERTS_TO`` in chat, or the host's log): name, when, how.
    alerts: Sequence[dict[str, Any]] = ()

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


def worker_identity() -> str:
    """``host:pid:random``: enough to tell whether a lease's owner still runs here."""
    return f"{host_name()}:{os.getpid()}:{os.urandom(4).hex()}"


def host_name() -> str:
    """This machine's name, as ``socket.gethostname()`` gives it.

    Read from ``uname`` where there is one: ``socket`` (and ``uuid``, which imports
    ``platform``) would cost every hook run about 6 ms of imports.
    """
    uname = getattr(os, "uname", None)
    if uname is not None:
        return uname().nodename
    import socket

    return socket.gethostname()


_PROCESS_LOCKS: dict[str, threading.RLock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


def _process_lock(path: Path) -> threading.RLock:
    """One lock per spool file in this process.

    The host's ``put`` and the worker thread use separate connections; taking
    turns on a Python lock costs microseconds, where SQLite's busy handler
    would sleep a millisecond or more. Other processes still meet SQLite's.
    """
    key = os.path.realpath(path)
    with _PROCESS_LOCKS_GUARD:
        return _PROCESS_LOCKS.setdefault(key, threading.RLock())


def _forget_locks_after_fork() -> None:
    """A forked child starts with fresh locks: a thread holding one did not come along."""
    _PROCESS_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_after_fork)


class Spool:
    """One connection to a spool file; safe to share between threads."""

    def __init__(self, path: os.PathLike | str, *, create: bool = True, busy_timeout: float = 10.0,
                 synchronous: str = "NORMAL", checkpoints: bool = True, integrity_check: bool = True) -> None:
        """``checkpoints=False`` for the host's connection: the worker's connection folds the
        write-ahead log back into the file (the one step that syncs to disk), off the host's path.

        An existing file up to ``CHECK_UP_TO`` is checked (``PRAGMA quick_check``, well under a
        millisecond for an idle spool): a damaged one raises ``SpoolDamaged`` at once, for
        ``outbox.salvage``, rather than losing a message at the first write."""
        self.path = Path(path)
        self._checkpoints = checkpoints
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")
        self._synchronous = synchronous.upper()
        self._lock = _process_lock(self.path)
        existed = _existing_private(self.path, refuse_others=create)
        if create:
            _create_private(self.path)
        elif not existed:
            raise ConfigError("there is no outbox here", path=str(self.path), key="outbox",
                              fix="give the path of an existing spool with --outbox (or $WYZEPAL_OUTBOX)")
        try:
            self._db = sqlite3.connect(str(self.path), timeout=busy_timeout, isolation_level=None,
                                       check_same_thread=False)
            if existed and integrity_check and self.path.stat().st_size <= CHECK_UP_TO:
                _check_whole(self._db)
            self._prepare_when_free(busy_timeout)
        except sqlite3.DatabaseError as exc:
            if trouble(exc) == DAMAGED and _looks_like_sqlite(self.path):  # not someone's notes.txt
                raise SpoolDamaged(f"is damaged ({exc})", path=str(self.path), key="OUTBOX_PATH",
                                   fix=f"run 'wyzepal-integrations outbox salvage --outbox {self.path}' (the "
                                       "file is moved aside, its readable messages kept in a fresh spool); a "
                                       "plugin does it by itself at its next message") from None
            raise ConfigError(f"cannot be used as an outbox: {exc}", path=str(self.path), key="OUTBOX_PATH",
                              fix="point OUTBOX_PATH or $WYZEPAL_OUTBOX at a new file or an existing spool") from None

    def _prepare_when_free(self, timeout: float) -> None:
        """Two processes creating one spool at once: switching it to WAL answers "database is
        locked" at once, without SQLite's busy wait, so wait here instead."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._prepare()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _prepare(self) -> None:
        if self._db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={self._synchronous}")
        if not self._checkpoints:
            self._db.execute("PRAGMA wal_autocheckpoint=0")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"it was written by a newer version (schema {version})")
        if version < SCHEMA_VERSION:
            with self.transaction() as db:
                # Read again under the write lock: another process may have migrated meanwhile.
                version = db.execute("PRAGMA user_version").fetchone()[0]
                for step in range(version + 1, SCHEMA_VERSION + 1):
                    for statement in _MIGRATIONS[step].split(";"):
                        if statement.strip():
                            db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE``: the write lock is taken at once, so reads inside see a settled spool."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- the producer side ---------------------------------------------------

    def save_sender(self, credentials: Credentials, client_name: str, client_version: str,
                    alerts: Optional[dict[str, Any]] = None) -> int:
        """Record (or refresh) a sender's credentials and alert settings; returns its id."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO senders (site, email, api_key, insecure, cert_bundle, client_name, client_version, "
                "alerts) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, email) DO UPDATE SET "
                "api_key = excluded.api_key, insecure = excluded.insecure, cert_bundle = excluded.cert_bundle, "
                "client_name = excluded.client_name, client_version = excluded.client_version, "
                "alerts = excluded.alerts",
                (credentials.site, credentials.email, credentials.api_key, int(credentials.insecure),
                 credentials.cert_bundle, client_name, client_version, json.dumps(alerts) if alerts else None))
            row = db.execute("SELECT id FROM senders WHERE site = ? AND email = ?",
                             (credentials.site, credentials.email)).fetchone()
        return int(row[0])

    def append(self, sender_id: int, message: Message, *, handle: Optional[str] = None,
               conversation: Optional[str] = None, handle_ttl: float = DEFAULT_HANDLE_TTL) -> int:
        """Store one message (already checked); one short write transaction.

        ``handle`` names the message for later operations (HandleInUse when it
        names another one still); ``conversation`` makes it a post that follows
        that handle's message: in order with its operations, to its current topic.
        """
        if handle is None and conversation is None:
            with self._lock:
                cursor = self._db.execute("INSERT INTO messages (sender_id, key, body, created) VALUES (?, ?, ?, ?)",
                                          (sender_id, message.key, message.to_json(), time.time()))
            return int(cursor.lastrowid or 0)
        now = time.time()
        with self.transaction() as db:
            key = message.key
            if conversation is not None:
                key = self._order_key(db, check_handle(conversation), sender_id)
            if handle is not None:
                self._claim_handle(db, check_handle(handle), sender_id, message, key, now, handle_ttl)
            args = encode_args({"conversation": conversation}) if conversation else None
            cursor = db.execute("INSERT INTO messages (sender_id, key, body, created, kind, handle, args) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (sender_id, key, message.to_json(), now, POST, handle, args))
        return int(cursor.lastrowid or 0)

    @staticmethod
    def _claim_handle(db: sqlite3.Connection, handle: str, sender_id: int, message: Message, key: str,
                      now: float, ttl: float) -> None:
        taken = db.execute("SELECT expires FROM handles WHERE handle = ?", (handle,)).fetchone()
        if taken is not None and taken[0] > now:
            raise HandleInUse(f"the message handle {handle!r} already names a message; use an operation "
                              "(edit, react, move) on it, or forget it first")
        db.execute("INSERT OR REPLACE INTO handles (handle, sender_id, order_key, stream, topic, recipients, "
                   "created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (handle, sender_id, key, message.stream, message.topic, json.dumps(list(message.to)), now,
                    now + ttl))
        db.execute("DELETE FROM refusals WHERE handle = ?", (handle,))

    @staticmethod
    def _order_key(db: sqlite3.Connection, handle: str, sender_id: int) -> str:
        """The ordering key of a handle's conversation (its first post's), or one of its own when unknown here."""
        row = db.execute("SELECT order_key FROM handles WHERE handle = ?", (handle,)).fetchone()
        return row[0] if row else f"handle:{handle}"

    def append_operation(self, sender_id: int, handle: str, kind: str, args: dict[str, Any]) -> int:
        """Queue an operation on a handle's message, behind everything queued before in its conversation.

        An edit of a message whose post (or last edit) is still waiting and not
        yet being sent replaces that content instead: the server gets one
        request, the result is the same.
        """
        check_handle(handle)
        with self.transaction() as db:
            key = self._order_key(db, handle, sender_id)
            if kind == "edit" and self._fold_edit(db, handle, args["content"]):
                return 0
            cursor = db.execute("INSERT INTO messages (sender_id, key, body, created, kind, handle, args) "
                                "VALUES (?, ?, '{}', ?, ?, ?, ?)",
                                (sender_id, key, time.time(), kind, handle, encode_args(args)))
        return int(cursor.lastrowid or 0)

    def _fold_edit(self, db: sqlite3.Connection, handle: str, content: str) -> bool:
        """Put new content into the handle's last waiting post or edit, if nothing queued since can see it."""
        last = db.execute("SELECT id, kind, body, args, claimed_until FROM messages WHERE handle = ? "
                          "AND state = 'pending' ORDER BY id DESC LIMIT 1", (handle,)).fetchone()
        if last is None or last[4] > time.time() or last[1] not in (POST, "edit"):
            return False
        if last[1] == POST:
            message = Message.from_json(last[2])
            body = Message(content=content, stream=message.stream, topic=message.topic, to=message.to).to_json()
            db.execute("UPDATE messages SET body = ? WHERE id = ?", (body, last[0]))
        else:
            args = {**json.loads(last[3] or "{}"), "content": content}
            db.execute("UPDATE messages SET args = ? WHERE id = ?", (encode_args(args), last[0]))
        return True

    # -- what the spool knows of handles ------------------------------------------

    def handle_state(self, handle: str) -> Optional[HandleState]:
        with self._lock:
            row = self._db.execute("SELECT handle, message_id, stream, topic, recipients, sent_at, expires "
                                   "FROM handles WHERE handle = ?", (handle,)).fetchone()
            refusals = self._db.execute("SELECT operation, reason, at FROM refusals WHERE handle = ? ORDER BY id",
                                        (handle,)).fetchall()
        if row is None:
            return None
        return HandleState(handle=row[0], message_id=row[1], stream=row[2], topic=row[3],
                           to=tuple(json.loads(row[4] or "[]")), sent_at=row[5], expires=row[6],
                           refusals=[Refusal(*r) for r in refusals])

    def learn_handle(self, handle: str, sender_id: int, message_id: int, stream: Optional[str],
                     topic: Optional[str], sent_at: Optional[float], ttl: float = DEFAULT_HANDLE_TTL) -> None:
        """Record a handle's message found on the server (posted by another machine or an earlier spool)."""
        now = time.time()
        with self.transaction() as db:
            db.execute("INSERT INTO handles (handle, sender_id, order_key, message_id, stream, topic, sent_at, "
                       "created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (handle) DO UPDATE SET "
                       "message_id = excluded.message_id, stream = excluded.stream, topic = excluded.topic, "
                       "sent_at = excluded.sent_at",
                       (handle, sender_id, f"handle:{handle}", message_id, stream, topic, sent_at, now, now + ttl))

    def move_handles(self, sender_id: int, stream: str, old_topic: str, new_topic: str, *,
                     from_message_id: Optional[int] = None, only: Optional[str] = None) -> None:
        """The topic of handles whose messages a move took along (all of the topic, later ones, or one)."""
        with self.transaction() as db:
            if only is not None:
                db.execute("UPDATE handles SET topic = ? WHERE handle = ?", (new_topic, only))
                return
            db.execute("UPDATE handles SET topic = ? WHERE sender_id = ? AND stream = ? AND topic = ? "
                       "AND (message_id IS NULL OR message_id >= ?)",
                       (new_topic, sender_id, stream, old_topic, from_message_id or 0))

    def set_handle_topic(self, handle: str, topic: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE handles SET topic = ? WHERE handle = ?", (topic, handle))

    def refuse(self, row: SpooledMessage, reason: str) -> None:
        """The server does not allow this operation: done with it, and the reason kept for people to see."""
        with self.transaction() as db:
            db.execute("DELETE FROM messages WHERE id = ?", (row.id,))
            db.execute("INSERT INTO refusals (handle, operation, reason, at) VALUES (?, ?, ?, ?)",
                       (row.handle or "", row.kind, reason, time.time()))
            db.execute("DELETE FROM refusals WHERE handle = ? AND id NOT IN (SELECT id FROM refusals "
                       "WHERE handle = ? ORDER BY id DESC LIMIT 20)", (row.handle or "", row.handle or ""))
            self._count(db, "refused")

    # -- health and alerts ----------------------------------------------------------

    def alerting_senders(self) -> list[tuple[int, Optional[dict[str, Any]]]]:
        """Every sender with messages here, and its alert settings (None: it asked for none)."""
        with self._lock:
            rows = self._db.execute("SELECT id, alerts FROM senders WHERE id IN "
                                    "(SELECT DISTINCT sender_id FROM messages)").fetchall()
        return [(r[0], json.loads(r[1]) if r[1] else None) for r in rows]

    def health(self, sender_id: int) -> dict[str, Any]:
        """What the alerts look at: dead and pending counts (alerts themselves left out), oldest, last error."""
        not_alert = "(args IS NULL OR args NOT LIKE '%\"alert\": true%')"
        with self._lock:
            db = self._db
            dead, last_reason = db.execute(
                f"SELECT COUNT(*), (SELECT last_error FROM messages WHERE sender_id = :s AND state = 'dead' "  # noqa: S608
                f"AND {not_alert} ORDER BY failed_at DESC LIMIT 1) FROM messages WHERE sender_id = :s "
                f"AND state = 'dead' AND {not_alert}", {"s": sender_id}).fetchone()
            pending, oldest, last_error = db.execute(
                "SELECT COUNT(*), MIN(created), (SELECT last_error FROM messages WHERE sender_id = :s AND "
                "state = 'pending' AND last_error IS NOT NULL ORDER BY failed_at DESC LIMIT 1) FROM messages "
                "WHERE sender_id = :s AND state = 'pending'", {"s": sender_id}).fetchone()
            failing = db.execute("SELECT failures FROM senders WHERE id = ?", (sender_id,)).fetchone()
        return {"dead": dead, "last_dead_reason": last_reason, "pending": pending, "oldest_pending": oldest,
                "last_error": last_error, "failing": bool(failing and failing[0])}

    def alert_due(self, name: str, repeat_after: float, text: str = "") -> bool:
        """True (and recorded as told now) when ``name`` was not told within ``repeat_after`` seconds."""
        now = time.time()
        with self.transaction() as db:
            row = db.execute("SELECT sent_at FROM alerts WHERE name = ?", (name,)).fetchone()
            if row is not None and now - row[0] < repeat_after:
                return False
            db.execute("INSERT OR REPLACE INTO alerts (name, sent_at, text) VALUES (?, ?, ?)", (name, now, text))
        return True

    def append_alert(self, sender_id: int, message: Message) -> int:
        """An alert is a post marked as one, so a dead alert is not alerted about again (no loops)."""
        with self._lock:
            cursor = self._db.execute("INSERT INTO messages (sender_id, key, body, created, args) "
                                      "VALUES (?, ?, ?, ?, ?)", (sender_id, message.key,
                                                                 message.checked().to_json(), time.time(),
                                                                 encode_args({"alert": True})))
        return int(cursor.lastrowid or 0)

    def handle_post_state(self, handle: str) -> Optional[str]:
        """'pending' or 'dead' while the handle's own post is still in the spool, else None."""
        with self._lock:
            row = self._db.execute("SELECT state FROM messages WHERE handle = ? AND kind = 'post' ORDER BY id DESC "
                                   "LIMIT 1", (handle,)).fetchone()
        return row[0] if row else None

    def forget_handle(self, handle: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM handles WHERE handle = ?", (handle,))
            db.execute("DELETE FROM refusals WHERE handle = ?", (handle,))

    def forget_expired_handles(self) -> int:
        """Handles past their time whose conversation has nothing waiting any more."""
        with self.transaction() as db:
            cursor = db.execute("DELETE FROM handles WHERE expires < ? AND handle NOT IN "
                                "(SELECT handle FROM messages WHERE handle IS NOT NULL AND state = 'pending')",
                                (time.time(),))
            db.execute("DELETE FROM refusals WHERE handle NOT IN (SELECT handle FROM handles)")
        return cursor.rowcount

    # -- the worker side -----------------------------------------------------

    def claim(self, worker: str, *, lease: float, max_keys: int = 20, per_key: int = 25) -> list[SpooledMessage]:
        """Lease the next rows of up to ``max_keys`` ordering keys nobody else holds."""
        now = time.time()
        with self.transaction() as db:
            heads = db.execute(
                "SELECT h.sender_id, h.key FROM (SELECT sender_id, key, MIN(id) AS head FROM messages "
                "WHERE state = 'pending' GROUP BY sender_id, key HAVING MAX(claimed_until) <= :now) AS h "
                "JOIN messages m ON m.id = h.head JOIN senders s ON s.id = m.sender_id "
                "WHERE m.not_before <= :now AND s.not_before <= :now ORDER BY h.head LIMIT :keys",
                {"now": now, "keys": max_keys}).fetchall()
            for sender_id, key in heads:
                db.execute("UPDATE messages SET claimed_by = ?, claimed_until = ? WHERE id IN "
                           "(SELECT id FROM messages WHERE state = 'pending' AND sender_id = ? AND key = ? "
                           "ORDER BY id LIMIT ?)", (worker, now + lease, sender_id, key, per_key))
            rows = db.execute("SELECT id, sender_id, key, body, attempts, kind, handle, args, attempt FROM messages "
                              "WHERE claimed_by = ? AND state = 'pending' ORDER BY id", (worker,)).fetchall()
        return [_spooled(r) for r in rows]

    def extend(self, worker: str, lease: float) -> None:
        with self.transaction() as db:
            db.execute("UPDATE messages SET claimed_until = ? WHERE claimed_by = ?", (time.time() + lease, worker))

    def delivered(self, row: SpooledMessage, *, message_id: Optional[int] = None,
                  topic: Optional[str] = None) -> None:
        """Done with the row; a post with a handle records the server's id for that handle (and where it went)."""
        with self.transaction() as db:
            db.execute("DELETE FROM messages WHERE id = ?", (row.id,))
            if row.kind == POST and message_id is not None:
                db.execute("INSERT OR IGNORE INTO sent (message_id, sender_id, at) VALUES (?, ?, ?)",
                           (message_id, row.sender_id, time.time()))
            if row.kind == POST and row.handle and message_id is not None:
                db.execute("UPDATE handles SET message_id = ?, sent_at = ?, topic = COALESCE(?, topic) "
                           "WHERE handle = ?", (message_id, time.time(), topic, row.handle))
            if row.kind == FORGET and row.handle:
                db.execute("DELETE FROM handles WHERE handle = ?", (row.handle,))
            db.execute("INSERT INTO counters (name, value) VALUES ('delivered', 1) "
                       "ON CONFLICT (name) DO UPDATE SET value = value + 1")
            self._count(db, "delivered")
            db.execute("UPDATE senders SET failures = 0 WHERE id = ? AND failures != 0", (row.sender_id,))

    def note_attempt(self, row: SpooledMessage, attempt: dict[str, Any]) -> None:
        """Before a post goes out: what this try sends, so a later try can tell whether it arrived."""
        with self._lock:
            self._db.execute("UPDATE messages SET attempt = ? WHERE id = ?",
                             (encode_args(attempt) if attempt else None, row.id))

    def sent_ids(self, sender_id: int, since: float) -> set[int]:
        """Server ids of this sender's posts delivered from this spool since ``since`` (not another's copy)."""
        with self._lock:
            rows = self._db.execute("SELECT message_id FROM sent WHERE sender_id = ? AND at >= ?",
                                    (sender_id, since)).fetchall()
            self._db.execute("DELETE FROM sent WHERE at < ?", (time.time() - 7 * 24 * 3600,))
        return {r[0] for r in rows}

    @staticmethod
    def _count(db: sqlite3.Connection, name: str, n: int = 1) -> None:
        """``n`` more ``name`` in this minute's bucket (the figures ``outbox status`` gives per hour)."""
        bucket = int(time.time() // STATS_BUCKET)
        db.execute("INSERT INTO stats (bucket, name, value) VALUES (?, ?, ?) "
                   "ON CONFLICT (bucket, name) DO UPDATE SET value = value + excluded.value", (bucket, name, n))

    def count(self, name: str, n: int = 1) -> None:
        """Count events of delivery (429 answers, say) for the hourly figures."""
        with self.transaction() as db:
            self._count(db, name, n)
            db.execute("DELETE FROM stats WHERE bucket < ?", (int(time.time() // STATS_BUCKET) - 24 * 60,))

    def figures(self, seconds: float = 3600.0) -> dict[str, int]:
        """Counts per name over the last ``seconds`` (whole minutes)."""
        since = int((time.time() - seconds) // STATS_BUCKET)
        with self._lock:
            rows = self._db.execute("SELECT name, SUM(value) FROM stats WHERE bucket > ? GROUP BY name",
                                    (since,)).fetchall()
        return {name: int(total) for name, total in rows}

    def retry_later(self, row: SpooledMessage, worker: str, error: str, delay: float, *, count: bool = True) -> None:
        """Put the row back with a not-before time, and let go of the rows queued behind it."""
        now = time.time()
        with self.transaction() as db:
            db.execute("UPDATE messages SET attempts = attempts + ?, last_error = ?, failed_at = ?, not_before = ? "
                       "WHERE id = ?", (int(count), error, now, now + delay, row.id))
            db.execute("UPDATE messages SET claimed_by = NULL, claimed_until = 0 WHERE claimed_by = ? "
                       "AND sender_id = ? AND key = ?", (worker, row.sender_id, row.key))

    def bury(self, row: SpooledMessage, worker: str, reason: str) -> None:
        """A permanent failure: keep the row as dead with its reason; the rows behind it go on."""
        with self.transaction() as db:
            db.execute("UPDATE messages SET state = 'dead', attempts = attempts + 1, last_error = ?, failed_at = ?, "
                       "claimed_by = NULL, claimed_until = 0 WHERE id = ?", (reason, time.time(), row.id))

    def hold_sender(self, sender_id: int, delay: float, *, failed: bool) -> int:
        """Nobody sends as this sender for ``delay`` seconds (server down, 429); returns its failure count."""
        with self.transaction() as db:
            db.execute("UPDATE senders SET not_before = MAX(not_before, ?), failures = failures + ? WHERE id = ?",
                       (time.time() + delay, int(failed), sender_id))
            row = db.execute("SELECT failures FROM senders WHERE id = ?", (sender_id,)).fetchone()
        return int(row[0]) if row else 0

    def sender_failures(self, sender_id: int) -> int:
        with self._lock:
            row = self._db.execute("SELECT failures FROM senders WHERE id = ?", (sender_id,)).fetchone()
        return int(row[0]) if row else 0

    def release(self, worker: str) -> None:
        """Give back every row this worker holds (it is stopping)."""
        with self.transaction() as db:
            db.execute("UPDATE messages SET claimed_by = NULL, claimed_until = 0 WHERE claimed_by = ?", (worker,))

    def release_orphans(self) -> int:
        """Free leases of workers on this host whose process is gone (killed, crashed)."""
        host = host_name()
        with self.transaction() as db:
            owners = [r[0] for r in db.execute("SELECT DISTINCT claimed_by FROM messages WHERE claimed_by IS NOT NULL "
                                               "AND claimed_until > ?", (time.time(),))]
            gone = [owner for owner in owners if _is_gone(owner, host)]
            for owner in gone:
                db.execute("UPDATE messages SET claimed_by = NULL, claimed_until = 0 WHERE claimed_by = ?", (owner,))
        return len(gone)

    def sender(self, sender_id: int) -> Sender:
        with self._lock:
            row = self._db.execute("SELECT site, email, api_key, insecure, cert_bundle, client_name, client_version "
                                   "FROM senders WHERE id = ?", (sender_id,)).fetchone()
        if row is None:
            raise ConfigError(f"names a sender ({sender_id}) it does not hold", path=str(self.path), key="senders",
                              fix="the spool is damaged; move it aside and queue the messages again")
        credentials = Credentials(site=row[0], email=row[1], api_key=row[2], insecure=bool(row[3]),
                                  cert_bundle=row[4], source=str(self.path))
        return Sender(sender_id, credentials, row[5] or "WyzePalIntegrations", row[6] or "")

    # -- looking at it -------------------------------------------------------

    def pending_count(self, up_to_id: Optional[int] = None) -> int:
        with self._lock:
            if up_to_id is None:
                row = self._db.execute("SELECT COUNT(*) FROM messages WHERE state = 'pending'").fetchone()
            else:
                row = self._db.execute("SELECT COUNT(*) FROM messages WHERE state = 'pending' AND id <= ?",
                                       (up_to_id,)).fetchone()
        return int(row[0])

    def last_id(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT MAX(id) FROM messages").fetchone()
        return int(row[0] or 0)

    def next_due(self) -> Optional[float]:
        """When the earliest pending row may next be tried (a hint for sleeping)."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(MAX(m.not_before, s.not_before, m.claimed_until)) FROM messages m "
                "JOIN senders s ON s.id = m.sender_id WHERE m.state = 'pending'").fetchone()
        return None if row[0] is None else float(row[0])

    def status(self, *, dead_limit: int = 20) -> SpoolStatus:
        now = time.time()
        with self._lock:
            db = self._db
            pending, in_flight, waiting, oldest = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(claimed_until > :now), 0), "
                "COALESCE(SUM(claimed_until <= :now AND not_before > :now), 0), MIN(created) "
                "FROM messages WHERE state = 'pending'", {"now": now}).fetchone()
            dead = db.execute("SELECT COUNT(*) FROM messages WHERE state = 'dead'").fetchone()[0]
            delivered = db.execute("SELECT value FROM counters WHERE name = 'delivered'").fetchone()
            last = db.execute("SELECT last_error, failed_at FROM messages WHERE last_error IS NOT NULL "
                              "ORDER BY failed_at DESC LIMIT 1").fetchone()
            dead_rows = db.execute("SELECT id, kind, handle, body, last_error, failed_at, attempts FROM messages "
                                   "WHERE state = 'dead' ORDER BY id LIMIT ?", (dead_limit,)).fetchall()
            refusals = db.execute("SELECT handle, operation, reason, at FROM refusals ORDER BY id DESC LIMIT ?",
                                  (dead_limit,)).fetchall()
            alerts = db.execute("SELECT name, sent_at FROM alerts ORDER BY sent_at DESC LIMIT ?",
                                (dead_limit,)).fetchall()
        figures = self.figures()
        return SpoolStatus(
            path=str(self.path), pending=pending, in_flight=in_flight, waiting=waiting, dead=dead,
            delivered=int(delivered[0]) if delivered else 0, oldest_pending=oldest,
            last_error=last[0] if last else None, last_error_at=last[1] if last else None,
            dead_messages=[{"id": r[0], "to": describe_row(r[1], r[2], r[3]), "reason": r[4],
                            "failed_at": r[5], "attempts": r[6]} for r in dead_rows],
            oldest_age=None if oldest is None else max(0.0, now - oldest),
            delivered_last_hour=figures.get("delivered", 0), rate_limited_last_hour=figures.get("rate_limited", 0),
            refused_last_hour=figures.get("refused", 0),
            refusals=[{"handle": r[0], "operation": r[1], "reason": r[2], "at": r[3]} for r in refusals],
            alerts=[{"name": r[0].split(":", 1)[-1], "at": r[1]} for r in alerts])

    def requeue_dead(self, ids: Sequence[int] = (), *, sender_id: Optional[int] = None) -> int:
        """Dead rows (all, or those named) become pending again, to be tried at once.

        With ``sender_id`` they are sent as that sender (credentials fixed since).
        """
        where, params = "state = 'dead'", []
        if ids:
            where += f" AND id IN ({','.join('?' * len(ids))})"
            params = list(ids)
        with self.transaction() as db:
            if sender_id is not None:
                db.execute(f"UPDATE messages SET sender_id = ? WHERE {where}", [sender_id, *params])  # noqa: S608
            cursor = db.execute(f"UPDATE messages SET state = 'pending', not_before = 0, attempts = 0 "  # noqa: S608
                                f"WHERE {where}", params)
            db.execute("UPDATE senders SET not_before = 0, failures = 0")
        return cursor.rowcount

    def wake_senders(self) -> None:
        """Forget every sender's backoff: someone asked for delivery now (``outbox flush``)."""
        with self.transaction() as db:
            db.execute("UPDATE senders SET not_before = 0 WHERE not_before > 0")
            db.execute("UPDATE messages SET not_before = 0 WHERE state = 'pending' AND not_before > 0")


def _spooled(r: Sequence[Any]) -> SpooledMessage:
    kind = r[5] or POST
    message = Message.from_json(r[3]) if kind == POST else None
    return SpooledMessage(r[0], r[1], r[2], message, r[4], kind, r[6], json.loads(r[7]) if r[7] else {},
                          json.loads(r[8]) if r[8] else {})


def describe_row(kind: str, handle: Optional[str], body: str) -> str:
    """What a dead row was, for people: the post's destination, or the operation and its handle."""
    if (kind or POST) == POST:
        return describe_destination(Message.from_json(body))
    return f"{kind} of {handle}"


def describe_destination(message: Message) -> str:
    """``#channel > topic`` or the direct recipients, for people reading status output."""
    if message.is_direct:
        return ", ".join(message.to)
    return f"#{message.stream} > {message.topic}"


def _looks_like_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            return file.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _check_whole(db: sqlite3.Connection) -> None:
    """``quick_check``: every page of the file readable and where it should be (not every index entry)."""
    found = db.execute("PRAGMA quick_check(1)").fetchone()
    if found is None or found[0] != "ok":
        raise sqlite3.DatabaseError(f"database disk image is malformed: {found[0] if found else 'no answer'}")


def _existing_private(path: Path, *, refuse_others: bool = True) -> bool:
    """True for a non-empty spool file, made private first: it holds API keys.

    Ours with a loose mode (0644 from a copy, a umask): tightened to 0600, with a
    warning. Another user's (or a link to one): refused, so the caller falls back
    to a spool of its own, since that user could read the keys or swap the
    messages. The same for a folder another user (not root) owns. Not refused
    with ``refuse_others=False``: an admin's ``outbox status`` of a hook's spool.
    """
    uid = os.getuid() if hasattr(os, "getuid") else None
    try:
        folder = path.parent.stat()
    except OSError:
        folder = None
    if refuse_others and uid is not None and folder is not None and folder.st_uid not in (uid, 0):
        raise ConfigError(f"is in a folder of another user (owner uid {folder.st_uid}, mode "
                          f"{oct(folder.st_mode & 0o7777)}), who could read its keys or swap its messages",
                          path=str(path), key="OUTBOX_PATH",
                          fix="point OUTBOX_PATH or $WYZEPAL_OUTBOX at a file in a folder of this user")
    try:
        info = path.stat()
    except OSError:
        return False
    if uid is None:
        return info.st_size > 0
    if info.st_uid != uid:
        if not refuse_others:
            return info.st_size > 0
        raise ConfigError(f"belongs to another user (uid {info.st_uid}): it would hold this bot's key",
                          path=str(path), key="OUTBOX_PATH",
                          fix="point OUTBOX_PATH or $WYZEPAL_OUTBOX at a file of this user")
    for name in (str(path), f"{path}-wal", f"{path}-shm"):
        try:
            mode = os.stat(name).st_mode & 0o777
            if mode & 0o077:
                os.chmod(name, 0o600)
                _log.warning("%s was readable by others (mode %s) though it holds API keys; made it 0600",
                             name, oct(mode))
        except FileNotFoundError:
            continue
        except OSError as exc:
            _log.warning("%s is readable by others and could not be made private: %s", name, exc.strerror)
    return info.st_size > 0


def _create_private(path: Path) -> None:
    """Create the folder (0700) and the file (0600) before SQLite does, with a umask of its own."""
    if path.exists():
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(str(path), os.O_CREAT | os.O_RDWR, 0o600))
    except OSError as exc:
        raise ConfigError(f"cannot be created: {exc.strerror}", path=str(path), key="OUTBOX_PATH",
                          fix="set OUTBOX_PATH or $WYZEPAL_OUTBOX to a file in a folder this user can write") from None


def _is_gone(owner: str, host: str) -> bool:
    """True only when the lease's owner ran on this host and its process no longer exists."""
    parts = owner.split(":")
    if len(parts) < 3 or ":".join(parts[:-2]) != host:
        return False
    try:
        os.kill(int(parts[-2]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False
