"""The outbox of a hook: write to the spool now, deliver from a detached worker.

The host waits for its hook, so the hook must not wait for the chat server:
each message is written to the spool (durable on return) and, as the hook
closes, one detached ``wyzepal_notifier.outbox.worker`` process is started to
deliver it, and anything an earlier run left behind, while the push or commit
has long returned. The worker retries a server that is down with backoff; what
it cannot deliver stays in the spool for the next hook run or
``wyzepal-integrations outbox flush``.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Optional

from ..config import Settings
from ..message import Message
from .detached import start_worker
from .paths import default_outbox_path, open_with_fallback
from .spool import Spool

log = logging.getLogger("wyzepal_notifier.outbox")


class HandOverOutbox:
    """``put`` appends to the spool; ``close`` starts a detached worker if anything waits."""

    def __init__(self, tool: str, settings: Settings, client_name: str, client_version: str,
                 start: Callable[[Path], Any] = start_worker) -> None:
        self.tool = tool
        self.settings = settings
        self.client_name = client_name
        self.client_version = client_version
        self._start = start
        self._spool: Optional[Spool] = None
        self._sender = 0
        self.path = default_outbox_path(tool, configured=settings.get("OUTBOX_PATH"), config_path=settings.path)

    def put(self, message: Message) -> None:
        spool = self._open()
        spool.append(self._sender, message.checked())

    def close(self, timeout: Optional[float] = None) -> None:
        """Hand what waits to a detached worker; never waits for delivery (``timeout`` is not needed)."""
        if self._spool is None and not self.path.is_file():
            return
        spool = self._open()
        try:
            waiting = spool.pending_count()
        finally:
            spool.close()
            self._spool = None
        if waiting:
            try:
                self._start(self.path)
            except OSError as exc:
                log.error("could not start the delivery worker (%s); %d message(s) wait in %s for the next "
                          "run or 'wyzepal-integrations outbox flush --outbox %s'", exc, waiting, self.path, self.path)

    def _open(self) -> Spool:
        if self._spool is None:
            self._spool = open_with_fallback(self.tool, self.path, Spool)
            self.path = self._spool.path
            self._sender = self._spool.save_sender(self.settings.credentials, self.client_name, self.client_version)
        return self._spool
