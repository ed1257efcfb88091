"""The producer's side of the shared outbox: ``put`` appends to Redis; a delivery service elsewhere sends.

With ``OUTBOX_URL = "redis://host:6379/0"`` (or ``$WYZEPAL_OUTBOX_URL``) in a
plugin's config, :meth:`Outbox.for_integration` and the hooks' outbox hand the
plugin a :class:`SharedOutbox`: every ``put`` and handle operation is one Lua
call to Redis (durable when it returns, as far as Redis' ``appendfsync`` goes),
and ``wyzepal-integrations outbox serve`` on any machine delivers.

When Redis cannot be reached, the message is *parked* in the local SQLite spool
(never an exception in the host) and forwarded to Redis, in order, by the next
``put``/``flush``/``close`` that reaches it, or by a detached forwarder the
closing host starts. While anything is parked, later messages park behind it,
so nothing overtakes. The one risk left: an ephemeral machine (a Jenkins agent
container) deleted while Redis is unreachable takes its parked messages along.
``OUTBOX_REQUIRE_SHARED = True`` makes ``put`` wait for Redis instead (at most
``OUTBOX_SHARED_WAIT`` seconds, then it parks and says so).
"""
from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Optional

from ..config.credentials import Credentials
from ..message import Message
from ..version import __version__
from .contract import HandleOperations
from .handles import DEFAULT_HANDLE_TTL, POST, HandleInUse, HandleState
from .paths import URL_ENV, default_outbox_path, shared_url
from .redis_store import RedisStore, is_redis_url, redacted, redis_errors
from .spool import Spool, worker_identity

log = logging.getLogger("wyzepal_notifier.outbox")

DEFAULT_SHARED_WAIT = 60.0
#: After Redis failed, a ``put`` parks at once for this long instead of waiting on a dead socket each time.
RECHECK_AFTER = 10.0
#: The detached forwarder gives up after this long (what is left waits for the host's next run).
FORWARD_FOR = 3600.0


