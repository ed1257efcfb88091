"""When a spool cannot take a message: a damaged file is salvaged, a full or read-only one is left for another.

A spool is a file on a host we do not run: a disk fills, someone makes the
file read-only, a crash or a bad copy leaves it cut short or overwritten. None
of these may cost a notice silently. The rule, for every outbox:

- **damaged** (SQLite says "malformed", "not a database"): the file is moved
  aside as ``<name>.damaged-<time>`` (with its ``-wal``), every row that can
  still be read is copied into a fresh spool at the same path, and an ERROR
  log line names both files and how many messages were kept;
- **full or not writable** (``SQLITE_FULL``, read-only file or folder): the
  message goes to a fallback spool (the user's private temp folder, then a
  second file there), with an ERROR log line naming both paths;
- **nowhere to write**: a long-running host keeps the message in memory and
  says so loudly (``Outbox``); a hook about to exit says the notice is lost
  (``HandOverOutbox``). ``flush()`` is never True for what was not kept.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple, Optional

from ..errors import ConfigError

log = logging.getLogger("wyzepal_notifier.outbox")

DAMAGED, FULL, UNWRITABLE = "damaged", "full", "not writable"
_DAMAGED_WORDS = ("malformed", "not a database", "file is encrypted", "corrupt")
_FULL_WORDS = ("disk is full", "database or disk is full", "no space", "file too large")
#: Every table a spool keeps rows in, copied in this order (senders first: rows name them).
_TABLES = ("senders", "handles", "messages", "refusals", "sent", "counters", "stats", "alerts")


class SpoolDamaged(ConfigError):
    """The spool file is not a readable SQLite database any more; ``outbox salvage`` rescues its rows."""


def trouble(exc: BaseException) -> Optional[str]:
    """What a spool error means for the message: DAMAGED, FULL, UNWRITABLE, or None (not the file's fault)."""
    if isinstance(exc, SpoolDamaged):
        return DAMAGED
    text = str(exc).lower()
    if isinstance(exc, (sqlite3.DatabaseError, ConfigError)):
        if any(word in text for word in _DAMAGED_WORDS):
            return DAMAGED
        if any(word in text for word in _FULL_WORDS) or getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL":
            return FULL
        if "locked" in text or "busy" in text:
            return None  # another process holds the write lock: the busy timeout's business
        return UNWRITABLE
    if isinstance(exc, OSError):
        return FULL if getattr(exc, "errno", None) in (28, 27) else UNWRITABLE  # ENOSPC, EFBIG
    return None


class Salvaged(NamedTuple):
    """What ``salvage`` did: where the damaged file went, how many rows of each table were kept."""

    path: Path
    damaged: Path
    pending: int
    rows: dict[str, int]
    unreadable: bool

    def describe(self) -> str:
        kept = ", ".join(f"{n} {table}" for table, n in self.rows.items() if n) or "no rows"
        return (f"the spool {self.path} was damaged; moved aside to {self.damaged}, kept {kept} "
                f"({self.pending} message(s) waiting) in a fresh spool at {self.path}"
                + (f"; SQLite could read nothing of it: 'sqlite3 {self.damaged} .recover' may" if self.unreadable
                   else ""))


def salvage(path: os.PathLike | str, *, now: Optional[float] = None) -> Salvaged:
    """Move a damaged spool aside and copy every readable row into a fresh spool at its path."""
    from .spool import Spool  # spool imports this module

    path = Path(path)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(time.time() if now is None else now))
    damaged = path.with_name(f"{path.name}.damaged-{stamp}")
    while damaged.exists():
        damaged = damaged.with_name(damaged.name + "+")
    os.replace(path, damaged)
    for suffix in ("-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            os.replace(f"{path}{suffix}", f"{damaged}{suffix}")
    rows: dict[str, int] = {}
    unreadable = False
    fresh = Spool(path, integrity_check=False)
    try:
        reading = _readable_copy(damaged)
        try:
            old = sqlite3.connect(f"file:{reading}?mode=ro", uri=True)
            try:
                unreadable = not _copy_tables(old, fresh, rows)
            finally:
                old.close()
        except sqlite3.DatabaseError:
            unreadable = True
        try:
            found = _scan_pages(damaged, fresh, rows)  # rows SQLite's own reading missed (a lost root page)
            unreadable = unreadable and not found
        except (OSError, ValueError, IndexError) as exc:
            log.warning("could not scan the pages of %s: %s", damaged, exc)
        finally:
            for leftover in [Path(f"{reading}{end}") for end in ("", "-wal", "-shm")]:
                with _quietly():
                    leftover.unlink()
        pending = fresh.pending_count()
    finally:
        fresh.close()
    os.chmod(damaged, 0o600)  # it holds the keys as the spool did
    result = Salvaged(path, damaged, pending, rows, unreadable)
    log.error("%s", result.describe())
    return result


def _readable_copy(damaged: Path) -> Path:
    """A copy to read from, as long as its header says: a file cut short gets its missing pages as zeros
    (SQLite refuses the whole file otherwise; a zero page is one unreadable page)."""
    import shutil

    reading = damaged.with_name(damaged.name + ".reading")
    shutil.copyfile(damaged, reading)
    if Path(f"{damaged}-wal").exists():
        shutil.copyfile(f"{damaged}-wal", f"{reading}-wal")
    os.chmod(reading, 0o600)
    with open(reading, "r+b") as file:
        header = file.read(100)
        if len(header) == 100 and header.startswith(b"SQLite format 3\x00"):
            page_size = int.from_bytes(header[16:18], "big") or 65536
            pages = int.from_bytes(header[28:32], "big")
            if pages * page_size > os.path.getsize(reading):
                file.truncate(pages * page_size)
    return reading


#: The tables whose rows a page scan recognises, by their column count and a look at their values.
_RECOGNISE = {
    "senders": lambda v: isinstance(v[1], str) and "://" in v[1] and isinstance(v[3], str),
    "messages": lambda v: v[4] in ("pending", "dead") and isinstance(v[3], str) and v[3].startswith("{"),
    "handles": lambda v: isinstance(v[0], str) and isinstance(v[2], str) and isinstance(v[9], (int, float)),
}


def _scan_pages(damaged: Path, fresh: Any, rows: dict[str, int]) -> int:
    """Read the rows of every table leaf page of the file and its write-ahead log, reachable or not.

    SQLite finds rows from their table's root page: a file cut short or a root
    page overwritten hides every row under it though its pages are intact.
    Rows are recognised by the fresh spool's columns; ones already copied are kept.
    """
    data = damaged.read_bytes()
    if not data.startswith(b"SQLite format 3\x00"):
        return 0
    page_size = int.from_bytes(data[16:18], "big") or 65536
    usable = page_size - data[20]
    # (page number, page): SQLite counts pages from 1; the log's frames name theirs in their header.
    pages = [(n + 1, data[n * page_size:(n + 1) * page_size]) for n in range(len(data) // page_size)]
    wal = Path(f"{damaged}-wal")
    if wal.exists():  # newer copies of pages: after the file's own, so they win
        log_data = wal.read_bytes()
        frame = 24 + page_size
        pages += [(int.from_bytes(log_data[at:at + 4], "big"), log_data[at + 24:at + frame])
                  for at in range(32, len(log_data) - frame + 1, frame)]
    newest = dict(pages)  # where a long row's overflow pages are looked up
    found: dict[tuple[str, int], tuple] = {}
    with fresh.transaction() as db:
        columns = {t: [r[1] for r in db.execute(f"PRAGMA table_info({t})")] for t in _RECOGNISE}
        for number, page in pages:
            for rowid, values in _leaf_cells(page, 100 if number == 1 else 0, usable, newest.get):
                for table, looks_right in _RECOGNISE.items():
                    if len(values) == len(columns[table]) and _safely(looks_right, values):
                        if values[0] is None and table != "handles":
                            values = (rowid, *values[1:])  # INTEGER PRIMARY KEY: the rowid
                        found[(table, rowid)] = values
        added = 0
        for (table, _), values in sorted(found.items(), key=lambda item: _TABLES.index(item[0][0])):
            names = columns[table]
            cursor = db.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(names)}) "  # noqa: S608 (our names)
                                f"VALUES ({', '.join('?' * len(names))})", values)
            if cursor.rowcount:
                rows[table] = rows.get(table, 0) + 1
                added += 1
        db.execute("UPDATE messages SET claimed_by = NULL, claimed_until = 0")
    return added


