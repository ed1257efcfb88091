"""SQLite storage (a file, or ``:memory:``) for users, channels and messages.

One connection guarded by a lock, so the server's event loop and a test thread
can both use it; every statement is short, so nobody waits long.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    full_name TEXT NOT NULL,
    api_key TEXT NOT NULL,
    is_bot INTEGER NOT NULL DEFAULT 1,
    is_active INTEGER NOT NULL DEFAULT 1,
    date_joined REAL NOT NULL,
    role INTEGER NOT NULL DEFAULT 400
);
CREATE TABLE IF NOT EXISTS streams (
    stream_id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT NOT NULL DEFAULT '',
    invite_only INTEGER NOT NULL DEFAULT 0,
    date_created REAL NOT NULL,
    creator_id INTEGER
);
CREATE TABLE IF NOT EXISTS subscriptions (
    user_id INTEGER NOT NULL,
    stream_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, stream_id)
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    stream_id INTEGER,
    recipients TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    client TEXT NOT NULL DEFAULT 'API',
    edit_history TEXT NOT NULL DEFAULT '[]',
    last_edit_timestamp INTEGER,
    last_moved_timestamp INTEGER
);
CREATE TABLE IF NOT EXISTS reactions (
    message_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    emoji_name TEXT NOT NULL,
    emoji_code TEXT NOT NULL,
    reaction_type TEXT NOT NULL,
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    UNIQUE (message_id, user_id, emoji_code, reaction_type)
);
"""

#: Columns added after the first release: (table, column, declaration), so older --db files open.
_ADDED_COLUMNS = (
    ("users", "role", "INTEGER NOT NULL DEFAULT 400"),
    ("messages", "edit_history", "TEXT NOT NULL DEFAULT '[]'"),
    ("messages", "last_edit_timestamp", "INTEGER"),
    ("messages", "last_moved_timestamp", "INTEGER"),
)


@dataclass(frozen=True)
class User:
    """A human or bot account; ``api_key`` is what HTTP Basic auth checks."""

    user_id: int
    email: str
    full_name: str
    api_key: str
    is_bot: bool
    is_active: bool
    date_joined: float
    role: int = 400


@dataclass(frozen=True)
class Stream:
    """A channel (Zulip's API still says "stream" in most field names)."""

    stream_id: int
    name: str
    description: str
    invite_only: bool
    date_created: float
    creator_id: Optional[int]


@dataclass(frozen=True)
class Message:
    """A stored message; ``recipients`` are the user ids of a direct message."""

    id: int
    sender_id: int
    type: str  # "stream" or "private", as the API reports it
    stream_id: Optional[int]
    recipients: Tuple[int, ...]
    subject: str
    content: str
    timestamp: int
    client: str
    #: Newest first, as the spec's ``edit_history``.
    edit_history: Tuple[Dict[str, Any], ...] = ()
    last_edit_timestamp: Optional[int] = None
    last_moved_timestamp: Optional[int] = None


@dataclass(frozen=True)
class Reaction:
    """One user's emoji on one message."""

    message_id: int
    user_id: int
    emoji_name: str
    emoji_code: str
    reaction_type: str


# Rows are read with SELECT *: the column order of _SCHEMA is the field order below.
def _user(row: Any) -> User:
    return User(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]), row[6], row[7])


def _stream(row: Any) -> Stream:
    return Stream(row[0], row[1], row[2], bool(row[3]), row[4], row[5])


def _message(row: Any) -> Message:
    recipients = tuple(int(x) for x in row[4].split(",") if x)
    history = tuple(json.loads(row[9] or "[]"))
    return Message(*row[:4], recipients, *row[5:9], history, row[10], row[11])