class SharedOutbox(HandleOperations):
    """A :class:`~.contract.DeliveryOutbox` whose queue is the site's Redis, with a local spool to park in."""

    def __init__(self, url: str, credentials: Credentials, park_path: os.PathLike | str, *,
                 client_name: str = "WyzePalIntegrations", client_version: str = __version__,
                 handle_ttl: float = DEFAULT_HANDLE_TTL, alerts: Optional[dict[str, Any]] = None,
                 require_shared: bool = False, shared_wait: float = DEFAULT_SHARED_WAIT,
                 timeout: float = 1.0, forward_in_background: bool = True,
                 recheck_after: float = RECHECK_AFTER) -> None:
        self.url = url
        self.credentials = credentials
        self.park_path = Path(park_path)
        self.path = redacted(url)
        self.client_name = client_name
        self.client_version = client_version
        self.handle_ttl = handle_ttl
        self.alerts = alerts
        self.require_shared = require_shared
        self.shared_wait = shared_wait
        self.forward_in_background = forward_in_background
        self.recheck_after = recheck_after
        self._lock = threading.RLock()
        self.store = RedisStore(url, timeout=timeout)
        self._sender: Optional[int] = None
        self._park: Optional[Spool] = None
        self._park_sender = 0
        self._down_since: Optional[float] = None
        atexit.register(self._at_exit)

    def __repr__(self) -> str:
        return f"SharedOutbox({self.path!r})"

    # -- the contract ------------------------------------------------------------------

    def put(self, message: Message, *, handle: Optional[str] = None, conversation: Optional[str] = None) -> None:
        """Append to Redis (or park locally when it cannot be reached); never a delivery error."""
        checked = message.checked()
        self._send(lambda sender: self.store.append(sender, checked, handle=handle, conversation=conversation,
                                                    handle_ttl=self.handle_ttl),
                   lambda park, sender: park.append(sender, checked, handle=handle, conversation=conversation,
                                                    handle_ttl=self.handle_ttl))

    def _operation(self, handle: str, kind: str, args: dict[str, Any]) -> None:
        self._send(lambda sender: self.store.append_operation(sender, handle, kind, args),
                   lambda park, sender: park.append_operation(sender, handle, kind, args))

    def handle_state(self, handle: str) -> Optional[HandleState]:
        try:
            state = self.store.handle_state(handle)
        except redis_errors():
            state = None
        if state is None and self._parked_file():
            return self._park_spool().handle_state(handle)
        return state

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Forward what is parked; True when everything is in Redis (the delivery service sends it)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                if self._forward():
                    return True
            except redis_errors():
                pass  # still unreachable: parked rows stay parked
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(min(0.5, max(0.0, (deadline or time.monotonic() + 0.5) - time.monotonic())))

    def close(self, timeout: Optional[float] = None, **_: Any) -> None:
        """Forward what is parked for up to ``timeout`` s; what is left goes to a detached forwarder."""
        atexit.unregister(self._at_exit)
        forwarded = self.flush(2.0 if timeout is None else timeout)
        with self._lock:
            if self._park is not None:
                self._park.close()
                self._park = None
        if not forwarded and self.forward_in_background:
            start_forwarder(self.url, self.park_path)
        self.store.close()

    def _at_exit(self) -> None:
        try:
            self.close(2.0)
        except Exception:  # interpreter shutdown: never turn an exit into a traceback
            log.debug("shared outbox close at exit failed", exc_info=True)

    def status(self) -> Any:
        return self.store.status()

    # -- Redis or the local spool -------------------------------------------------------

    def _send(self, to_redis: Any, to_park: Any) -> None:
        if self._down_since is not None and time.monotonic() - self._down_since < self.recheck_after \
                and not self.require_shared:
            self._park_it(to_park)
            return
        deadline = time.monotonic() + (self.shared_wait if self.require_shared else 0.0)
        delay = 0.1
        while True:
            try:
                if self._forward():  # nothing parked (the usual case: one stat of a file) or all forwarded now
                    to_redis(self._redis_sender())
                    self._down_since = None
                    return
            except HandleInUse:
                raise
            except redis_errors() as exc:
                if time.monotonic() + delay > deadline:
                    self._down_since = time.monotonic()
                    log.warning("the shared outbox %s cannot be reached (%s); the message waits in %s and is "
                                "forwarded once it can", self.path, type(exc).__name__, self.park_path)
                    break
            else:
                if time.monotonic() + delay > deadline:
                    break
            time.sleep(delay)
            delay = min(2.0, delay * 2)
        if self.require_shared:
            log.error("OUTBOX_REQUIRE_SHARED: the shared outbox %s stayed unreachable for %.0f s; the message is "
                      "parked in %s and is lost if this machine goes away first", self.path, self.shared_wait,
                      self.park_path)
        self._park_it(to_park)

    def _park_it(self, to_park: Any) -> None:
        with self._lock:
            park = self._park_spool()
            to_park(park, self._park_sender)

    def _redis_sender(self) -> int:
        if self._sender is None:  # two threads may both ask: the script gives both the same id
            self._sender = self.store.save_sender(self.credentials, self.client_name, self.client_version,
                                                  self.alerts)
        return self._sender

    def _parked_file(self) -> bool:
        return self._park is not None or self.park_path.is_file()

    def _park_spool(self) -> Spool:
        with self._lock:
            return self._opened_park()

    def _opened_park(self) -> Spool:
        if self._park is None:
            self._park = Spool(self.park_path)
            self._park_sender = self._park.save_sender(self.credentials, self.client_name, self.client_version,
                                                       self.alerts)
        return self._park

    def _forward(self) -> bool:
        """Everything parked goes to Redis, oldest first; True when nothing is parked any more."""
        if not self._parked_file():
            return True
        with self._lock:  # one forward at a time: two threads would send the same rows twice
            return forward_parked(self._park_spool(), self.store)


