"""Fault injection: make the next requests fail, hang or lose their connection.

Tests arm faults from their own thread (or over HTTP, see ``control.py``);
the server consumes them per request, so the injector is lock-protected.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional, Tuple

API_PREFIX = "/api/v1/"


def _normalise_path(path: Optional[str]) -> Optional[str]:
    """``"messages"`` means ``/api/v1/messages``; absolute paths stay as given."""
    if not path:
        return None
    return path if path.startswith("/") else API_PREFIX + path


@dataclass
class Fault:
    """One armed fault; ``remaining`` None means until cleared."""

    kind: str  # "fail", "drop", "lose_answer", "delay_answer" or "delay"
    remaining: Optional[int]
    path: Optional[str] = None
    method: Optional[str] = None
    status: int = 503
    seconds: float = 0.0
    body: Optional[str] = None
    retry_after: Optional[float] = None
    reset: bool = False
    id: int = 0

    def applies(self, method: str, path: str) -> bool:
        """Whether this fault targets the request."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        return self.path is None or path.startswith(self.path)


class FaultInjector:
    """Armed faults, consumed first come first served."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: List[Fault] = []
        self._ids = itertools.count(1)

    def _add(self, fault: Fault) -> Fault:
        fault.path = _normalise_path(fault.path)
        fault.id = next(self._ids)
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        path: Optional[str] = None,
        method: Optional[str] = None,
        body: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> Fault:
        """Answer the next ``n`` matching requests with ``status``.

        ``body`` replaces the default JSON error (e.g. an nginx HTML page); a 429
        gets Zulip's RATE_LIMIT_HIT body and a Retry-After of ``retry_after`` (1 s).
        """
        return self._add(Fault("fail", n, path, method, status, body=body, retry_after=retry_after))

    def drop_next(
        self, n: int = 1, path: Optional[str] = None, method: Optional[str] = None, reset: bool = False
    ) -> Fault:
        """Close the connection of the next ``n`` matching requests without answering.

        ``reset=True`` sends a TCP RST instead of a clean close.
        """
        return self._add(Fault("drop", n, path, method, reset=reset))

    def lose_answer_next(self, n: int = 1, path: Optional[str] = None, method: Optional[str] = None) -> Fault:
        """Handle the next ``n`` matching requests (a message is stored), then close the connection
        without the answer: what a client meets when the network breaks after the server acted."""
        return self._add(Fault("lose_answer", n, path, method))

    def delay_answer(self, seconds: float, n: Optional[int] = None, path: Optional[str] = None,
                     method: Optional[str] = None) -> Fault:
        """Handle matching requests at once (a message is stored), then hold the answer ``seconds``:
        a client that stops waiting, or is killed meanwhile, never learns that the server acted."""
        return self._add(Fault("delay_answer", n, path, method, seconds=seconds))

    def delay(
        self,
        seconds: float,
        n: Optional[int] = None,
        path: Optional[str] = None,
        method: Optional[str] = None,
    ) -> Fault:
        """Hold matching responses ``seconds`` (for the next ``n``, or until cleared)."""
        return self._add(Fault("delay", n, path, method, seconds=seconds))

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    def pending(self) -> List[Dict[str, Any]]:
        """Armed faults as dicts (for GET /devserver/faults and debugging)."""
        with self._lock:
            return [asdict(f) for f in self._faults]

    def take(self, method: str, path: str) -> Tuple[float, Optional[Fault]]:
        """Consume what applies to a request: seconds of delay and a fail/drop fault."""
        with self._lock:
            delay = 0.0
            for fault in self._faults:
                if fault.kind == "delay" and fault.applies(method, path):
                    delay = max(delay, fault.seconds)
                    self._consume(fault)
            action = next((f for f in self._faults if f.kind != "delay" and f.applies(method, path)), None)
            if action is not None:
                self._consume(action)
            self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
            return delay, action

    @staticmethod
    def _consume(fault: Fault) -> None:
        if fault.remaining is not None:
            fault.remaining -= 1
