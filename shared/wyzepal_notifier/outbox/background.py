"""The outbox a plugin holds: ``put`` writes to the spool and returns; a thread delivers.

Modelled on sentry-python's transport and worker: the host never waits for the
server and never sees a delivery error; a background thread does the sending;
at exit an ``atexit`` hook flushes for a bounded time (``exit_timeout``) and
leaves the rest in the spool for the next start or ``outbox flush``. Unlike
sentry's in-memory queue, the queue *is* the spool, so memory stays bounded
(one claimed batch) however long the server is down, and nothing is lost when
the process dies.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Mapping, Optional

from ..config.credentials import Credentials
from ..errors import ConfigError
from ..message import Message
from ..version import __version__
from . import detached
from .alerts import alert_settings, tell_host
from .contract import HandleOperations
from .courier import DEFAULT_LEASE, Courier
from .handles import DEFAULT_HANDLE_TTL, HandleState
from .paths import default_outbox_path, open_with_fallback, shared_url
from .salvage import SafeSpool, open_salvaged
from .spool import Spool, SpoolStatus

log = logging.getLogger("wyzepal_notifier.outbox")

EXIT_TIMEOUT_ENV = "WYZEPAL_OUTBOX_EXIT_TIMEOUT"
DEFAULT_EXIT_TIMEOUT = 2.0
#: How often an idle worker looks for rows other (perhaps crashed) processes left.
IDLE_POLL = 30.0

#: Guards the reopening after a fork; replaced in each child, so a lock some thread of
#: the parent held at the fork cannot hang the child.
_FORK_GUARD = threading.Lock()


def _fresh_fork_guard() -> None:
    global _FORK_GUARD
    _FORK_GUARD = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_fork_guard)

#: Spool connections a forked child inherited: kept, never used or closed (SQLite's advice).
_INHERITED: list[Spool] = []


class Outbox(HandleOperations):
    """A durable queue of messages for one sender, delivered by a background thread.

    ``handle_ttl``: how long the handles given to ``put`` are remembered (90 days).
    """

    def __init__(self, path: os.PathLike | str, credentials: Optional[Credentials] = None, *,
                 client_name: str = "WyzePalIntegrations", client_version: str = __version__,
                 exit_timeout: Optional[float] = None, lease: float = DEFAULT_LEASE,
                 courier_options: Optional[dict[str, Any]] = None, handle_ttl: float = DEFAULT_HANDLE_TTL,
                 alerts: Optional[dict[str, Any]] = None) -> None:
        self.path = Path(path)
        self.handle_ttl = handle_ttl
        self.alerts = alerts
        self.credentials = credentials
        self.client_name = client_name
        self.client_version = client_version
        self.exit_timeout = _exit_timeout(exit_timeout)
        self._courier_options = {"lease": lease, **(courier_options or {})}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._progress = threading.Condition()
        self._open()
        atexit.register(self._at_exit)

    def _open(self) -> None:
        self._pid = os.getpid()
        # The worker's connection does the checkpoints. A spool that fails a write is left for
        # another (outbox.salvage); with none, the host lives on: kept in memory, said loudly.
        tool = _tool_of(self.path)
        self._spool = SafeSpool(tool, open_salvaged(self.path, self._host_spool), self._host_spool,
                                keep_in_memory=True, on_switch=self._moved)
        self.path = self._spool.path
        self._sender_id = (self._spool.save_sender(self.credentials, self.client_name, self.client_version,
                                                   self.alerts)
                           if self.credentials is not None else None)
        tell_host(self._spool, log)
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._closed = False
        if self._spool.pending_count():
            self._start_worker()  # left over from an earlier run: deliver it now

    @staticmethod
    def _host_spool(path: Path) -> Spool:
        return Spool(path, checkpoints=False)

    def _moved(self, path: Path) -> None:
        """The spool could not take a write and another does: the worker follows it there."""
        self.path = path
        if getattr(self, "_stopping", None) is None:
            return  # still opening: the worker starts on the new path
        with self._lock:
            self._stopping.set()  # the old thread's own event: it stops after its round
            self._wake.set()
            self._stopping = threading.Event()
            self._thread = None
        self._start_worker()

    @classmethod
    def for_integration(cls, integration: Any, **options: Any) -> Any:
        """The outbox of a plugin: its spool path (see ``outbox.paths``) and its bot's credentials.

        With ``OUTBOX_URL`` (or ``$WYZEPAL_OUTBOX_URL``) the site's shared outbox on Redis instead
        (:class:`~.shared.SharedOutbox`, same contract; ``outbox serve`` delivers).
        """
        settings = integration.settings
        tool = integration.integration_id or "plugin"
        if shared_url(settings):
            from .shared import shared_outbox_for

            return shared_outbox_for(tool, settings, integration.user_agent_name(), integration.version,
                                     **({"handle_ttl": options["handle_ttl"]} if "handle_ttl" in options else {}))
        path = default_outbox_path(tool, configured=settings.get("OUTBOX_PATH"), config_path=settings.path)
        options.setdefault("alerts", alert_settings(settings))
        options.setdefault("client_name", integration.user_agent_name())
        options.setdefault("client_version", integration.version)
        return open_with_fallback(tool, path, lambda place: cls(place, settings.credentials, **options))

    def __repr__(self) -> str:
        return f"Outbox({str(self.path)!r})"

    # -- the host's side: cheap and never waiting on the network -----------------

    def put(self, message: Message, *, handle: Optional[str] = None, conversation: Optional[str] = None) -> None:
        """Store the message in the spool (durable on return) and wake the worker.

        ``handle`` names the message for later operations; ``conversation`` makes
        it follow that handle's message (see :class:`~.contract.DeliveryOutbox`).
        """
        sender = self._ready()
        self._spool.append(sender, message.checked(), handle=handle, conversation=conversation,
                           handle_ttl=self.handle_ttl)
        self._wake_worker()

    def _operation(self, handle: str, kind: str, args: dict[str, Any]) -> None:
        """An operation on a handle's message: durable on return, applied in its turn."""
        sender = self._ready()
        self._spool.append_operation(sender, handle, kind, args)
        self._wake_worker()

    def handle_state(self, handle: str) -> Optional[HandleState]:
        self._own_process()
        if self._closed:
            self._reopen()
        return self._spool.handle_state(handle)

    def _ready(self) -> int:
        if self._sender_id is None:
            raise ConfigError("this outbox has no sender", path=str(self.path), key="credentials",
                              fix="create it with Outbox(path, credentials) or Outbox.for_integration()")
        self._own_process()
        if self._closed:
            self._reopen()
        return self._sender_id

    def _wake_worker(self) -> None:
        self._wake.set()
        if self._thread is None or not self._thread.is_alive():
            self._start_worker()

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Wait until what was queued so far is delivered (True) or ``timeout`` runs out (False)."""
        self._own_process()
        if self._closed:
            return not self._spool_has_pending()
        if self._spool.unspooled and not self._spool.write_unspooled():
            return False  # only memory holds some: never "flushed"
        high = self._spool.last_id()
        deadline = None if timeout is None else time.monotonic() + timeout
        if self._spool.pending_count(high):
            self._start_worker()
        with self._progress:
            while self._spool.pending_count(high):
                left = None if deadline is None else deadline - time.monotonic()
                if (left is not None and left <= 0) or self._thread is None or not self._thread.is_alive():
                    return False
                self._wake.set()
                self._progress.wait(0.05 if left is None else min(0.05, left))
        return True

    def close(self, timeout: Optional[float] = None, *, hand_over: bool = False,
              worker_env: Optional[Mapping[str, str]] = None) -> None:
        """Flush for at most ``timeout`` seconds (``exit_timeout`` when None), then stop the worker.

        ``hand_over`` is for short-lived hosts (a build step, a script): what is
        still undelivered goes to a detached worker, so it reaches the server when
        that is back rather than at the host's next run; ``worker_env`` is added
        to that worker's environment.
        """
        timeout = self.exit_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        atexit.unregister(self._at_exit)
        self._own_process()
        if self._closed:
            return
        if self._thread is not None:
            self.flush(max(0.0, timeout - 0.1))
            self._stopping.set()
            self._wake.set()
            self._thread.join(max(0.05, deadline - time.monotonic()))
            if self._thread.is_alive():
                log.warning("outbox worker still busy after %.1f s; undelivered messages stay in %s",
                            timeout, self.path)
        if self._spool.unspooled and not self._spool.write_unspooled():
            log.error("%d message(s) kept in memory are LOST: no spool could take them (%s)",
                      len(self._spool.unspooled), self.path)
        waiting = self._spool.pending_count() if hand_over else 0
        tell_host(self._spool, log)
        self._closed = True
        self._spool.close()
        if waiting:
            detached.hand_over(self.path, waiting, env=worker_env)

    def status(self) -> SpoolStatus:
        self._own_process()
        if self._closed:
            spool = Spool(self.path, create=False)
            try:
                return spool.status()
            finally:
                spool.close()
        return self._spool.status()

    def _spool_has_pending(self) -> bool:
        return self.status().pending > 0

    def _at_exit(self) -> None:
        try:
            self.close(self.exit_timeout)
        except Exception:  # interpreter shutdown: never turn an exit into a traceback
            log.debug("outbox close at exit failed", exc_info=True)

    # -- the worker thread ---------------------------------------------------------

    def _start_worker(self) -> None:
        with self._lock:
            if self._stopping.is_set() or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._run, args=(self._stopping,),
                                            name=f"wyzepal-outbox {self.path.name}", daemon=True)
            self._thread.start()

    def _run(self, stopping: threading.Event) -> None:
        """The worker; ``stopping`` is its own, so a worker outliving ``close`` never serves a reopened outbox."""
        spool = Spool(self.path)  # a connection of its own: the host's puts never wait on it
        courier = Courier(spool, stop=stopping, **self._courier_options)
        try:
            spool.release_orphans()
            while not stopping.is_set():
                result = courier.deliver_round()
                self._notify_progress()
                if not result.claimed:
                    self._wake.wait(_sleep_until(spool.next_due()))
                    self._wake.clear()
        except Exception:
            log.exception("outbox worker stopped; messages stay in %s", self.path)
        finally:
            courier.close()
            spool.release(courier.worker)
            spool.close()
            self._notify_progress()

    def _notify_progress(self) -> None:
        with self._progress:
            self._progress.notify_all()

    def _own_process(self) -> None:
        """A forked child (gunicorn, tracd -d) needs its own connection, locks and thread."""
        if os.getpid() == self._pid:
            return
        with _FORK_GUARD:
            if os.getpid() != self._pid:
                # A parent's thread may have held these at the fork: in the child they would never be let go.
                self._lock = threading.Lock()
                self._wake = threading.Event()
                self._progress = threading.Condition()
                _INHERITED.append(self._spool)  # closing it here could upset the parent's locks
                self._open()

    def _reopen(self) -> None:
        """A message put after ``close`` is still delivered: open the spool and a worker again."""
        with self._lock:
            if self._closed:
                self._open()
                atexit.register(self._at_exit)


def _tool_of(path: Path) -> str:
    """``trac`` for ``trac-outbox.sqlite3``: the name of its fallback spool."""
    name = path.name
    return name[: -len("-outbox.sqlite3")] if name.endswith("-outbox.sqlite3") else (path.stem or "outbox")


def _sleep_until(due: Optional[float]) -> float:
    if due is None:
        return IDLE_POLL
    return min(IDLE_POLL, max(0.02, due - time.time()))


def _exit_timeout(given: Optional[float]) -> float:
    if given is not None:
        return float(given)
    raw = os.environ.get(EXIT_TIMEOUT_ENV)
    try:
        return float(raw) if raw else DEFAULT_EXIT_TIMEOUT
    except ValueError:
        raise ConfigError(f"is {raw!r}, not a number of seconds", path="the environment", key=EXIT_TIMEOUT_ENV,
                          fix=f"set {EXIT_TIMEOUT_ENV} to e.g. 2.5, or unset it") from None