class Store:
    """All persistent state of the dev server."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._migrate()
        self._db.executescript(_SCHEMA)

    def _migrate(self) -> None:
        """Add the columns a database made by an older dev server lacks."""
        for table, column, declaration in _ADDED_COLUMNS:
            columns = [r[1] for r in self._db.execute(f"PRAGMA table_info({table})").fetchall()]
            if columns and column not in columns:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def close(self) -> None:
        """Close the database; the store is unusable afterwards."""
        with self._lock:
            self._db.close()

    def _query(self, sql: str, args: Tuple[Any, ...] = ()) -> List[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _execute(self, sql: str, args: Tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    # --- users -----------------------------------------------------------------
    def add_user(self, email: str, full_name: str, api_key: str, is_bot: bool, role: int = 400) -> User:
        """Create a user, or update name, key and role of the one with this email."""
        with self._lock:
            existing = self.user_by_email(email)
            if existing is not None:
                self._execute(
                    "UPDATE users SET full_name = ?, api_key = ?, is_bot = ?, role = ? WHERE user_id = ?",
                    (full_name, api_key, int(is_bot), role, existing.user_id),
                )
                return self.user_by_id(existing.user_id)  # type: ignore[return-value]
            cur = self._execute(
                "INSERT INTO users (email, full_name, api_key, is_bot, date_joined, role) VALUES (?, ?, ?, ?, ?, ?)",
                (email, full_name, api_key, int(is_bot), time.time(), role),
            )
            return self.user_by_id(int(cur.lastrowid or 0))  # type: ignore[return-value]

    def user_by_email(self, email: str) -> Optional[User]:
        """The user with this email (case-insensitive), if any."""
        rows = self._query("SELECT * FROM users WHERE email = ?", (email,))
        return _user(rows[0]) if rows else None

    def user_by_id(self, user_id: int) -> Optional[User]:
        """The user with this id, if any."""
        rows = self._query("SELECT * FROM users WHERE user_id = ?", (user_id,))
        return _user(rows[0]) if rows else None

    def users(self) -> List[User]:
        """Every user, by id."""
        return [_user(r) for r in self._query("SELECT * FROM users ORDER BY user_id")]

    def set_active(self, user_id: int, active: bool) -> None:
        """(De)activate a user; deactivated users fail authentication."""
        self._execute("UPDATE users SET is_active = ? WHERE user_id = ?", (int(active), user_id))

    # --- channels ----------------------------------------------------------------
    def add_stream(
        self,
        name: str,
        description: str = "",
        invite_only: bool = False,
        creator_id: Optional[int] = None,
    ) -> Tuple[Stream, bool]:
        """Get or create the channel ``name``; the flag says whether it was created."""
        with self._lock:
            existing = self.stream_by_name(name)
            if existing is not None:
                return existing, False
            cur = self._execute(
                "INSERT INTO streams (name, description, invite_only, date_created, creator_id) VALUES (?, ?, ?, ?, ?)",
                (name, description, int(invite_only), time.time(), creator_id),
            )
            return self.stream_by_id(int(cur.lastrowid or 0)), True  # type: ignore[return-value]

    def stream_by_name(self, name: str) -> Optional[Stream]:
        """The channel of this name (case-insensitive, as Zulip), if any."""
        rows = self._query("SELECT * FROM streams WHERE name = ?", (name,))
        return _stream(rows[0]) if rows else None

    def stream_by_id(self, stream_id: int) -> Optional[Stream]:
        """The channel with this id, if any."""
        rows = self._query("SELECT * FROM streams WHERE stream_id = ?", (stream_id,))
        return _stream(rows[0]) if rows else None

    def streams(self) -> List[Stream]:
        """Every channel, by id."""
        rows = self._query("SELECT * FROM streams ORDER BY stream_id")
        return [_stream(r) for r in rows]

    # --- subscriptions -----------------------------------------------------------
    def subscribe(self, user_id: int, stream_id: int) -> bool:
        """Subscribe; False when the user already was."""
        cur = self._execute(
            "INSERT OR IGNORE INTO subscriptions (user_id, stream_id) VALUES (?, ?)",
            (user_id, stream_id),
        )
        return cur.rowcount == 1

    def unsubscribe(self, user_id: int, stream_id: int) -> bool:
        """Unsubscribe; False when the user was not subscribed."""
        cur = self._execute("DELETE FROM subscriptions WHERE user_id = ? AND stream_id = ?", (user_id, stream_id))
        return cur.rowcount == 1

    def subscribers(self, stream_id: int) -> List[int]:
        """User ids subscribed to a channel."""
        rows = self._query("SELECT user_id FROM subscriptions WHERE stream_id = ? ORDER BY user_id", (stream_id,))
        return [r[0] for r in rows]

    def subscribed_stream_ids(self, user_id: int) -> List[int]:
        """Channel ids a user is subscribed to."""
        rows = self._query("SELECT stream_id FROM subscriptions WHERE user_id = ? ORDER BY stream_id", (user_id,))
        return [r[0] for r in rows]

    # --- messages ----------------------------------------------------------------
    def add_message(
        self,
        sender_id: int,
        msg_type: str,
        stream_id: Optional[int],
        recipients: Tuple[int, ...],
        subject: str,
        content: str,
        client: str,
    ) -> Message:
        """Store a message and return it with its new id."""
        with self._lock:
            cur = self._execute(
                "INSERT INTO messages (sender_id, type, stream_id, recipients, subject, content,"
                " timestamp, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sender_id,
                    msg_type,
                    stream_id,
                    ",".join(str(r) for r in sorted(recipients)),
                    subject,
                    content,
                    int(time.time()),
                    client,
                ),
            )
            return self.message(int(cur.lastrowid or 0))  # type: ignore[return-value]

    def message(self, message_id: int) -> Optional[Message]:
        """The message with this id, if any."""
        rows = self._query("SELECT * FROM messages WHERE id = ?", (message_id,))
        return _message(rows[0]) if rows else None

    def messages(self) -> Iterator[Message]:
        """Every message, oldest first (a dev server holds few)."""
        rows = self._query("SELECT * FROM messages ORDER BY id")
        return (_message(r) for r in rows)

    def first_message_id(self, stream_id: int) -> Optional[int]:
        """Id of a channel's oldest message, None when it has none."""
        rows = self._query("SELECT MIN(id) FROM messages WHERE stream_id = ?", (stream_id,))
        return rows[0][0] if rows else None

    def max_message_id(self) -> int:
        """Highest message id, -1 when there is none (as Zulip's register)."""
        rows = self._query("SELECT MAX(id) FROM messages")
        return rows[0][0] if rows and rows[0][0] is not None else -1

    def clear_messages(self) -> None:
        """Delete every message and reaction (ids keep increasing, as on a real server)."""
        with self._lock:
            self._execute("DELETE FROM messages")
            self._execute("DELETE FROM reactions")

    def topic_messages(self, stream_id: int, topic: str) -> List[Message]:
        """A channel topic's messages (topic case-insensitive, as Zulip), oldest first."""
        rows = self._query(
            "SELECT * FROM messages WHERE stream_id = ? AND subject = ? COLLATE NOCASE ORDER BY id",
            (stream_id, topic),
        )
        return [_message(r) for r in rows]

    def update_message(self, message_id: int, **fields: Any) -> None:
        """Set ``subject``, ``content``, ``stream_id``, ``timestamp``, ``edit_history`` or the edit times."""
        allowed = {"subject", "content", "stream_id", "timestamp", "edit_history", "last_edit_timestamp",
                   "last_moved_timestamp"}
        if not fields or not set(fields) <= allowed:
            raise ValueError(f"cannot update {sorted(set(fields) - allowed)}")
        values = [json.dumps(list(v)) if k == "edit_history" else v for k, v in fields.items()]
        assignments = ", ".join(f"{k} = ?" for k in fields)
        self._execute(f"UPDATE messages SET {assignments} WHERE id = ?", (*values, message_id))  # noqa: S608

    # --- reactions ---------------------------------------------------------------
    def add_reaction(self, reaction: Reaction) -> bool:
        """Store a reaction; False when this user already reacted with this emoji."""
        cur = self._execute(
            "INSERT OR IGNORE INTO reactions (message_id, user_id, emoji_name, emoji_code, reaction_type)"
            " VALUES (?, ?, ?, ?, ?)",
            (reaction.message_id, reaction.user_id, reaction.emoji_name, reaction.emoji_code, reaction.reaction_type),
        )
        return cur.rowcount == 1

    def remove_reaction(self, message_id: int, user_id: int, emoji_code: str, reaction_type: str) -> Optional[Reaction]:
        """Delete a reaction and return it; None when there was none."""
        with self._lock:
            found = [r for r in self.reactions([message_id]) if
                     (r.user_id, r.emoji_code, r.reaction_type) == (user_id, emoji_code, reaction_type)]
            if not found:
                return None
            self._execute(
                "DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji_code = ? AND reaction_type = ?",
                (message_id, user_id, emoji_code, reaction_type),
            )
            return found[0]

    def reactions(self, message_ids: Iterable[int]) -> List[Reaction]:
        """Reactions to these messages, in the order they were added."""
        ids: Sequence[int] = list(message_ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        columns = "message_id, user_id, emoji_name, emoji_code, reaction_type"
        sql = f"SELECT {columns} FROM reactions WHERE message_id IN ({marks}) ORDER BY seq"  # noqa: S608 - placeholders
        rows = self._query(sql, tuple(ids))
        return [Reaction(*r) for r in rows]
