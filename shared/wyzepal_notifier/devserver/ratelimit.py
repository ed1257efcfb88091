"""Per-user sliding-window rate limiting with Zulip's X-RateLimit-* headers."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Deque, Dict, Optional, Tuple, Union

RateSpec = Union[None, str, Tuple[int, float]]


def parse_rate(spec: RateSpec) -> Optional[Tuple[int, float]]:
    """``"N/SECONDS"`` or ``(N, SECONDS)`` → ``(N, SECONDS)``; None or "" → off."""
    if spec is None or spec == "":
        return None
    if isinstance(spec, str):
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", spec)
        if not match:
            raise ValueError(f"rate limit must look like N/SECONDS, not {spec!r}")
        return int(match.group(1)), float(match.group(2))
    limit, window = spec
    if int(limit) < 1 or float(window) <= 0:
        raise ValueError("rate limit needs N >= 1 and SECONDS > 0")
    return int(limit), float(window)


@dataclass(frozen=True)
class Decision:
    """Outcome of one request against the limit, with the headers to send."""

    allowed: bool
    limit: int
    remaining: int
    reset: float  # unix time when the whole window is free again
    retry_after: float  # seconds until one more request is allowed (0 if allowed)

    def headers(self) -> Dict[str, str]:
        """The X-RateLimit-* headers (plus Retry-After when refused)."""
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(int(math.ceil(self.reset))),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_seconds)
        return headers

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds to wait, never 0, so a client that obeys never retries early."""
        return max(1, int(math.ceil(self.retry_after)))


class RateLimiter:
    """N requests per S seconds per key; off when configured with None."""

    def __init__(self, spec: RateSpec = None) -> None:
        self._lock = threading.Lock()
        self._hits: Dict[str, Deque[float]] = {}
        self.rule = parse_rate(spec)

    def configure(self, spec: RateSpec) -> None:
        """Change (or switch off) the limit and forget past requests."""
        with self._lock:
            self.rule = parse_rate(spec)
            self._hits.clear()

    def reset(self) -> None:
        """Forget past requests."""
        with self._lock:
            self._hits.clear()

    def hit(self, key: str) -> Optional[Decision]:
        """Count a request for ``key``; None when limiting is off."""
        with self._lock:
            if self.rule is None:
                return None
            limit, window = self.rule
            now = time.time()
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            allowed = len(hits) < limit
            if allowed:
                hits.append(now)
            retry_after = 0.0 if allowed else hits[0] + window - now
            reset = (hits[-1] + window) if hits else now
            return Decision(allowed, limit, limit - len(hits), reset, retry_after)
