"""The outbox of a Trac process: the library's, with its worker woken a moment after a put.

Profiling tracd showed the cost of the plugin was mostly not its own code but
its delivery thread: woken by the put in the middle of the ticket save, it ran
Python (the HTTP call) while the request thread waited for SQLite's commit and
the socket; a thread coming back from I/O waits for the GIL up to the switch
interval (5 ms), twice per save. Waking the worker ``WAKE_DELAY`` seconds after
the put lets the request finish first. The message is durable in the spool
from the put on, so the delay costs only that much latency in the chat; several
puts within the delay wake the worker once.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable, Optional

from wyzepal_notifier.outbox import Outbox

log = logging.getLogger("wyzepal_notifier.trac")

#: Seconds between a put and the wake-up of the delivery thread.
WAKE_DELAY = 0.25


class Waker:
    """One sleeping thread that calls each outbox's wake-up when its delay has passed."""

    def __init__(self) -> None:
        self._due: dict[int, tuple[float, Callable[[], None]]] = {}
        self._cond = threading.Condition()
        self._thread: Optional[threading.Thread] = None

    def later(self, key: int, wake: Callable[[], None], delay: float) -> None:
        """Call ``wake`` in ``delay`` seconds, unless a call for ``key`` is already due."""
        with self._cond:
            self._due.setdefault(key, (time.monotonic() + delay, wake))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="wyzepal-trac-waker", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                now = time.monotonic()
                ready = [key for key, (due, _) in self._due.items() if due <= now]
                calls = [self._due.pop(key)[1] for key in ready]
                if not calls:
                    self._cond.wait(min((due for due, _ in self._due.values()), default=now + 60) - now)
                    continue
            for wake in calls:
                try:
                    wake()
                except Exception:  # a wake-up that fails must not stop the others; the worker polls anyway
                    log.exception("waking the outbox worker failed")

    def after_fork(self) -> None:
        """A forked child has no waker thread, and perhaps a lock some parent thread held."""
        self._due.clear()
        self._cond = threading.Condition()
        self._thread = None


WAKER = Waker()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=WAKER.after_fork)


class TracOutbox(Outbox):
    """``put`` and the handle operations are durable at once; the worker is woken ``WAKE_DELAY`` later."""

    wake_delay = WAKE_DELAY

    def _wake_worker(self) -> None:
        """The first put of a process starts the worker at once: a short-lived process (``trac-admin
        changeset added`` in a repository hook) then delivers within its exit flush."""
        if self._thread is None or not self._thread.is_alive():
            super()._wake_worker()
        else:
            WAKER.later(id(self), super()._wake_worker, self.wake_delay)
