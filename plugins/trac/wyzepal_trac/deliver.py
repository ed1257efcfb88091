"""``python -m wyzepal_trac.deliver --outbox PATH --parent PID``: a Trac environment's delivery process.

Started by the plugin (``delivery.ProcessOutbox``) when nobody delivers its
spool. It holds the spool's worker lock (the library's, so ``wyzepal-integrations
outbox flush`` and this never deliver at once), delivers what waits with the
library's courier, then looks for new messages every ``POLL`` seconds. It leaves
when it was idle for ``--linger`` seconds; when the Trac process that started it
is gone, once the spool is empty or the server stayed unreachable for ``ROUND``
seconds (the messages wait for Trac's next start); when the spool is deleted.
SIGTERM stops it after the message in hand.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Optional, Sequence

from wyzepal_notifier.outbox import Spool, drain
from wyzepal_notifier.outbox.worker import worker_lock

#: Seconds between looks for new messages while idle.
POLL = 0.2
DEFAULT_LINGER = 600.0
#: With the server unreachable, how long a round of delivery tries before this process looks around
#: (is the Trac that started it still there, is the spool?).
ROUND = 60.0

log = logging.getLogger("wyzepal_notifier.trac")


def serve(path: Path, parent: int, linger: float, stop: threading.Event, round_seconds: float = ROUND) -> int:
    """Deliver while this process holds the spool's worker lock; returns how many were delivered.

    After letting go of the lock it looks once more: a message queued while it was leaving
    (its sender saw the lock taken and started nobody) is not stranded.
    """
    delivered = 0
    while not stop.is_set():
        with worker_lock(path) as mine:
            if not mine:
                return delivered  # another worker delivers this spool
            delivered += _deliver_until_idle(path, parent, linger, stop, round_seconds)
        if not _has_pending(path) or not _alive(parent):
            break
    return delivered


def _deliver_until_idle(path: Path, parent: int, linger: float, stop: threading.Event, round_seconds: float) -> int:
    delivered = 0
    spool = Spool(path, create=False)
    try:
        idle_since = time.monotonic()
        while not stop.is_set() and path.exists():
            if spool.pending_count():
                report = drain(spool, stop=stop, give_up_after=round_seconds)
                delivered += report.delivered
                idle_since = time.monotonic()
                if report.stopped_by == "no progress" and not _alive(parent):
                    break  # the server is unreachable and Trac is gone: the messages wait for its next start
            elif time.monotonic() - idle_since > linger or not _alive(parent):
                break
            else:
                stop.wait(POLL)
    finally:
        spool.close()
    return delivered


def _has_pending(path: Path) -> bool:
    if not path.exists():
        return False
    spool = Spool(path, create=False)
    try:
        return spool.pending_count() > 0
    finally:
        spool.close()


def _alive(pid: int) -> bool:
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wyzepal_trac.deliver", description=__doc__.splitlines()[0])
    parser.add_argument("--outbox", required=True, type=Path, metavar="PATH", help="the spool file")
    parser.add_argument("--parent", type=int, default=0, metavar="PID", help="leave once this process is gone")
    parser.add_argument("--linger", type=float, default=DEFAULT_LINGER, metavar="SECONDS",
                        help="leave after this long without messages (default %(default)s)")
    parser.add_argument("--round", type=float, default=ROUND, metavar="SECONDS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        serve(args.outbox, args.parent, args.linger, stop, args.round)
    except Exception as exc:
        log.error("delivery for %s stopped: %s", args.outbox, exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
