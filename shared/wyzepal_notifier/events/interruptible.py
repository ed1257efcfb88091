"""Blocking calls the caller can walk away from: a long poll must not delay a stop.

A ``GET /events`` may wait a heartbeat (about 50 s) for an answer. The calls of
one event stream run on one helper thread; the caller waits for the answer *or*
the stop event, so a bridge stops within a fraction of a second. An abandoned
call finishes (or times out) on the daemon helper and its answer is dropped.
A long-lived helper rather than a thread per call keeps the hand-over to tens
of microseconds, which is most of what a message's latency is made of here.
"""
from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Optional, TypeVar

T = TypeVar("T")
#: How often a waiting caller looks at the stop event.
STOP_CHECK_SECONDS = 0.1


class Stopped(Exception):
    """The stop event was set while waiting."""


class InterruptibleCaller:
    """Runs calls on a helper thread and waits for them unless ``stop`` is set first."""

    def __init__(self, stop: threading.Event, name: str = "wyzepal-events-call") -> None:
        self.stop = stop
        self.name = name
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: Optional[threading.Thread] = None

    def call(self, func: Callable[[], T]) -> T:
        """``func()``'s result or exception, or :class:`Stopped` as soon as ``stop`` is set."""
        if self.stop.is_set():
            raise Stopped()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._serve, args=(self._jobs,), name=self.name, daemon=True)
            self._thread.start()
        box: queue.SimpleQueue = queue.SimpleQueue()
        self._jobs.put((func, box))
        while True:
            try:
                ok, value = box.get(timeout=STOP_CHECK_SECONDS)
            except queue.Empty:
                if self.stop.is_set():
                    raise Stopped() from None
                continue
            if ok:
                return value
            raise value

    def close(self) -> None:
        """Let the helper thread end once it is done with what it is doing."""
        if self._thread is not None:
            self._jobs.put((None, None))
            self._thread = None
            self._jobs = queue.SimpleQueue()  # a later call gets a helper (and a queue) of its own

    @staticmethod
    def _serve(jobs: queue.SimpleQueue) -> None:
        while True:
            func, box = jobs.get()
            if func is None:
                return
            box.put(_outcome(func))


def _outcome(func: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return True, func()
    except BaseException as exc:  # handed to the caller, whatever it is
        return False, exc


def sleep_unless_stopped(seconds: float, stop: threading.Event) -> None:
    """Wait ``seconds``; raise :class:`Stopped` if ``stop`` is set meanwhile."""
    if stop.wait(max(0.0, seconds)):
        raise Stopped()
