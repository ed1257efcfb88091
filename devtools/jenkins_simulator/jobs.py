"""Jobs and folders (the CloudBees Folders plugin's nesting) as Jenkins exports them."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote

from .builds import Build
from .tree import Node

if TYPE_CHECKING:
    from .model import Jenkins

_COLORS = {"SUCCESS": "blue", "UNSTABLE": "yellow", "FAILURE": "red", "ABORTED": "aborted", "NOT_BUILT": "notbuilt"}


class Item(Node):
    """Something with a name inside the root or a folder."""

    def __init__(self, jenkins: Jenkins, name: str, parent: Optional[Folder]) -> None:
        self.jenkins = jenkins
        self.name = name
        self.parent = parent

    @property
    def path(self) -> list[str]:
        return (self.parent.path if self.parent else []) + [self.name]

    @property
    def full_name(self) -> str:
        return "/".join(self.path)

    @property
    def full_display_name(self) -> str:
        return " » ".join(self.path)

    @property
    def url(self) -> str:
        return self.jenkins.url + "".join(f"job/{quote(part)}/" for part in self.path)


class Folder(Item):
    cls = "com.cloudbees.hudson.plugins.folder.Folder"

    def __init__(self, jenkins: Jenkins, name: str, parent: Optional[Folder]) -> None:
        super().__init__(jenkins, name, parent)
        self.children: dict[str, Item] = {}

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url}

    def full(self) -> dict[str, Any]:
        return {"actions": [], "description": None, "displayName": self.name, "displayNameOrNull": None,
                "fullDisplayName": self.full_display_name, "fullName": self.full_name, "name": self.name,
                "url": self.url, "healthReport": [], "jobs": list(self.children.values()),
                "primaryView": {"_class": "hudson.model.AllView", "name": "All", "url": self.url},
                "views": [{"_class": "hudson.model.AllView", "name": "All", "url": self.url}]}


class Job(Item):
    """A freestyle project or a pipeline; parameters are ``{name: default}``."""

    def __init__(self, jenkins: Jenkins, name: str, parent: Optional[Folder], *, pipeline: bool = False,
                 parameters: Optional[dict[str, str]] = None) -> None:
        super().__init__(jenkins, name, parent)
        self.pipeline = pipeline
        self.parameters = dict(parameters or {})
        self.builds: dict[int, Build] = {}
        self.next_number = 1
        self.disabled = False
        #: e.g. a multibranch PR job's ``ObjectMetadataAction``/``ContributorMetadataAction``.
        self.actions: list[dict[str, Any]] = []
        self.cls = "org.jenkinsci.plugins.workflow.job.WorkflowJob" if pipeline else "hudson.model.FreeStyleProject"

    # -- state -----------------------------------------------------------------

    def ordered(self) -> list[Build]:
        return [self.builds[n] for n in sorted(self.builds, reverse=True)]

    def last(self, predicate=lambda build: True) -> Optional[Build]:
        return next((build for build in self.ordered() if predicate(build)), None)

    def neighbours(self, number: int) -> tuple[Optional[dict], Optional[dict]]:
        lower = [n for n in self.builds if n < number]
        higher = [n for n in self.builds if n > number]
        return (self.builds[max(lower)].summary() if lower else None,
                self.builds[min(higher)].summary() if higher else None)

    def estimated_duration(self) -> int:
        done = [b.duration for b in self.ordered() if not b.building][:3]
        return sum(done) // len(done) if done else -1

    @property
    def color(self) -> str:
        if self.disabled:
            return "disabled"
        completed = self.last(lambda b: not b.building)
        color = _COLORS.get(completed.result or "", "notbuilt") if completed else "notbuilt"
        return color + "_anime" if self.last(lambda b: b.building) else color

    # -- export ----------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "color": self.color}

    def full(self) -> dict[str, Any]:
        builds = self.ordered()
        done = [b for b in builds if not b.building]

        def first(predicate) -> Optional[Build]:
            return next((b for b in done if predicate(b)), None)

        queued = self.jenkins.queue.item_for(self)
        return {
            "actions": list(self.actions), "description": "", "displayName": self.name, "displayNameOrNull": None,
            "fullDisplayName": self.full_display_name, "fullName": self.full_name, "name": self.name,
            "url": self.url, "buildable": not self.disabled, "builds": builds[:100], "color": self.color,
            "firstBuild": builds[-1] if builds else None, "healthReport": [], "inQueue": queued is not None,
            "keepDependencies": False, "lastBuild": builds[0] if builds else None,
            "lastCompletedBuild": done[0] if done else None,
            "lastFailedBuild": first(lambda b: b.result == "FAILURE"),
            "lastStableBuild": first(lambda b: b.result == "SUCCESS"),
            "lastSuccessfulBuild": first(lambda b: b.result in ("SUCCESS", "UNSTABLE")),
            "lastUnstableBuild": first(lambda b: b.result == "UNSTABLE"),
            "lastUnsuccessfulBuild": first(lambda b: b.result != "SUCCESS"),
            "nextBuildNumber": self.next_number, "property": self._properties(),
            "queueItem": queued, "concurrentBuild": False, "disabled": self.disabled,
        }

    def _properties(self) -> list[dict[str, Any]]:
        if not self.parameters:
            return []
        return [{"_class": "hudson.model.ParametersDefinitionProperty", "parameterDefinitions": [
            {"_class": "hudson.model.StringParameterDefinition", "name": name, "type": "StringParameterDefinition",
             "description": "", "defaultParameterValue": {"_class": "hudson.model.StringParameterValue",
                                                          "name": name, "value": default}}
            for name, default in self.parameters.items()]}]

    def permalink(self, name: str) -> Optional[Build]:
        data = self.full()
        found = data.get(name)
        return found if isinstance(found, Build) else None
