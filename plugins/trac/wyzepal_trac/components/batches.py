"""Gathering the per-ticket changes of a batch modify into one event.

Trac saves a batch (``POST /batchmodify``) ticket by ticket, calling every
ticket change listener each time, and only then tells the notification system
about the batch as a whole. The notifier marks the request's thread as
gathering before Trac's batch handler runs, keeps the ticket events instead of
announcing them, and announces them as one event when the handler redirects
(the batch was saved). A batch that fails is rolled back by Trac: its gathered
events are dropped, as its changes were.
"""
from __future__ import annotations

import threading
from typing import Any, Optional

BATCH_PATH = "/batchmodify"


class BatchGatherer:
    """Per thread: the ticket change events of the batch request this thread is handling."""

    def __init__(self) -> None:
        self._local = threading.local()

    @staticmethod
    def is_batch(req: Any) -> bool:
        return req.method == "POST" and req.path_info == BATCH_PATH

    def start(self) -> Optional[list]:
        """Gather from now on; returns what an earlier batch on this thread left (it failed), if anything."""
        left = getattr(self._local, "changes", None)
        self._local.changes = []
        return left

    def gathering(self) -> bool:
        return getattr(self._local, "changes", None) is not None

    def add(self, event: dict[str, Any]) -> None:
        self._local.changes.append(event)

    def finish(self) -> list:
        """Stop gathering; the events gathered (oldest first)."""
        changes = getattr(self._local, "changes", None) or []
        self._local.changes = None
        return changes
