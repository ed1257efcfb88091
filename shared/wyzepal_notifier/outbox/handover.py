"""The outbox of a hook: write to the spool now, deliver from a detached worker.

The host waits for its hook, so the hook must not wait for the chat server:
each message (and each operation on a handle's message) is written to the
spool, durable on return, and, as the hook closes, one detached
``wyzepal_notifier.outbox.worker`` process is started to deliver it, and
anything an earlier run left behind, while the push or commit has long
returned. The worker retries a server that is down with backoff; what it
cannot deliver stays in the spool for the next hook run or
``wyzepal-integrations outbox flush``.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, ClassVar, Optional

from ..config import Settings
from ..message import Message
from .alerts import alert_settings, tell_host
from .contract import HandleOperations
from .detached import hand_over, start_worker
from .handles import DEFAULT_HANDLE_TTL, HandleState
from .paths import default_outbox_path, open_with_fallback, shared_url
from .salvage import SafeSpool
from .spool import Spool

log = logging.getLogger("wyzepal_notifier.outbox")


class HandOverOutbox(HandleOperations):
    """``put`` and the operations append to the spool; ``close`` starts a detached worker if anything waits."""

    #: Whether a message no spool takes (disk full everywhere) is kept in memory to write later: only in a
    #: host that goes on running; a hook about to exit says it lost instead.
    keeps_in_memory: ClassVar[bool] = False

    def __init__(self, tool: str, settings: Settings, client_name: str, client_version: str,
                 start: Callable[..., Any] = start_worker, handle_ttl: float = DEFAULT_HANDLE_TTL) -> None:
        self.tool = tool
        self.settings = settings
        self.client_name = client_name
        self.client_version = client_version
        self.handle_ttl = handle_ttl
        self._start = start
        self._spool: Optional[SafeSpool] = None
        self._sender = 0
        self._lost = 0  # messages no spool could take (said on stderr): flush() is never True after one
        self.path = default_outbox_path(tool, configured=settings.get("OUTBOX_PATH"), config_path=settings.path)
        #: ``OUTBOX_URL``: the site's shared outbox on Redis takes every call (``outbox serve`` delivers).
        self._shared = None
        if shared_url(settings):
            from .shared import shared_outbox_for  # only then: the Redis code is no part of a plain hook's start

            self._shared = shared_outbox_for(tool, settings, client_name, client_version, handle_ttl=handle_ttl)

    def put(self, message: Message, *, handle: Optional[str] = None, conversation: Optional[str] = None) -> None:
        if self._shared is not None:
            return self._shared.put(message, handle=handle, conversation=conversation)
        spool = self._open()
        spool.append(self._sender, message.checked(), handle=handle, conversation=conversation,
                     handle_ttl=self.handle_ttl)

    def _operation(self, handle: str, kind: str, args: dict[str, Any]) -> None:
        if self._shared is not None:
            return self._shared._operation(handle, kind, args)
        self._open().append_operation(self._sender, handle, kind, args)

    def handle_state(self, handle: str) -> Optional[HandleState]:
        if self._shared is not None:
            return self._shared.handle_state(handle)
        return self._open().handle_state(handle)

    def flush(self, timeout: Optional[float] = None) -> bool:
        """A hook does not wait for delivery: True only when nothing is waiting in the spool."""
        if self._shared is not None:
            return self._shared.flush(timeout)
        if self._spool is None and not self.path.is_file():
            return not self._lost
        spool = self._open()
        return spool.pending_count() == 0 and not (self._lost or spool.lost)

    def close(self, timeout: Optional[float] = None, **_: Any) -> None:
        """Hand what waits to a detached worker; never waits for delivery (``timeout`` is not needed)."""
        if self._shared is not None:
            return self._shared.close(timeout)
        if self._spool is None and not self.path.is_file():
            return
        spool = self._open()
        try:
            waiting = spool.pending_count()
            self._lost += spool.lost
            self.path = spool.path  # a full or read-only spool's messages went to a fallback
            tell_host(spool, log)  # what chat cannot carry shows on the hook's stderr
        finally:
            spool.close()
            self._spool = None
        if waiting:
            hand_over(self.path, waiting, start=self._start)

    def _moved(self, path: Path) -> None:
        """A full or read-only spool's messages go to a fallback: so does the worker started for them."""
        self.path = path

    def _open(self) -> SafeSpool:
        if self._spool is None:
            # A hook is about to exit: what no spool takes is said lost, never kept in memory
            # (a long-running host's kind says otherwise: ``keeps_in_memory``).
            self._spool = SafeSpool(self.tool, open_with_fallback(self.tool, self.path, Spool), Spool,
                                    on_switch=self._moved, keep_in_memory=self.keeps_in_memory)
            self.path = self._spool.path
            self._sender = self._spool.save_sender(self.settings.credentials, self.client_name, self.client_version,
                                                   alert_settings(self.settings))
        return self._spool
