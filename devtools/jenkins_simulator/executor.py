"""Executors for the demo: queued builds start, and finish after a few seconds."""
from __future__ import annotations

import threading
import time
from typing import Optional

from .model import Jenkins


class Executor:
    """A background thread that runs what is queued and finishes it with ``result``."""

    def __init__(self, jenkins: Jenkins, *, build_seconds: float = 3.0, result: str = "SUCCESS",
                 tick: float = 0.5) -> None:
        self.jenkins = jenkins
        self.build_seconds = build_seconds
        self.result = result
        self.tick = tick
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._running: list[tuple[str, int, float]] = []

    def start(self) -> Executor:
        self._thread = threading.Thread(target=self._run, name="jenkins-simulator-executor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            now = time.monotonic()
            for build in self.jenkins.start_queued():
                self._running.append((build.job.full_name, build.number, now + self.build_seconds))
            for entry in [entry for entry in self._running if entry[2] <= now]:
                self._running.remove(entry)
                try:
                    self.jenkins.finish_build(entry[0], entry[1], self.result)
                except KeyError:
                    continue  # the job was deleted meanwhile