def _safely(check: Any, values: tuple) -> bool:
    try:
        return bool(check(values))
    except (IndexError, TypeError, AttributeError):
        return False


def _leaf_cells(page: bytes, start: int, usable: int,
                page_at: Callable[[int], Optional[bytes]]) -> Iterator[tuple[int, tuple]]:
    """The (rowid, values) of a table leaf page's cells; a long row's rest is read from its overflow pages."""
    if len(page) < start + 8 or page[start] != 0x0D:
        return
    count = int.from_bytes(page[start + 3:start + 5], "big")
    for n in range(count):
        at = start + 8 + 2 * n
        try:
            cell = int.from_bytes(page[at:at + 2], "big")
            size, cell = _varint(page, cell)
            rowid, cell = _varint(page, cell)
            payload = _payload(page, cell, size, usable, page_at)
            if payload is not None:
                yield rowid, _record(payload)
        except (IndexError, ValueError, UnicodeDecodeError):
            continue


def _payload(page: bytes, cell: int, size: int, usable: int,
             page_at: Callable[[int], Optional[bytes]]) -> Optional[bytes]:
    """A cell's record: on the page, or (over ``usable - 35`` bytes) its start there and the rest on a chain
    of overflow pages, each ``next page number, then usable - 4 bytes``; None when a page of it is gone."""
    most_here = usable - 35
    if size <= most_here:
        return page[cell:cell + size] if cell + size <= len(page) else None
    least_here = (usable - 12) * 32 // 255 - 23  # the file format's rule for how much stays on the page
    here = least_here + (size - least_here) % (usable - 4)
    if here > most_here:
        here = least_here
    parts = [page[cell:cell + here]]
    following = int.from_bytes(page[cell + here:cell + here + 4], "big")
    got, seen = here, set()
    while got < size:
        overflow = page_at(following) if following not in seen else None
        if overflow is None or len(overflow) < usable:
            return None
        seen.add(following)
        chunk = overflow[4:4 + min(usable - 4, size - got)]
        parts.append(chunk)
        got += len(chunk)
        following = int.from_bytes(overflow[:4], "big")
    return b"".join(parts)


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = 0
    for k in range(9):
        byte = data[at + k]
        if k == 8:
            return (value << 8) | byte, at + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + k + 1
    raise ValueError("varint")


