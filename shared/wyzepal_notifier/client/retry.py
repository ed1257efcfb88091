"""When to try again: backoff with jitter for failures, the server's word for 429s."""
from __future__ import annotations

import collections
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


#: Added to a window learnt from a reset given in whole seconds (which may have been rounded down).
ROUNDING_SLACK = 1.0


class RateLimitGate:
    """Keeps one bot's requests within the server's rate limit, however many threads send.

    The server's ``X-RateLimit-*`` headers say how many requests are left and when
    the whole window is free again (Zulip limits with a sliding window). Waiting for
    that reset whenever nothing is left wastes up to a window of capacity, so the
    gate also keeps the start time of each request it lets go: a request counted in
    the last answer frees its place one window after it was made, and requests let
    go since that answer count against what was left. From the answers it learns
    the window's length (``Reset`` minus the time of the request that saw it, at
    most). The result: the bot drains at the server's limit without meeting 429s.
    Past a 429, :meth:`hold_until` keeps everyone waiting for the server's
    ``Retry-After``.
    """

    def __init__(self, max_wait: float = DEFAULT_MAX_RETRY_AFTER) -> None:
        self._lock = threading.Lock()
        self._not_before = 0.0
        self._sends: collections.deque[float] = collections.deque()
        self._limit: Optional[int] = None
        #: What the answers tell of the window's length: at most ``_window``, at least ``_window_lo``.
        self._window: Optional[float] = None
        self._window_lo = 0.0
        self._rounded_down = False
        #: The answer the gate goes by: when its request was made, what was left, when all is free.
        self._seen_start = 0.0
        self._seen_remaining: Optional[int] = None
        self._seen_reset = 0.0
        self._seen_unsure = 0
        #: Start times of the requests let go and not answered yet; this thread's own one.
        self._in_flight: list[float] = []
        self._mine = threading.local()
        #: How long recent answers took: a request's place frees one window after the server counted it.
        self._latencies: collections.deque[float] = collections.deque(maxlen=200)
        #: A reset time further away than this (a clock or proxy gone wrong) is believed only this far.
        self.max_wait = max_wait

    def start(self) -> float:
        """Seconds to wait before a request may go (0: it goes now, and is counted until :meth:`finish`)."""
        now = time.time()
        with self._lock:
            wait = self._wait(now)
            if wait <= 0:
                if self._seen_remaining is not None:  # a server without limit headers: nothing to keep
                    self._sends.append(now)
                self._in_flight.append(now)
                self._mine.started = now
            return wait

    def finish(self, headers: Optional[Mapping[str, str]] = None, started: Optional[float] = None) -> None:
        """The answer to this thread's request came (``headers`` None: the request failed): learn from it."""
        started = getattr(self._mine, "started", None) if started is None else started
        self._mine.started = None
        with self._lock:
            if started in self._in_flight:
                self._in_flight.remove(started)
        if not headers:
            return
        try:
            remaining = int(float(headers["X-RateLimit-Remaining"]))
            reset = min(float(headers["X-RateLimit-Reset"]), time.time() + self.max_wait)
            limit = int(float(headers["X-RateLimit-Limit"])) if headers.get("X-RateLimit-Limit") else None
        except (KeyError, TypeError, ValueError):
            return
        now = time.time()
        started = now if started is None else started
        with self._lock:
            self._latencies.append(now - started)
            if limit:
                self._limit = limit
            # A reset given in whole seconds was rounded: up (then it bounds the window as it is) or down
            # (Zulip: then the window may be a second longer, which the first 429 teaches).
            slack = ROUNDING_SLACK if reset == int(reset) else 0.0
            longest = reset - started + (self._rounded_down and slack)  # the window is at most this long ...
            if longest > 0 and (self._window is None or longest < self._window):
                self._window = longest
            shortest = reset - now - slack  # ... and at least this long
            if shortest > self._window_lo:
                self._window_lo = shortest
            newer = started >= self._seen_start or reset > self._seen_reset + 0.5
            if self._seen_remaining is None or newer:
                self._seen_start, self._seen_remaining, self._seen_reset = started, remaining, reset
                # Requests made before this one and still unanswered may not be in its count yet.
                self._seen_unsure = sum(1 for other in self._in_flight if other <= started)

    def observe(self, headers: Optional[Mapping[str, str]]) -> None:
        """Learn from an answer whose request the gate did not let go (taken as made now)."""
        self.finish(headers)

    def hold_until(self, wall_time: float) -> None:
        """A 429: nobody goes before ``wall_time``; and the window is taken to be a second longer from now on."""
        wall_time = min(wall_time, time.time() + self.max_wait)
        with self._lock:
            self._not_before = max(self._not_before, wall_time)
            if not self._rounded_down and self._window is not None:
                self._rounded_down = True
                self._window += ROUNDING_SLACK

    def wait_needed(self) -> float:
        """Seconds until a request may go, without taking a place (for callers that only ask)."""
        with self._lock:
            return max(0.0, self._wait(time.time()))

    def _wait(self, now: float) -> float:
        if self._not_before > now:
            return self._not_before - now
        window = self._window
        if window is not None:
            window += max(self._latencies, default=0.0)
        keep = max(window, 1.0) + 1.0 if window is not None else self.max_wait
        while self._sends and self._sends[0] <= now - keep:
            self._sends.popleft()  # out of every window
        if self._seen_remaining is None:
            return 0.0
        if now >= self._seen_reset:
            if self._limit is None or window is None:
                return 0.0
            used = sum(1 for sent in self._sends if sent > now - window)
            return 0.0 if used < self._limit else self._next_free(now, window, after=now - window)
        spent = sum(1 for sent in self._sends if sent > self._seen_start)
        if window is None:
            return 0.0 if self._seen_remaining - spent - self._seen_unsure > 0 else self._seen_reset - now
        # Own requests surely counted in the answer (made less than the shortest window before it) free
        # their place once the longest window has passed since they were made.
        counted = [sent for sent in self._sends if self._seen_start - self._window_lo < sent <= self._seen_start]
        freed = sum(1 for sent in counted if sent <= now - window)
        if self._seen_remaining - spent - self._seen_unsure + freed > 0:
            return 0.0
        upcoming = [sent + window - now for sent in counted if sent + window > now]
        return min([self._seen_reset - now, *upcoming])

    def _next_free(self, now: float, window: float, after: float) -> float:
        """Seconds until the oldest own request made after ``after`` leaves the window."""
        for sent in self._sends:
            if sent > after and sent + window > now:
                return max(0.001, sent + window - now)
        return 0.001
