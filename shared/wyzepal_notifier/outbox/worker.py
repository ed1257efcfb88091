"""``python -m wyzepal_notifier.outbox.worker --outbox PATH``: deliver a spool, then exit.

Started detached by :func:`~wyzepal_notifier.outbox.enqueue_detached` (what
``wyzepal-integrations send --outbox`` uses). One worker per spool at a time:
the others see the lock taken and leave at once. Before leaving, a worker lets
go of the lock and looks once more, so a message queued while it was finishing
is not stranded. When the server stays unreachable the worker gives up after
``--give-up-after`` seconds without progress; the messages wait in the spool
for the next worker or ``wyzepal-integrations outbox flush``.

A long-running host's own delivery process (:class:`~wyzepal_notifier.outbox.ProcessOutbox`)
adds ``--linger SECONDS`` (stay that long for new messages once the spool is
empty) and ``--parent PID`` (leave once that process is gone; with the server
unreachable the messages then wait for the host's next start).
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional, Sequence

from .salvage import open_salvaged
from .spool import Spool

if TYPE_CHECKING:
    from .drain import DrainReport

DEFAULT_GIVE_UP_AFTER = 300.0
#: The worker's CPU priority below its host's (``nice``): delivery waits on the network, and the
#: push, commit or page it was started by must not wait for its start (importing ``requests``).
NICENESS = 10
#: How often a lingering worker looks for new messages.
LINGER_POLL = 0.2
log = logging.getLogger("wyzepal_notifier.outbox")


@contextlib.contextmanager
def worker_lock(spool_path: Path) -> Iterator[bool]:
    """Yield True when this process is the spool's one worker (an flock beside the spool)."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): leases alone keep workers apart
        yield True
        return
    fd = os.open(f"{spool_path}.worker-lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def run(spool_path: Path, *, give_up_after: float = DEFAULT_GIVE_UP_AFTER,
        stop: Optional[threading.Event] = None, linger: float = 0.0, parent: int = 0,
        **courier_options: object) -> int:
    """Deliver while holding the lock; look again after letting go. Returns rows delivered."""
    from .drain import drain  # the client and requests: imported once main() has lowered the priority

    stop = stop or threading.Event()
    delivered = 0
    while not stop.is_set():
        with worker_lock(spool_path) as mine:
            if not mine:
                return delivered
            spool = _opened(spool_path)
            try:
                while True:
                    report = drain(spool, stop=stop, give_up_after=give_up_after, **courier_options)
                    delivered += report.delivered
                    if not linger or not _more_to_come(spool, spool_path, report, linger, parent, stop):
                        break
            finally:
                spool.close()
        if report.stopped_by != "empty" or not _has_pending(spool_path) or not alive(parent):
            return delivered
    return delivered


def _more_to_come(spool: Spool, spool_path: Path, report: DrainReport, linger: float, parent: int,
                  stop: threading.Event) -> bool:
    """A lingering worker: True when there is more to deliver and the host it serves still runs."""
    if report.stopped_by == "no progress":
        return alive(parent)  # the server is down: keep trying for a host that is there, else leave it waiting
    deadline = time.monotonic() + linger
    while time.monotonic() < deadline and not stop.is_set() and alive(parent) and spool_path.exists():
        if spool.pending_count():
            return True
        stop.wait(LINGER_POLL)
    return False


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (0: nobody to watch, so yes)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _opened(spool_path: Path) -> Spool:
    """The spool to deliver; a damaged one is salvaged first (its readable rows kept, the file moved aside)."""
    return open_salvaged(spool_path, lambda path: Spool(path, create=False))


def _has_pending(spool_path: Path) -> bool:
    spool = Spool(spool_path, create=False)
    try:
        return spool.pending_count() > 0
    finally:
        spool.close()


def lower_priority(niceness: int = NICENESS) -> None:
    """Run below the host that started this worker; where there is no ``nice`` (Windows), as it is."""
    with contextlib.suppress(AttributeError, OSError):
        os.nice(niceness)


def main(argv: Optional[Sequence[str]] = None) -> int:
    lower_priority()
    parser = argparse.ArgumentParser(prog="python -m wyzepal_notifier.outbox.worker",
                                     description="Deliver the messages waiting in an outbox spool, then exit.")
    parser.add_argument("--outbox", required=True, metavar="PATH", help="the spool file")
    parser.add_argument("--give-up-after", type=float, default=DEFAULT_GIVE_UP_AFTER, metavar="SECONDS",
                        help="leave when nothing could be delivered for this long (default %(default)s)")
    parser.add_argument("--linger", type=float, default=0.0, metavar="SECONDS",
                        help="stay this long for new messages once the spool is empty (default %(default)s)")
    parser.add_argument("--parent", type=int, default=0, metavar="PID",
                        help="leave once this process (the host it delivers for) is gone")
    parser.add_argument("--lease", type=float, default=None, metavar="SECONDS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    options = {"lease": args.lease} if args.lease else {}
    try:
        run(Path(args.outbox), give_up_after=args.give_up_after, stop=stop, linger=args.linger,
            parent=args.parent, **options)
    except Exception as exc:
        log.error("outbox worker for %s stopped: %s", args.outbox, exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
