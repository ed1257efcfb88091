"""Blocking calls the caller can walk away from: a long poll must not delay a stop.

A ``GET /events`` may wait a heartbeat (about 50 s) for an answer. The call runs
on a helper thread; the caller waits for its answer *or* the stop event, so a
bridge stops within a fraction of a second. An abandoned call finishes (or
times out) on its daemon thread and its answer is dropped.
"""
from __future__ import annotations

import queue
import threading
from typing import Callable, TypeVar

T = TypeVar("T")
#: How often a waiting caller looks at the stop event.
STOP_CHECK_SECONDS = 0.1


class Stopped(Exception):
    """The stop event was set while waiting."""


def call_unless_stopped(func: Callable[[], T], stop: threading.Event) -> T:
    """``func()``'s result or exception, or :class:`Stopped` as soon as ``stop`` is set."""
    if stop.is_set():
        raise Stopped()
    box: queue.Queue = queue.Queue(maxsize=1)

    def run() -> None:
        try:
            box.put((True, func()))
        except BaseException as exc:  # handed to the caller, whatever it is
            box.put((False, exc))

    threading.Thread(target=run, name="wyzepal-events-call", daemon=True).start()
    while True:
        try:
            ok, value = box.get(timeout=STOP_CHECK_SECONDS)
        except queue.Empty:
            if stop.is_set():
                raise Stopped() from None
            continue
        if ok:
            return value
        raise value


def sleep_unless_stopped(seconds: float, stop: threading.Event) -> None:
    """Wait ``seconds``; raise :class:`Stopped` if ``stop`` is set meanwhile."""
    if stop.wait(max(0.0, seconds)):
        raise Stopped()
