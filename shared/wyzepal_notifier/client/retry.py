"""When to try again: backoff with jitter for failures, the server's word for 429s."""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Mapping, Optional

#: Past this many doublings every delay is at the cap anyway; 2**1024 overflows a float.
MAX_DOUBLINGS = 60


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded by a total time budget.

    ``budget`` is the whole time one call may spend, waits included; past it the
    caller gets the last error (and the outbox keeps the message for later).
    """

    budget: float = 60.0
    base: float = 0.5
    cap: float = 30.0

    def backoff(self, attempt: int) -> float:
        """A delay for the ``attempt``-th failure; any count is fine (days of outage included)."""
        ceiling = min(self.cap, self.base * (2 ** min(attempt, MAX_DOUBLINGS)))
        return random.uniform(ceiling / 2, ceiling)


NO_RETRY = RetryPolicy(budget=0.0)


def retry_after_seconds(headers: Mapping[str, str], body: Optional[Mapping] = None) -> float:
    """Seconds a 429 asks us to wait: the ``Retry-After`` header, else ``retry-after`` in the body."""
    for raw in (headers.get("Retry-After"), (body or {}).get("retry-after")):
        if raw is None:
            continue
        try:
            return max(0.0, float(raw))
        except (TypeError, ValueError):
            continue
    return 1.0


class RateLimitGate:
    """Remembers ``X-RateLimit-Remaining: 0`` so the next request waits for the reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._not_before = 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        remaining = headers.get("X-RateLimit-Remaining")
        reset = headers.get("X-RateLimit-Reset")
        if remaining is None or reset is None:
            return
        try:
            if int(float(remaining)) > 0:
                return
            reset_at = float(reset)
        except ValueError:
            return
        self.hold_until(reset_at)

    def hold_until(self, wall_time: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, wall_time)

    def wait_needed(self) -> float:
        with self._lock:
            return max(0.0, self._not_before - time.time())
