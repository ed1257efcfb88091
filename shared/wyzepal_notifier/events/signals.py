"""SIGTERM and Ctrl-C for bridges: finish the current event, delete the queue, exit.

The library never installs signal handlers by itself (a host may have its own);
a bridge's ``main`` opts in::

    stop = threading.Event()
    with stop_on_signals(stop):
        call_on_each_message(client, handle, stop=stop)

A second signal of the same kind gets the previous behaviour, so a stuck bridge
still dies on a second Ctrl-C.
"""
from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any, Iterable, Optional


class stop_on_signals:  # noqa: N801 - used like a function
    """Set ``stop`` on SIGTERM/SIGINT (main thread only); restores the old handlers on exit."""

    def __init__(self, stop: threading.Event, signals: Iterable[int] = (signal.SIGTERM, signal.SIGINT)) -> None:
        self.stop = stop
        self.received: Optional[int] = None
        self._previous: dict[int, Any] = {}
        for signum in signals:
            self._previous[signum] = signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:
        if self.stop.is_set() and self.received == signum:
            previous = self._previous.get(signum)
            self.restore()
            if callable(previous):
                previous(signum, frame)
            else:
                signal.raise_signal(signum)
            return
        self.received = signum
        self.stop.set()

    def restore(self) -> None:
        """Put back the handlers that were there before."""
        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self._previous.clear()

    def __enter__(self) -> stop_on_signals:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.restore()
