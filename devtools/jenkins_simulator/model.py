"""The simulated Jenkins controller: users, folders, jobs, builds and the queue.

Tests and the demo drive it directly (``add_job``, ``run_build``...); clients
see it only through :mod:`devtools.jenkins_simulator.server` over real HTTP.
One lock guards it, since the HTTP server answers from several threads.
"""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from .builds import Build, Change, TestCase, scm_cause
from .jobs import Folder, Item, Job
from .queue import Queue, QueueItem
from .tree import Node


@dataclass
class User:
    id: str
    full_name: str
    token: str
    email: str = ""
    can_build: bool = True

    def export(self, base: str) -> dict[str, Any]:
        return {"_class": "hudson.model.User", "absoluteUrl": f"{base}user/{self.id}", "description": None,
                "fullName": self.full_name, "id": self.id,
                "property": [{"_class": "hudson.tasks.Mailer$UserProperty", "address": self.email}]}


class Jenkins(Node):
    cls = "hudson.model.Hudson"

    def __init__(self, *, version: str = "2.452.3", anonymous_read: bool = False) -> None:
        self.url = "http://127.0.0.1/"
        self.version = version
        self.anonymous_read = anonymous_read
        self.users: dict[str, User] = {}
        self.children: dict[str, Item] = {}
        self.queue = Queue()
        self.lock = threading.RLock()
        self.crumb = secrets.token_hex(16)

    # -- users -----------------------------------------------------------------

    def add_user(self, user_id: str, full_name: Optional[str] = None, *, token: Optional[str] = None,
                 email: str = "", can_build: bool = True) -> str:
        """Add a user and return the API token it authenticates with."""
        with self.lock:
            user = User(user_id, full_name or user_id, token or secrets.token_hex(16), email, can_build)
            self.users[user_id] = user
            return user.token

    # -- items -----------------------------------------------------------------

    def find(self, full_name: str) -> Optional[Item]:
        with self.lock:
            children: dict[str, Item] = self.children
            item: Optional[Item] = None
            for part in full_name.strip("/").split("/"):
                item = children.get(part)
                if item is None:
                    return None
                children = item.children if isinstance(item, Folder) else {}
            return item

    def job(self, full_name: str) -> Job:
        item = self.find(full_name)
        if not isinstance(item, Job):
            raise KeyError(f"no job {full_name}")
        return item

    def add_folder(self, full_name: str) -> Folder:
        with self.lock:
            parent: Optional[Folder] = None
            children = self.children
            for part in full_name.strip("/").split("/"):
                item = children.get(part)
                if item is None:
                    item = children[part] = Folder(self, part, parent)
                if not isinstance(item, Folder):
                    raise ValueError(f"{item.full_name} is a job, not a folder")
                parent, children = item, item.children
            assert parent is not None
            return parent

    def add_job(self, full_name: str, *, pipeline: bool = False, parameters: Optional[dict[str, str]] = None) -> Job:
        with self.lock:
            folder_name, _, name = full_name.strip("/").rpartition("/")
            parent = self.add_folder(folder_name) if folder_name else None
            siblings = parent.children if parent else self.children
            if name in siblings:
                raise ValueError(f"{full_name} exists")
            job = siblings[name] = Job(self, name, parent, pipeline=pipeline, parameters=parameters)
            return job

    def delete(self, full_name: str) -> None:
        with self.lock:
            item, siblings = self._placed(full_name)
            del siblings[item.name]

    def _placed(self, full_name: str) -> tuple[Item, dict[str, Item]]:
        """The item and the folder contents it sits in."""
        item = self.find(full_name)
        if item is None:
            raise KeyError(full_name)
        return item, (item.parent.children if item.parent else self.children)

    def rename(self, full_name: str, new_name: str) -> Item:
        """Rename in place (Jenkins keeps the builds; the URL changes)."""
        with self.lock:
            item, siblings = self._placed(full_name)
            del siblings[item.name]
            item.name = new_name
            siblings[new_name] = item
            return item

    def jobs(self) -> list[Job]:
        """Every job, folders walked."""
        found: list[Job] = []
        stack: list[Item] = list(self.children.values())
        while stack:
            item = stack.pop(0)
            if isinstance(item, Job):
                found.append(item)
            elif isinstance(item, Folder):
                stack.extend(item.children.values())
        return found

    # -- builds ----------------------------------------------------------------

    def start_build(self, full_name: str, *, cause: Optional[dict[str, Any]] = None,
                    changes: Iterable[Change] = (), parameters: Optional[dict[str, str]] = None,
                    branch: Optional[str] = "main", commit: Optional[str] = None,
                    timestamp: Optional[int] = None, queue_id: int = 0) -> Build:
        with self.lock:
            job = self.job(full_name)
            changes = list(changes)
            values = {**job.parameters, **(parameters or {})}
            build = Build(job, job.next_number, causes=[cause or scm_cause()], changes=changes,
                          parameters=values, branch=branch,
                          commit=commit or (changes[-1].commit_id if changes else None),
                          queue_id=queue_id, timestamp=timestamp)
            build.culprit_ids = self._culprits(job, changes)
            job.builds[build.number] = build
            job.next_number += 1
            return build

    def _culprits(self, job: Job, changes: list[Change]) -> list[tuple[str, str]]:
        """Jenkins' rule: this build's authors, plus the previous culprits while it keeps failing."""
        previous = job.last(lambda b: not b.building)
        found: list[tuple[str, str]] = []
        if previous is not None and previous.result != "SUCCESS":
            found.extend(previous.culprit_ids)
        for change in changes:
            author = (change.author_id, change.author_name)
            if author not in found:
                found.append(author)
        return found

    def finish_build(self, full_name: str, number: int, result: str, *, duration_ms: Optional[int] = None,
                     tests: Optional[list[TestCase]] = None) -> Build:
        with self.lock:
            build = self.job(full_name).builds[number]
            build.finish(result, duration_ms, tests)
            return build

    def run_build(self, full_name: str, result: str, *, duration_ms: Optional[int] = 1000,
                  tests: Optional[list[TestCase]] = None, **start: Any) -> Build:
        """Start and finish a build in one go."""
        with self.lock:
            build = self.start_build(full_name, **start)
            return self.finish_build(full_name, build.number, result, duration_ms=duration_ms, tests=tests)

    def delete_build(self, full_name: str, number: int) -> None:
        with self.lock:
            del self.job(full_name).builds[number]

    def enqueue(self, job: Job, parameters: dict[str, str], causes: list[dict[str, Any]]) -> QueueItem:
        with self.lock:
            return self.queue.add(job, parameters, causes)

    def start_queued(self) -> list[Build]:
        """Give every waiting item an executor: each becomes a running build."""
        with self.lock:
            started = []
            for item in self.queue.waiting():
                item.build = self.start_build(item.job.full_name, cause=item.causes[0], parameters=item.parameters,
                                              queue_id=item.id)
                started.append(item.build)
            return started

    # -- export ----------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        return {"url": self.url}

    def full(self) -> dict[str, Any]:
        view = {"_class": "hudson.model.AllView", "name": "all", "url": self.url}
        return {"assignedLabels": [{"name": "built-in"}], "mode": "NORMAL",
                "nodeDescription": "the Jenkins controller's built-in node", "nodeName": "", "numExecutors": 2,
                "description": None, "jobs": list(self.children.values()), "overallLoad": {},
                "primaryView": view, "quietDownReason": None, "quietingDown": False, "slaveAgentPort": -1,
                "unlabeledLoad": {"_class": "jenkins.model.UnlabeledLoadStatistics"}, "url": self.url,
                "useCrumbs": True, "useSecurity": True, "views": [view]}
