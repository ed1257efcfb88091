"""What the watcher has announced, kept in a JSON file so a restart neither repeats nor misses.

Per job: the highest build number looked at, the builds below it still running,
the running builds whose start was announced and, for a job first seen later,
the time before which its builds are not news. Also the time of the last
good poll (a job first seen later only announces builds finished after it) and
the builds started from chat that someone waits to hear about. Also which
first failure's culprits were told, and which input steps were announced. Writes replace
the file atomically, so a crash leaves the old state or the new, never half.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

log = logging.getLogger("wyzepal_notifier.jenkins.watch")
FORMAT_VERSION = 1


@dataclass
class JobState:
    last: int = 0
    pending: list[int] = field(default_factory=list)
    started: list[int] = field(default_factory=list)
    #: For a job first seen after the first poll: builds that ended before this are not news.
    news_after_ms: Optional[int] = None
    #: The first failure whose culprits were written to (DIRECT_MESSAGE_BREAKERS): never twice.
    told: Optional[int] = None
    #: Input steps announced and waiting, as "<build number>:<input id>"; those answered from chat.
    inputs: list[str] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)


@dataclass
class FollowUp:
    """A build started from chat: announce its end in the topic it was asked in."""

    job: str
    queue_id: int
    stream: str
    topic: str
    requester: str
    requester_id: Optional[int] = None
    number: Optional[int] = None


class WatchState:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.jobs: dict[str, JobState] = {}
        self.followups: list[FollowUp] = []
        self.last_poll_ms: Optional[int] = None
        self.fresh = True
        self.lock = threading.RLock()

    @classmethod
    def load(cls, path: Path) -> WatchState:
        state = cls(path)
        try:
            data = json.loads(state.path.read_text(encoding="utf-8"))
            state._read(data)
        except FileNotFoundError:
            return state
        except (ValueError, TypeError, KeyError) as exc:
            aside = state.path.with_suffix(state.path.suffix + ".corrupt")
            os.replace(state.path, aside)
            log.warning("%s could not be read (%s); moved it to %s and starting afresh", state.path, exc, aside)
            return cls(path)
        state.fresh = False
        return state

    def _read(self, data: dict[str, Any]) -> None:
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unknown format version {data.get('version')!r}")
        self.jobs = {name: JobState(**entry) for name, entry in data["jobs"].items()}
        self.followups = [FollowUp(**entry) for entry in data.get("followups", [])]
        self.last_poll_ms = data.get("last_poll_ms")

    def save(self) -> None:
        with self.lock:
            data = {"version": FORMAT_VERSION, "last_poll_ms": self.last_poll_ms,
                    "jobs": {name: asdict(job) for name, job in sorted(self.jobs.items())},
                    "followups": [asdict(item) for item in self.followups]}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=self.path.name, dir=self.path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1)
            os.replace(temporary, self.path)
            self.fresh = False

    def add_followup(self, followup: FollowUp) -> None:
        with self.lock:
            self.followups.append(followup)
            self.save()