def forward_parked(park: Spool, store: RedisStore) -> bool:
    """Move a spool's parked rows to Redis in their order; True when none is left.

    Each row carries a mark (spool file, row id) that Redis remembers for a
    week, so a forward whose answer was lost is not queued twice. A handle that
    turns out to be taken in Redis makes that row dead in the local spool, with
    the reason (``outbox status --outbox`` shows it).
    """
    if not park.pending_count():
        return True
    worker = worker_identity()
    identity = _file_identity(park.path)
    senders: dict[int, int] = {}
    try:
        rows = park.claim(worker, lease=60.0, max_keys=10_000, per_key=10_000)
        for row in sorted(rows, key=lambda r: r.id):
            if row.sender_id not in senders:
                sender = park.sender(row.sender_id)
                senders[row.sender_id] = store.save_sender(sender.credentials, sender.client_name,
                                                           sender.client_version)
            token = f"{identity}:{row.id}"
            try:
                if row.kind == POST and row.message is not None:
                    args = {k: v for k, v in row.args.items() if k != "conversation"}
                    store.append(senders[row.sender_id], row.message, handle=row.handle,
                                 conversation=row.args.get("conversation"), token=token, args=args)
                else:
                    store.append_operation(senders[row.sender_id], row.handle or "", row.kind, row.args, token=token)
            except HandleInUse as exc:
                park.bury(row, worker, f"not forwarded to the shared outbox: {exc}")
                continue
            park.delivered(row)
    finally:
        park.release(worker)
    return park.pending_count() == 0


def _file_identity(path: Path) -> str:
    """Which spool file on which machine (a row id alone repeats across machines and recreated files)."""
    stat = os.stat(path)
    return f"{os.uname().nodename}:{stat.st_dev}:{stat.st_ino}"


def start_forwarder(url: str, park_path: Path) -> None:
    """A detached process that keeps forwarding the parked rows until Redis takes them (or an hour passed)."""
    env = dict(os.environ, **{URL_ENV: url})  # the URL (with its password) travels in the environment, not argv
    try:
        subprocess.Popen([sys.executable, "-m", "wyzepal_notifier.outbox.shared", str(park_path)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=env, start_new_session=True, close_fds=True)
    except OSError as exc:
        log.warning("could not start a forwarder (%s); parked messages wait in %s for the next run", exc, park_path)


def shared_outbox_for(tool: str, settings: Any, client_name: str, client_version: str,
                      **options: Any) -> Optional[SharedOutbox]:
    """The shared outbox a plugin's config asks for (``OUTBOX_URL``), or None for the local spool."""
    url = shared_url(settings)
    if not url or not is_redis_url(url):
        if url:
            from ..errors import ConfigError

            raise ConfigError(f"is {redacted(url)!r}, not a Redis URL", path=settings.path, key="OUTBOX_URL",
                              expected="redis://host:6379/0 or rediss://:password@host:6380/0",
                              fix="correct OUTBOX_URL (or $WYZEPAL_OUTBOX_URL), or remove it for the local spool")
        return None
    from .alerts import alert_settings

    park = default_outbox_path(tool, configured=settings.get("OUTBOX_PATH"), config_path=settings.path)
    options.setdefault("alerts", alert_settings(settings))
    options.setdefault("require_shared", bool(settings.get("OUTBOX_REQUIRE_SHARED")))
    wait = settings.get("OUTBOX_SHARED_WAIT")
    options.setdefault("shared_wait", float(wait) if wait is not None else DEFAULT_SHARED_WAIT)
    return SharedOutbox(url, settings.credentials, park, client_name=client_name, client_version=client_version,
                        **options)


def _main(argv: list[str]) -> int:
    """``python -m wyzepal_notifier.outbox.shared PARK_PATH``: forward until done (URL from the environment)."""
    url, path = os.environ.get(URL_ENV, ""), Path(argv[0])
    deadline, delay = time.monotonic() + FORWARD_FOR, 1.0
    while time.monotonic() < deadline and path.is_file():
        try:
            store = RedisStore(url)
            park = Spool(path, create=False)
            try:
                if forward_parked(park, store):
                    return 0
            finally:
                park.close()
                store.close()
        except redis_errors():
            pass
        time.sleep(delay)
        delay = min(30.0, delay * 2)
    return 1


if __name__ == "__main__":  # pragma: no cover - the detached forwarder
    sys.exit(_main(sys.argv[1:]))
