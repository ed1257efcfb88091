"""The outbox of a Trac environment: append in the request, deliver from a process of its own.

Why not the library's in-process ``Outbox`` thread: Trac runs a full
``gc.collect()`` after every request (``trac.web.main.dispatch_request``), and
profiling tracd showed three quarters of a ticket save in it, its time growing
with every object in the process. A delivery thread brings the HTTP stack
(``requests``, ``urllib3``: about 8 % more objects than Trac's own) and its
sessions and threads into tracd, so every request of every user paid for it.
Here tracd only appends to the spool (what the library's ``HandOverOutbox`` does
for hooks); ``python -m wyzepal_trac.deliver`` delivers, started when nobody
holds the spool's worker lock, and stays while messages keep coming.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Optional

from wyzepal_notifier.outbox import HandOverOutbox

#: Seconds between two starts of a delivery process by one outbox (a start that failed is not retried at once).
RESPAWN_AFTER = 1.0
#: How often ``flush`` looks at the spool.
FLUSH_POLL = 0.05
#: Spool connections a forked child inherited: kept, never used or closed (SQLite's advice).
_INHERITED: list[Any] = []


class ProcessOutbox(HandOverOutbox):
    """``put`` and the handle operations append to the spool; a delivery process of its own sends them."""

    def __init__(self, integration: Any, path: Optional[Path] = None) -> None:
        super().__init__(integration.integration_id, integration.settings, integration.user_agent_name(),
                         integration.version)
        if path is not None:
            self.path = Path(path)
        self._worker: Optional[subprocess.Popen] = None
        self._started_at = 0.0
        self._lock = threading.Lock()
        self._pid = os.getpid()

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
        """Start a delivery process, off the request's thread, when none delivers this spool."""
        if self._worker_running():
            return
        with self._lock:
            if time.monotonic() - self._started_at < RESPAWN_AFTER:
                return
            self._started_at = time.monotonic()
        threading.Thread(target=self._start_worker, name="wyzepal-trac-start", daemon=True).start()

    def _worker_running(self) -> bool:
        if self._worker is not None and self._pid == os.getpid() and self._worker.poll() is None:
            return True
        return _lock_taken(self.path)

    def _start_worker(self) -> None:
        command = [sys.executable or "python3", "-m", "wyzepal_trac.deliver", "--outbox", str(self.path),
                   "--parent", str(os.getpid())]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(entry for entry in sys.path if entry))
        try:
            self._worker = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, close_fds=True, start_new_session=True,
                                            env=env, cwd=str(self.path.parent))
        except OSError as exc:
            import logging

            logging.getLogger("wyzepal_notifier.trac").error(
                "could not start the delivery process (%s); messages wait in %s for the next try or "
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

    def status(self) -> Any:
        return self._open().status()

    def close(self, timeout: Optional[float] = None, **_: Any) -> None:
        """Deliver for at most ``timeout`` seconds, then stop the process this outbox started (a new one
        starts at the next put); what is undelivered stays in the spool."""
        if timeout:
            self.flush(timeout)
        worker, self._worker = self._worker, None
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(5)
            except subprocess.TimeoutExpired:
                worker.kill()
        if self._spool is not None:
            self._spool.close()
            self._spool = None


def _lock_taken(spool_path: Path) -> bool:
    """Whether some process holds the spool's worker lock (the library's lock file beside the spool)."""
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
