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
    passed: int
    failed: int
    skipped: int
    failures: tuple[FailedTest, ...] = ()


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

    @property
    def kind(self) -> str:
        return classify(self.result, self.previous_result)

    @property
    def finished_ms(self) -> Optional[int]:
        if self.timestamp_ms is None:
            return None
        return self.timestamp_ms + (self.duration_ms or 0)

    def event(self) -> dict[str, Any]:
        """What configurations' ``conditions`` can test."""
        return {"type": "build", "job": self.job, "result": self.result, "kind": self.kind,
                "branch": self.branch, "number": self.number, "build": self}
