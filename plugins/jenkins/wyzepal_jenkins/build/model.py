"""The neutral build event every way in (build step, watcher, chat) produces."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..kinds import classify


@dataclass(frozen=True)
class Person:
    """Someone Jenkins knows: a user id (from ``/user/<id>``), a name, maybe an email."""

    name: str
    id: str = ""
    email: str = ""


@dataclass(frozen=True)
class Change:
    commit: str
    title: str
    author: Person


@dataclass(frozen=True)
class FailedTest:
    name: str
    url: Optional[str] = None


@dataclass(frozen=True)
class TestSummary:
    __test__ = False  # not a pytest class

    passed: int
    failed: int
    skipped: int
    failures: tuple[FailedTest, ...] = ()
    #: Failing in this build but not in the one before (Jenkins' ``failedSince`` is this build).
    new_failures: tuple[FailedTest, ...] = ()
    new_failed: int = 0


@dataclass(frozen=True)
class PullRequest:
    """A multibranch build of a pull/merge request (``CHANGE_ID``, ``CHANGE_URL``... of the branch source)."""

    id: str
    url: str = ""
    title: str = ""
    author: str = ""
    target: str = ""


@dataclass(frozen=True)
class Streak:
    """A run of unsuccessful builds: how many, since when; ``complete`` False when history ran out."""

    builds: int
    since_ms: int
    complete: bool = True


@dataclass
class Build:
    """One build of one job, with whatever could be learnt about it."""

    job: str
    number: int
    url: Optional[str] = None
    result: Optional[str] = None
    timestamp_ms: Optional[int] = None
    duration_ms: Optional[int] = None
    cause: Optional[str] = None
    branch: Optional[str] = None
    commit: Optional[str] = None
    changes: list[Change] = field(default_factory=list)
    changes_known: bool = False
    culprits: list[Person] = field(default_factory=list)
    tests: Optional[TestSummary] = None
    previous_result: Optional[str] = None
    streak: Optional[Streak] = None
    parameters: dict[str, str] = field(default_factory=dict)
    pull_request: Optional[PullRequest] = None
    #: The pipeline stage that failed (from ``wfapi/describe``), and the console's last lines when asked for.
    failed_stage: Optional[str] = None
    log_tail: Optional[str] = None

    @property
    def kind(self) -> str:
        new_failures = bool(self.tests and self.tests.new_failed)
        return classify(self.result, self.previous_result, new_failures=new_failures)

    @property
    def finished_ms(self) -> Optional[int]:
        if self.timestamp_ms is None:
            return None
        return self.timestamp_ms + (self.duration_ms or 0)

    def event(self) -> dict[str, Any]:
        """What configurations' ``conditions`` can test."""
        return {"type": "build", "job": self.job, "result": self.result, "kind": self.kind,
                "branch": self.branch, "number": self.number, "build": self,
                "pull_request": self.pull_request.id if self.pull_request else None}
