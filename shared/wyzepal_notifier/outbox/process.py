"""The outbox of a long-running host that must stay light: append in the host, deliver from a process of its own.

The threaded :class:`~wyzepal_notifier.outbox.Outbox` brings the HTTP stack
(``requests``, ``urllib3``), its sessions and a thread into the host. Some
hosts pay for every object they hold: Trac runs a full ``gc.collect()`` after
every request, and profiling showed three quarters of a ticket save in it.
Here the host only appends to the spool, as hooks do
(:class:`~wyzepal_notifier.outbox.HandOverOutbox`); the library's worker
(``python -m wyzepal_notifier.outbox.worker --linger ... --parent PID``) is
started, off the caller's thread, when nobody holds the spool's worker lock,
stays while messages keep coming, and leaves a while after the last one, or
once the host is gone.
"""
from __future__ import annotations

import atexit
import logging
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Optional

from ..config import Settings
from .detached import start_worker
from .handover import HandOverOutbox
from .spool import SpoolStatus

log = logging.getLogger("wyzepal_notifier.outbox")

#: Seconds the delivery process waits for new messages once the spool is empty.
DEFAULT_LINGER = 600.0
#: With the server unreachable, how long a round of delivery tries before the process looks whether
#: its host is still there.
ROUND = 60.0
#: Seconds between two starts of a delivery process by one outbox (a start that failed is not retried at once).
RESPAWN_AFTER = 1.0
#: How often ``flush`` looks at the spool.
FLUSH_POLL = 0.05
#: Spool connections a forked child inherited: kept, never used or closed (SQLite's advice).
_INHERITED: list[Any] = []


class ProcessOutbox(HandOverOutbox):
    """``put`` and the handle operations append to the spool; a delivery process of the host's own sends them."""

    keeps_in_memory = True  # the host goes on running: what no spool takes now is written when one does

    def __init__(self, tool: str, settings: Settings, client_name: str, client_version: str, *,
                 path: Optional[Path] = None, linger: float = DEFAULT_LINGER, round_seconds: float = ROUND) -> None:
        super().__init__(tool, settings, client_name, client_version)
        if path is not None:
            self.path = Path(path)
        self.linger = linger
        self.round_seconds = round_seconds
        self._worker: Optional[subprocess.Popen] = None
        self._started_at = 0.0
        self._lock = threading.Lock()
        self._pid = os.getpid()
        atexit.register(self._at_exit)

    def _at_exit(self) -> None:
        """A host that exits (a script saving one ticket) leaves its waiting messages to a worker, never behind."""
        if os.getpid() != self._pid:
            return
        try:
            self.close()
        except Exception:  # interpreter shutdown: never turn an exit into a traceback
            log.debug("process outbox close at exit failed", exc_info=True)

    def _open(self) -> Any:
        """A forked child (a pre-forking server) opens its own connection; its parent's worker is not its own."""
        if self._pid != os.getpid():
            _INHERITED.append(self._spool)
            self._spool, self._worker, self._pid = None, None, os.getpid()
            self._lock = threading.Lock()
        return super()._open()

    def put(self, message: Any, **options: Any) -> None:
        super().put(message, **options)
        self.ensure_worker()

    def _operation(self, handle: str, kind: str, args: dict[str, Any]) -> None:
        super()._operation(handle, kind, args)
        self.ensure_worker()

    def ensure_worker(self) -> None:
        """Start a delivery process, off the caller's thread, when none delivers this spool."""
        if self._worker_running():
            return
        with self._lock:
            if time.monotonic() - self._started_at < RESPAWN_AFTER:
                return
            self._started_at = time.monotonic()
        threading.Thread(target=self._start_worker, name="wyzepal-outbox-start", daemon=True).start()

    def _worker_running(self) -> bool:
        if self._worker is not None and self._pid == os.getpid() and self._worker.poll() is None:
            return True
        return lock_taken(self.path)

    def _start_worker(self) -> None:
        try:
            self._worker = start_worker(self.path, "--linger", str(self.linger), "--parent", str(os.getpid()),
                                        "--give-up-after", str(self.round_seconds))
        except OSError as exc:
            log.error("could not start the delivery process (%s); messages wait in %s for the next try or "
                      "'wyzepal-integrations outbox flush --outbox %s'", exc, self.path, self.path)

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Wait until nothing is pending (True) or ``timeout`` runs out (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        spool = self._open()
        while spool.pending_count():
            self.ensure_worker()
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(FLUSH_POLL)
        return True

    def status(self) -> SpoolStatus:
        return self._open().status()

    def close(self, timeout: Optional[float] = None, **_: Any) -> None:
        """Deliver for at most ``timeout`` seconds, stop the lingering process this outbox started, and leave
        what still waits to a detached worker that delivers it and exits (the host may be about to exit too:
        a script that saved a ticket through Trac's API, a tracd shutting down)."""
        if timeout:
            self.flush(timeout)
        worker, self._worker = self._worker, None
        if worker is not None and worker.poll() is None:
            worker.terminate()  # it finishes the message in hand and lets go of the spool
            try:
                worker.wait(5)
            except subprocess.TimeoutExpired:
                worker.kill()
        super().close()


def lock_taken(spool_path: Path) -> bool:
    """Whether some process holds the spool's worker lock (the lock file beside the spool)."""
    try:
        import fcntl
    except ImportError:  # no flock: leases alone keep workers apart; start one
        return False
    try:
        fd = os.open(f"{spool_path}.worker-lock", os.O_CREAT | os.O_RDWR, 0o600)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
