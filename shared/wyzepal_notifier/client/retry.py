"""When to try again: backoff with jitter for failures, the server's word for 429s."""
from __future__ import annotations

import email.utils
import math
import random
import threading
import time
from dataclasses import dataclass
from typing import Mapping, Optional

#: Past this many doublings every delay is at the cap anyway; 2**1024 overflows a float.
MAX_DOUBLINGS = 60
#: The longest wait a 429 (or ``X-RateLimit-Reset``) may impose: a ``Retry-After: 1e12`` or
#: ``inf`` from a broken proxy must not stall a sender forever.
DEFAULT_MAX_RETRY_AFTER = 3600.0
#: A 429 that says nothing usable about when to come back.
DEFAULT_RETRY_AFTER = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded by a total time budget.

    ``budget`` is the whole time one call may spend, waits included; past it the
    caller gets the last error (and the outbox keeps the message for later).
    """

    budget: float = 60.0
    base: float = 0.5
    cap: float = 30.0
    #: The longest wait a server's ``Retry-After`` is believed for (longer asks are cut to it).
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER

    def backoff(self, attempt: int) -> float:
        """A delay for the ``attempt``-th failure; any count is fine (days of outage included)."""
        ceiling = min(self.cap, self.base * (2 ** min(attempt, MAX_DOUBLINGS)))
        return random.uniform(ceiling / 2, ceiling)


NO_RETRY = RetryPolicy(budget=0.0)


def retry_after_seconds(headers: Mapping[str, str], body: Optional[Mapping] = None, *,
                        cap: float = DEFAULT_MAX_RETRY_AFTER, now: Optional[float] = None) -> float:
    """Seconds a 429 asks us to wait, at most ``cap``.

    The ``Retry-After`` header (seconds, or an HTTP date as RFC 9110 allows), else
    ``retry-after`` in the body (Zulip's), else one second.
    """
    for raw in (headers.get("Retry-After"), (body or {}).get("retry-after")):
        seconds = parse_retry_after(raw, now=now)
        if seconds is not None:
            return min(seconds, cap)
    return min(DEFAULT_RETRY_AFTER, cap)


def parse_retry_after(raw: object, *, now: Optional[float] = None) -> Optional[float]:
    """``Retry-After`` as seconds from now (>= 0); None when it is neither a number nor an HTTP date.

    Dates are read with ``email.utils`` exactly as urllib3's ``Retry.parse_retry_after``
    reads them; numbers may be fractional (Zulip's body value is). NaN is no number.
    """
    if raw is None or isinstance(raw, bool):
        return None
    try:
        seconds = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = _seconds_until_date(str(raw), time.time() if now is None else now)
    if seconds is None or math.isnan(seconds):
        return None
    return max(0.0, seconds)


def _seconds_until_date(text: str, now: float) -> Optional[float]:
    parsed = email.utils.parsedate_tz(text.strip())
    if parsed is None:
        return None
    return email.utils.mktime_tz(parsed) - now


class RateLimitGate:
    """Keeps one bot's requests within the server's rate limit, however many threads send.

    The server's ``X-RateLimit-Remaining``/``-Reset`` headers say how many requests
    are left in the window; a request :meth:`start` lets go counts against them
    until its answer is :meth:`finish`-ed, so several threads never together spend
    more than is left (which would cost 429s). Past a 429, :meth:`hold_until` keeps
    everyone waiting for the server's ``Retry-After``.
    """

    def __init__(self, max_wait: float = DEFAULT_MAX_RETRY_AFTER) -> None:
        self._lock = threading.Lock()
        self._not_before = 0.0
        self._remaining: Optional[int] = None
        self._reset = 0.0
        self._in_flight = 0
        #: A reset time further away than this (a clock or proxy gone wrong) is believed only this far.
        self.max_wait = max_wait

    def observe(self, headers: Optional[Mapping[str, str]]) -> None:
        """Read the limit headers of an answer (answers of one window may come back out of order)."""
        if not headers:
            return
        remaining = headers.get("X-RateLimit-Remaining")
        reset = headers.get("X-RateLimit-Reset")
        if remaining is None or reset is None:
            return
        try:
            left, reset_at = int(float(remaining)), min(float(reset), time.time() + self.max_wait)
        except ValueError:
            return
        with self._lock:
            if reset_at > self._reset + 0.5 or self._remaining is None:
                self._remaining, self._reset = left, reset_at  # a new window
            else:
                self._remaining = min(self._remaining, left)

    def start(self) -> float:
        """Seconds to wait before a request may go (0: it goes now and is counted as in flight)."""
        now = time.time()
        with self._lock:
            if self._not_before > now:
                return self._not_before - now
            if self._remaining is not None and self._reset > now and self._remaining - self._in_flight <= 0:
                return self._reset - now
            self._in_flight += 1
            return 0.0

    def finish(self, headers: Optional[Mapping[str, str]] = None) -> None:
        """The answer to a started request came (or the request failed): it no longer counts as in flight."""
        self.observe(headers)
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            if headers and headers.get("X-RateLimit-Remaining") is not None and self._remaining is not None:
                return
            if self._remaining is not None and self._reset > time.time():
                self._remaining = max(0, self._remaining - 1)  # no headers: assume it counted

    def hold_until(self, wall_time: float) -> None:
        wall_time = min(wall_time, time.time() + self.max_wait)
        with self._lock:
            self._not_before = max(self._not_before, wall_time)

    def wait_needed(self) -> float:
        """Seconds until a request may go, without taking a place (for callers that only ask)."""
        now = time.time()
        with self._lock:
            if self._not_before > now:
                return self._not_before - now
            if self._remaining is not None and self._reset > now and self._remaining - self._in_flight <= 0:
                return self._reset - now
            return 0.0
