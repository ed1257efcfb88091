"""The build queue: ``POST .../build`` lands here; a queue item later points at its build."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Optional

from .tree import Node

if TYPE_CHECKING:
    from .builds import Build
    from .jobs import Job


class QueueItem(Node):
    def __init__(self, item_id: int, job: Job, parameters: dict[str, str], causes: list[dict[str, Any]]) -> None:
        self.id = item_id
        self.job = job
        self.parameters = parameters
        self.causes = causes
        self.since = int(time.time() * 1000)
        self.build: Optional[Build] = None
        self.cancelled = False

    @property
    def cls(self) -> str:  # type: ignore[override]
        if self.cancelled or self.build is not None:
            return "hudson.model.Queue$LeftItem"
        return "hudson.model.Queue$BuildableItem"

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "url": f"queue/item/{self.id}/"}

    def full(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "actions": [{"_class": "hudson.model.CauseAction", "causes": self.causes}],
            "blocked": False, "buildable": self.build is None, "id": self.id, "inQueueSince": self.since,
            "params": "".join(f"\n{k}={v}" for k, v in self.parameters.items()), "stuck": False,
            "task": {"_class": self.job.cls, **self.job.summary()}, "url": f"queue/item/{self.id}/",
            "why": None if self.build else "Waiting for next available executor",
        }
        if self.build is not None or self.cancelled:
            data["cancelled"] = self.cancelled
            data["executable"] = ({"_class": self.build.cls, **self.build.summary()} if self.build else None)
        else:
            data["buildableStartMilliseconds"] = self.since
        return data


class Queue:
    """Items waiting for an executor, and those that left (kept so clients can follow them)."""

    def __init__(self) -> None:
        self.items: dict[int, QueueItem] = {}
        self._next_id = 1

    def add(self, job: Job, parameters: dict[str, str], causes: list[dict[str, Any]]) -> QueueItem:
        """Jenkins folds an identical request into the waiting item instead of queueing twice."""
        for item in self.waiting():
            if item.job is job and item.parameters == parameters:
                return item
        item = QueueItem(self._next_id, job, parameters, causes)
        self.items[item.id] = item
        self._next_id += 1
        return item

    def waiting(self) -> list[QueueItem]:
        return [item for item in self.items.values() if item.build is None and not item.cancelled]

    def item_for(self, job: Job) -> Optional[dict[str, Any]]:
        for item in self.waiting():
            if item.job is job:
                return {"_class": item.cls, **item.summary()}
        return None

    def export(self) -> dict[str, Any]:
        """Items are inlined even at depth 0, as Jenkins does."""
        return {"_class": "hudson.model.Queue", "discoverableItems": [],
                "items": [{"_class": item.cls, **item.full()} for item in self.waiting()]}
