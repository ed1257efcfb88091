"""Durable, non-blocking delivery (issue 3 builds the real spool and worker here).

PLACEHOLDER CONTRACT — the public API plugins code against:

    outbox = Outbox.for_integration(integration)   # spool path from OUTBOX_PATH / $WYZEPAL_OUTBOX / default
    outbox.put(message)        # returns at once; the message is safe in the spool
    outbox.flush(timeout)      # deliver what can be delivered within timeout; True when empty
    outbox.close(timeout)      # flush then stop the worker; the rest stays spooled
    outbox.status()            # counts by state, oldest pending, last error

This stand-in delivers synchronously so plugins can be developed meanwhile.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from ..message import Message


class Outbox:
    def __init__(self, path: Optional[str], client_factory: Callable[[], Any]) -> None:
        self.path = path
        self._client_factory = client_factory

    @classmethod
    def for_integration(cls, integration: Any) -> "Outbox":
        return cls(integration.settings.get("OUTBOX_PATH"), lambda: integration.client)

    def put(self, message: Message) -> None:
        self._client_factory().send_message(message)

    def flush(self, timeout: Optional[float] = None) -> bool:
        return True

    def close(self, timeout: Optional[float] = None) -> None:
        return None