def _record(payload: bytes) -> tuple:
    """SQLite's record format: a header of serial types, then the values."""
    import struct

    header_size, at = _varint(payload, 0)
    types = []
    while at < header_size:
        kind, at = _varint(payload, at)
        types.append(kind)
    values: list[Any] = []
    at = header_size
    widths = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}
    for kind in types:
        if kind == 0:
            values.append(None)
        elif kind in widths:
            width = widths[kind]
            values.append(int.from_bytes(payload[at:at + width], "big", signed=True))
            at += width
        elif kind == 7:
            values.append(struct.unpack(">d", payload[at:at + 8])[0])
            at += 8
        elif kind in (8, 9):
            values.append(kind - 8)
        elif kind >= 12:
            length = (kind - 12) // 2
            chunk = payload[at:at + length]
            if len(chunk) != length:
                raise ValueError("short value")
            values.append(chunk.decode("utf-8") if kind % 2 else chunk)
            at += length
        else:
            raise ValueError("reserved serial type")
    return tuple(values)


def _copy_tables(old: sqlite3.Connection, fresh: Any, rows: dict[str, int]) -> bool:
    """Copy what can be read, table by table; False when not even the list of tables could be read."""
    try:
        names = {r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return False
    with fresh.transaction() as db:
        for table in _TABLES:
            if table not in names:
                continue
            wanted = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            try:
                have = [r[1] for r in old.execute(f"PRAGMA table_info({table})")]
            except sqlite3.DatabaseError:
                continue
            columns = [c for c in wanted if c in have and c not in ("claimed_by",)]
            insert = (f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "  # noqa: S608 (our own names)
                      f"VALUES ({', '.join('?' * len(columns))})")
            count = 0
            for row in _readable_rows(old, table, columns):
                db.execute(insert, row)
                count += 1
            rows[table] = count
        db.execute("UPDATE messages SET claimed_until = 0")  # no lease of the old file's workers holds here
    return True


def _readable_rows(db: sqlite3.Connection, table: str, columns: list[str]) -> Iterator[tuple]:
    """Rows in rowid order, stepping over pages that cannot be read (ever larger jumps, then giving up)."""
    query = f"SELECT rowid, {', '.join(columns)} FROM {table} WHERE rowid > ? ORDER BY rowid"  # noqa: S608
    after, jump = -(2 ** 62), 1
    while jump < 2 ** 20:
        try:
            for row in db.execute(query, (after,)):
                after, jump = row[0], 1
                yield row[1:]
            return
        except sqlite3.DatabaseError:
            after = max(after, 0) + jump
            jump *= 2


def open_salvaged(path: os.PathLike | str, open_at: Any) -> Any:
    """``open_at(path)``; a damaged spool there is salvaged first (its readable rows kept, the file moved aside)."""
    try:
        return open_at(Path(path))
    except SpoolDamaged:
        try:
            salvage(path)
        except FileNotFoundError:
            pass  # another process (the worker, a second hook) moved it aside first: its fresh spool is there
        return open_at(Path(path))


def fallback_paths(tool: str, failed: Path) -> list[Path]:
    """Where a message goes when ``failed`` cannot take it: the private temp spool, then a second one there."""
    from .paths import private_temp_dir, spool_filename

    try:
        folder = private_temp_dir()
    except (ConfigError, OSError) as exc:
        log.error("no private temp folder for a fallback spool: %s", exc)
        return []
    places = [folder / spool_filename(tool), folder / f"{tool}-outbox-fallback.sqlite3"]
    return [p for p in places if p != failed]


def open_elsewhere(tool: str, failed: Path, exc: BaseException, open_at: Any,
                   avoid: frozenset[Path] | set[Path] = frozenset()) -> Any:
    """After ``failed`` could not take a message (``exc``): the spool that can, salvaged or a fallback.

    Raises the last error when none can (the caller keeps the message in memory or
    says it is lost). A damaged spool is salvaged in place first: its rows, and its
    handles, are worth more than a clean fallback.
    """
    kind = trouble(exc)
    if kind == DAMAGED:
        try:
            salvage(failed)
            return open_at(failed)
        except (OSError, sqlite3.DatabaseError, ConfigError) as again:
            log.error("could not salvage %s (%s)", failed, again)
            exc = again
    last: BaseException = exc
    for place in [p for p in fallback_paths(tool, failed) if p not in avoid]:  # none tried twice in one write
        try:
            opened = open_at(place)
        except (OSError, sqlite3.DatabaseError, ConfigError) as again:
            last = again
            continue
        log.error("the spool %s cannot take messages (%s: %s); using %s instead: run "
                  "'wyzepal-integrations outbox flush --outbox %s' once %s is fixed if the worker has not",
                  failed, kind or "error", _short(exc), place, place, failed)
        return opened
    raise last


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


#: Seconds between two rounds of looking for a spool that takes writes, once none did.
RETRY_SPOOLS_AFTER = 5.0


class SafeSpool:
    """A spool that moves on when its file fails a write: salvaged in place, or a fallback spool.

    Wraps a :class:`~.spool.Spool` (every other method goes to it). The writes of
    a host (``save_sender``, ``append``, ``append_operation``) that meet a damaged,
    full or read-only file are done again on the spool ``open_elsewhere`` finds,
    with the sender saved there first. When none can take a write,
    ``keep_in_memory`` (a long-running host) keeps it to write later, else it is
    counted in ``lost``; both with an ERROR log line. ``on_switch(path)`` is told
    where the spool now is (the worker must follow).
    """

    _WRITES = ("append", "append_operation")

    def __init__(self, tool: str, spool: Any, open_at: Any, *, keep_in_memory: bool = False,
                 on_switch: Any = None) -> None:
        self._tool = tool
        self._current = spool
        self._open_at = open_at
        self._keep_in_memory = keep_in_memory
        self._on_switch = on_switch
        self._senders: dict[int, tuple[tuple, dict]] = {}
        self._sender_ids: dict[int, int] = {}
        #: Writes no spool could take: (method, args, kwargs), written again at the next chance.
        self.unspooled: list[tuple[str, tuple, dict]] = []
        self.lost = 0
        self._stuck_since: Optional[float] = None  # when no spool could be opened: not tried at every write

    @property
    def path(self) -> Path:
        return self._current.path

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current, name)

    def save_sender(self, *args: Any, **kwargs: Any) -> int:
        """A token for the sender, mapped to its id in whichever spool holds its messages."""
        token = -1 - len(self._senders)
        self._senders[token] = (args, kwargs)
        try:
            self._sender_ids[token] = self._current.save_sender(*args, **kwargs)
        except (sqlite3.DatabaseError, OSError) as exc:
            if trouble(exc) is None:
                raise
            self._move_on(exc)  # saves it there; with no spool at all, its messages say so
        return token

    def append(self, sender_id: int, *args: Any, **kwargs: Any) -> int:
        return self._write("append", sender_id, args, kwargs)

    def append_operation(self, sender_id: int, *args: Any, **kwargs: Any) -> int:
        return self._write("append_operation", sender_id, args, kwargs)

    def write_unspooled(self) -> bool:
        """Try again what only memory holds (True when nothing is left there)."""
        failed: set[Path] = set()
        while self.unspooled:
            method, args, kwargs = self.unspooled[0]
            try:
                getattr(self._current, method)(self._mapped(args[0]), *args[1:], **kwargs)
            except (sqlite3.DatabaseError, OSError, ConfigError) as exc:
                failed.add(self._current.path)
                if len(failed) > 3 or not self._move_on(exc, avoid=failed):
                    self._stuck_since = time.monotonic()
                    return False
                continue
            self.unspooled.pop(0)
        log.warning("the messages kept in memory are in the spool %s now", self.path)
        return True

    def _mapped(self, sender_id: int) -> int:
        return self._sender_ids.get(sender_id, sender_id)

    def _write(self, method: str, sender_id: int, args: tuple, kwargs: dict) -> int:
        if self.unspooled and not self.write_unspooled():
            return self._keep(method, (sender_id, *args), kwargs, None)
        failed: set[Path] = set()
        last: Optional[BaseException] = None
        for _ in range(4):  # the spool, salvaged once, and two fallbacks: never round in circles
            try:
                return int(getattr(self._current, method)(self._mapped(sender_id), *args, **kwargs))
            except (sqlite3.DatabaseError, OSError) as exc:
                if trouble(exc) is None:
                    raise
                last = exc
                failed.add(self._current.path)
                if not self._move_on(exc, avoid=failed):
                    break
        self._stuck_since = time.monotonic()
        return self._keep(method, (sender_id, *args), kwargs, last)

    def _move_on(self, exc: BaseException, avoid: frozenset[Path] | set[Path] = frozenset()) -> bool:
        """Open the spool that can take writes now and save the senders there; False when there is none.

        After a round where none could, the next is tried only ``RETRY_SPOOLS_AFTER`` seconds later:
        opening a spool may wait out a busy lock, and a full disk must not slow every write down.
        """
        if self._stuck_since is not None and time.monotonic() - self._stuck_since < RETRY_SPOOLS_AFTER:
            return False
        self._stuck_since = None
        failed = self._current
        try:
            spool = open_elsewhere(self._tool, failed.path, exc, self._open_at, avoid=avoid)
        except (sqlite3.DatabaseError, OSError, ConfigError) as again:
            log.error("no spool can take messages (%s: %s; then %s)", failed.path, _short(exc), _short(again))
            self._stuck_since = time.monotonic()
            return False
        try:
            for old, (args, kwargs) in self._senders.items():
                self._sender_ids[old] = spool.save_sender(*args, **kwargs)
        except (sqlite3.DatabaseError, OSError) as again:
            spool.close()
            log.error("the spool %s cannot take messages either (%s)", spool.path, _short(again))
            self._stuck_since = time.monotonic()
            return False
        if spool is not failed:
            with _quietly():
                failed.close()
        self._current = spool
        if self._on_switch is not None:
            self._on_switch(spool.path)
        return True

    def _keep(self, method: str, args: tuple, kwargs: dict, exc: Optional[BaseException]) -> int:
        what = _describe(method, args)
        if self._keep_in_memory:
            self.unspooled.append((method, args, kwargs))
            log.error("%s is kept in MEMORY ONLY (%d so far): no spool can take it; it is lost if this process "
                      "ends before %s (or a fallback in the temp folder) can be written", what,
                      len(self.unspooled), self.path)
        else:
            self.lost += 1
            log.error("%s is LOST: no spool can take it (%s%s); free space or fix the permissions of %s",
                      what, self.path, f": {_short(exc)}" if exc else "", self.path.parent)
        return 0


def _describe(method: str, args: tuple) -> str:
    if method == "append" and len(args) > 1 and hasattr(args[1], "key"):
        from .spool import describe_destination

        try:
            return f"a message to {describe_destination(args[1])}"
        except Exception:  # describing must never cost more than the message
            return "a message"
    return f"an operation on {args[1]!r}" if len(args) > 1 else "a message"


class _quietly:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> bool:
        return exc[0] is not None and issubclass(exc[0], Exception)
