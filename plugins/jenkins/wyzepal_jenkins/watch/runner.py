"""The watcher's loop: poll, wait, poll; back off while Jenkins is away, never give up."""
from __future__ import annotations

import logging
import threading
from typing import Optional

from ..api import JenkinsError
from .poller import Poller, PollReport

log = logging.getLogger("wyzepal_notifier.jenkins.watch")
MAX_BACKOFF = 300.0


class Watcher:
    def __init__(self, poller: Poller, interval: float) -> None:
        self.poller = poller
        self.interval = interval
        self.failures = 0

    def poll_once(self) -> Optional[PollReport]:
        """One poll; None when Jenkins could not be asked (logged once per outage)."""
        try:
            report = self.poller.poll()
        except JenkinsError as exc:
            self.failures += 1
            if self.failures == 1:
                log.warning("Jenkins cannot be polled (%s); trying again, nothing is lost meanwhile", exc)
            return None
        except Exception:  # a strange answer must not end a long-running watcher
            self.failures += 1
            log.exception("poll failed; trying again")
            return None
        if self.failures:
            log.warning("Jenkins answers again after %d failed polls; catching up", self.failures)
        self.failures = 0
        return report

    def next_wait(self) -> float:
        if not self.failures:
            return self.interval
        return min(MAX_BACKOFF, max(self.interval, self.interval * 2 ** min(self.failures - 1, 10)))

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.poll_once()
            stop.wait(self.next_wait())
