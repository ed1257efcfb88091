"""Deliver a spool's backlog in the foreground: the detached worker and ``outbox flush``."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .courier import Courier
from .spool import Spool


@dataclass
class DrainReport:
    """How a drain went; ``remaining`` pending rows were left in the spool."""

    delivered: int = 0
    dead: int = 0
    remaining: int = 0
    stopped_by: str = "empty"  # "empty", "deadline", "no progress", "stop"


Progress = Callable[[DrainReport], None]


def drain(spool: Spool, *, stop: Optional[threading.Event] = None, timeout: Optional[float] = None,
          give_up_after: Optional[float] = None, on_progress: Optional[Progress] = None,
          **courier_options: Any) -> DrainReport:
    """Deliver until the spool has nothing pending, ``timeout`` ends, or nothing moved for ``give_up_after`` s."""
    stop = stop or threading.Event()
    courier = Courier(spool, stop=stop, **courier_options)
    report = DrainReport()
    start = last_move = time.monotonic()
    spool.release_orphans()
    try:
        while True:
            report.remaining = spool.pending_count()
            reason = _why_stop(report, stop, start, last_move, timeout, give_up_after)
            if reason:
                report.stopped_by = reason
                return report
            result = courier.deliver_round()
            report.delivered += result.delivered
            report.dead += result.dead
            if result.delivered or result.dead:
                last_move = time.monotonic()
                if on_progress is not None:
                    on_progress(report)
            if not result.claimed:
                stop.wait(_pause(spool, start, last_move, timeout, give_up_after))
    finally:
        courier.close()
        spool.release(courier.worker)


def _why_stop(report: DrainReport, stop: threading.Event, start: float, last_move: float,
              timeout: Optional[float], give_up_after: Optional[float]) -> str:
    now = time.monotonic()
    if not report.remaining:
        return "empty"
    if stop.is_set():
        return "stop"
    if timeout is not None and now - start >= timeout:
        return "deadline"
    if give_up_after is not None and now - last_move >= give_up_after:
        return "no progress"
    return ""


def _pause(spool: Spool, start: float, last_move: float, timeout: Optional[float],
           give_up_after: Optional[float]) -> float:
    """Sleep until the next row is due, but not past a deadline."""
    due = spool.next_due()
    wait = 1.0 if due is None else due - time.time()
    now = time.monotonic()
    if timeout is not None:
        wait = min(wait, start + timeout - now)
    if give_up_after is not None:
        wait = min(wait, last_move + give_up_after - now)
    return min(5.0, max(0.02, wait))
