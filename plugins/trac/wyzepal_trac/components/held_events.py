"""Events held back while the config cannot be loaded, announced once it can.

A broken ``wyzepal_trac_config.py`` must not cost the notifications of the
tickets saved meanwhile: their events wait in a small SQLite file in the
environment's ``db/`` folder (several tracd processes may share it) and are
announced, oldest first, by the first process that loads a good config.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping

log = logging.getLogger("wyzepal_notifier.trac")

#: Past this many, the oldest held events give way (logged) so the file stays small.
MAX_HELD = 10000
FILENAME = "wyzepal_held_events.sqlite3"


class HeldEvents:
    """A durable FIFO of event dicts."""

    def __init__(self, path: Path, limit: int = MAX_HELD) -> None:
        self.path = Path(path)
        self.limit = limit
        self._lock = threading.Lock()

    @classmethod
    def for_environment(cls, env_path: str) -> HeldEvents:
        return cls(Path(env_path) / "db" / FILENAME)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path), timeout=10, isolation_level=None)
        db.execute("CREATE TABLE IF NOT EXISTS held (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                   "created REAL NOT NULL, event TEXT NOT NULL)")
        return db

    def hold(self, event: Mapping[str, Any]) -> None:
        with self._lock:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT INTO held (created, event) VALUES (?, ?)", (time.time(), json.dumps(event)))
                dropped = db.execute("DELETE FROM held WHERE id <= (SELECT MAX(id) FROM held) - ?",
                                     (self.limit,)).rowcount
                db.execute("COMMIT")
            finally:
                db.close()
        if dropped:
            log.warning("more than %d Trac events held back; the oldest %d were dropped", self.limit, dropped)

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._lock:
            db = self._connect()
            try:
                return int(db.execute("SELECT COUNT(*) FROM held").fetchone()[0])
            finally:
                db.close()

    def release(self, announce: Callable[[dict[str, Any]], object]) -> int:
        """Announce every held event, oldest first, and forget them (all in one transaction)."""
        if not self.path.exists():
            return 0
        with self._lock:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                rows = db.execute("SELECT id, event FROM held ORDER BY id").fetchall()
                for _, event in rows:
                    announce(json.loads(event))
                db.execute("DELETE FROM held WHERE id <= ?", (rows[-1][0] if rows else 0,))
                db.execute("COMMIT")
            finally:
                db.close()
        return len(rows)
