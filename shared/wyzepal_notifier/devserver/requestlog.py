"""A log of API requests so tests can assert retries, back-off and order."""

from __future__ import annotations

import threading
import time
from typing import List, NamedTuple, Optional


class RequestRecord(NamedTuple):
    """One API request; compares equal to a plain ``(method, path, status, ...)`` tuple.

    ``status`` is 0 when the connection was dropped on purpose.
    """

    method: str
    path: str
    status: int
    email: Optional[str] = None
    time: float = 0.0


class RequestLog:
    """Thread-safe, bounded list of :class:`RequestRecord`."""

    def __init__(self, limit: int = 10000) -> None:
        self._lock = threading.Lock()
        self._records: List[RequestRecord] = []
        self._limit = limit

    def add(self, method: str, path: str, status: int, email: Optional[str] = None) -> None:
        """Record a finished request."""
        with self._lock:
            self._records.append(RequestRecord(method, path, status, email, time.time()))
            del self._records[: -self._limit]

    def records(self) -> List[RequestRecord]:
        """A copy of the log, oldest first."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
