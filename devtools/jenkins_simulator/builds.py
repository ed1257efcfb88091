"""Builds as Jenkins exports them: causes, git data, change sets, culprits, test results."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from .tree import Node

if TYPE_CHECKING:
    from .jobs import Job

RESULTS = ("SUCCESS", "UNSTABLE", "FAILURE", "NOT_BUILT", "ABORTED")


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Change:
    """One commit in a build's change set (``hudson.plugins.git.GitChangeSet``)."""

    commit_id: str
    comment: str
    author_id: str
    author_name: str
    author_email: str = ""
    paths: list[str] = field(default_factory=list)
    timestamp: int = field(default_factory=now_ms)

    def export(self, base: str) -> dict[str, Any]:
        return {
            "_class": "hudson.plugins.git.GitChangeSet",
            "affectedPaths": list(self.paths),
            "commitId": self.commit_id,
            "timestamp": self.timestamp,
            "author": {"absoluteUrl": f"{base}user/{self.author_id}", "fullName": self.author_name},
            "authorEmail": self.author_email,
            "comment": self.comment if self.comment.endswith("\n") else self.comment + "\n",
            "date": time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime(self.timestamp / 1000)),
            "id": self.commit_id,
            "msg": self.comment.strip().splitlines()[0] if self.comment.strip() else "",
            "paths": [{"editType": "edit", "file": path} for path in self.paths],
        }


@dataclass
class TestCase:
    """One JUnit case; ``status`` is PASSED, FAILED, REGRESSION, FIXED or SKIPPED."""

    __test__ = False  # not a pytest class

    class_name: str
    name: str
    status: str = "PASSED"
    duration: float = 0.01
    error: Optional[str] = None

    @property
    def failed(self) -> bool:
        return self.status in ("FAILED", "REGRESSION")

    def export(self, number: int = 0, previous: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        """As ``CaseResult`` exports it; ``previous`` is this case in the build before (None: not there).

        Jenkins derives the status from the previous result: a case failing now that
        passed before is REGRESSION, one failing in both FAILED; ``failedSince`` is
        the build it has failed since.
        """
        status = self.status
        failed_since = 0
        if self.failed:
            was_failing = previous is not None and previous["status"] in ("FAILED", "REGRESSION")
            status = "REGRESSION" if previous is not None and not was_failing else "FAILED"
            failed_since = previous["failedSince"] if was_failing else number
        elif self.status == "PASSED" and previous is not None and previous["status"] in ("FAILED", "REGRESSION"):
            status = "FIXED"
        return {"testActions": [], "age": (number - failed_since + 1) if self.failed else 0,
                "className": self.class_name, "duration": self.duration,
                "errorDetails": self.error if self.failed else None,
                "errorStackTrace": self.error if self.failed else None, "failedSince": failed_since,
                "name": self.name, "skipped": self.status == "SKIPPED", "skippedMessage": None, "status": status,
                "stderr": None, "stdout": None}


@dataclass
class Stage:
    """A pipeline stage as pipeline-rest-api's ``wfapi/describe`` reports it."""

    name: str
    status: str = "SUCCESS"  # SUCCESS, FAILED, UNSTABLE, ABORTED, IN_PROGRESS, PAUSED_PENDING_INPUT
    duration_ms: int = 1000


@dataclass
class InputStep:
    """A pipeline paused at ``input``: its question, button, who may answer, its parameters ``{name: default}``.

    ``outcome`` is None while waiting, then ("proceed", values, user id) or ("abort", {}, user id).
    """

    id: str
    message: str
    ok: str = "Proceed"
    submitter: Optional[str] = None
    parameters: dict[str, str] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)
    outcome: Optional[tuple[str, dict[str, str], str]] = None

    def pending_action(self, build_url_path: str) -> dict[str, Any]:
        """One entry of ``wfapi/pendingInputActions``, as pipeline-rest-api's ``InputActionExt`` writes it."""
        inputs = []
        for name, default in self.parameters.items():
            if name in self.choices:
                inputs.append({"type": "ChoiceParameterDefinition", "name": name, "description": "",
                               "definition": {"choices": self.choices[name], "defaultVal": default}})
            else:
                inputs.append({"type": "StringParameterDefinition", "name": name, "description": "",
                               "definition": {"defaultVal": default}})
        return {"id": self.id, "proceedText": self.ok, "message": self.message, "inputs": inputs,
                "proceedUrl": f"{build_url_path}wfapi/inputSubmit?inputId={self.id}",
                "abortUrl": f"{build_url_path}input/{self.id}/abort", "redirectApprovalUrl": f"{build_url_path}input"}


class Build(Node):
    """A run of a job; ``result`` is None while ``building``."""

    def __init__(self, job: Job, number: int, *, causes: list[dict[str, Any]], changes: list[Change],
                 parameters: dict[str, str], branch: Optional[str], commit: Optional[str],
                 queue_id: int = 0, timestamp: Optional[int] = None) -> None:
        self.job = job
        self.number = number
        self.causes = causes
        self.changes = changes
        self.parameters = parameters
        self.branch = branch
        self.commit = commit
        self.queue_id = queue_id
        self.timestamp = timestamp if timestamp is not None else now_ms()
        self.result: Optional[str] = None
        self.building = True
        self.duration = 0
        self.tests: Optional[list[TestCase]] = None
        self.culprit_ids: list[tuple[str, str]] = []
        self.stages: list[Stage] = []
        self.inputs: list[InputStep] = []
        self.log = "Started\n"
        self.description: Optional[str] = None
        #: Other checkouts before the job's own, as a pipeline loading a shared library makes: (url, sha, branch).
        self.library_checkouts: list[tuple[str, str, str]] = []
        self.export_culprits = True  # False: as pipeline runs of Jenkins versions that export none
        self.cls = ("org.jenkinsci.plugins.workflow.job.WorkflowRun" if job.pipeline
                    else "hudson.model.FreeStyleBuild")

    @property
    def url(self) -> str:
        return f"{self.job.url}{self.number}/"

    def finish(self, result: str, duration_ms: Optional[int] = None, tests: Optional[list[TestCase]] = None) -> None:
        if result not in RESULTS:
            raise ValueError(f"result must be one of {RESULTS}")
        self.result = result
        self.building = False
        self.duration = duration_ms if duration_ms is not None else max(1, now_ms() - self.timestamp)
        self.tests = tests
        self.log += f"Finished: {result}\n"
        for stage in self.stages:
            if stage.status in ("IN_PROGRESS", "PAUSED_PENDING_INPUT"):
                stage.status = "ABORTED" if result == "ABORTED" else ("FAILED" if result == "FAILURE" else "SUCCESS")

    def waiting_inputs(self) -> list[InputStep]:
        return [step for step in self.inputs if step.outcome is None] if self.building else []

    def describe(self) -> dict[str, Any]:
        """``wfapi/describe``: the run and its stages (pipeline-rest-api's ``RunExt``)."""
        path = "/" + self.url[len(self.job.jenkins.url):]
        status = "PAUSED_PENDING_INPUT" if self.waiting_inputs() else (
            "IN_PROGRESS" if self.building else {"FAILURE": "FAILED"}.get(self.result or "", self.result))
        start = self.timestamp
        stages = []
        for index, stage in enumerate(self.stages):
            stages.append({"_links": {"self": {"href": f"{path}execution/node/{index + 5}/wfapi/describe"}},
                           "id": str(index + 5), "name": stage.name, "execNode": "", "status": stage.status,
                           "startTimeMillis": start, "durationMillis": stage.duration_ms, "pauseDurationMillis": 0})
            start += stage.duration_ms
        return {"_links": {"self": {"href": f"{path}wfapi/describe"}}, "id": str(self.number),
                "name": f"#{self.number}", "status": status, "startTimeMillis": self.timestamp,
                "endTimeMillis": self.timestamp + self.duration, "durationMillis": self.duration,
                "queueDurationMillis": 0, "pauseDurationMillis": 0, "stages": stages}

    def summary(self) -> dict[str, Any]:
        return {"number": self.number, "url": self.url}

    def full(self) -> dict[str, Any]:
        base = self.job.jenkins.url
        previous, following = self.job.neighbours(self.number)
        data: dict[str, Any] = {
            "actions": self._actions(),
            "artifacts": [],
            "building": self.building,
            "description": None,
            "displayName": f"#{self.number}",
            "duration": self.duration,
            "estimatedDuration": self.job.estimated_duration(),
            "executor": {} if self.building else None,
            "fullDisplayName": f"{self.job.full_display_name} #{self.number}",
            "id": str(self.number),
            "keepLog": False,
            "number": self.number,
            "queueId": self.queue_id,
            "result": self.result,
            "timestamp": self.timestamp,
            "url": self.url,
            "culprits": [{"absoluteUrl": f"{base}user/{uid}", "fullName": name} for uid, name in self.culprit_ids],
            "previousBuild": previous,
            "nextBuild": following,
        }
        data["description"] = self.description
        if not self.export_culprits:
            del data["culprits"]
        change_set = {"_class": "hudson.plugins.git.GitChangeSetList",
                      "items": [change.export(base) for change in self.changes], "kind": "git"}
        if self.job.pipeline:
            data["changeSets"] = [change_set] if self.changes else []
            data["inProgress"] = self.building
        else:
            data["builtOn"] = ""
            data["changeSet"] = change_set if self.changes else {"_class": "hudson.scm.EmptyChangeLogSet",
                                                                  "items": [], "kind": None}
        return data

    def _actions(self) -> list[dict[str, Any]]:
        actions: list[dict[str, Any]] = [{"_class": "hudson.model.CauseAction", "causes": self.causes}]
        if self.parameters:
            actions.append({"_class": "hudson.model.ParametersAction", "parameters": [
                {"_class": "hudson.model.StringParameterValue", "name": k, "value": v}
                for k, v in self.parameters.items()]})
        for url, sha, branch_name in self.library_checkouts:
            actions.append({"_class": "hudson.plugins.git.util.BuildData",
                            "lastBuiltRevision": {"SHA1": sha, "branch": [{"SHA1": sha, "name": branch_name}]},
                            "remoteUrls": [url], "scmName": ""})
        if self.inputs:
            actions.append({"_class": "org.jenkinsci.plugins.workflow.support.steps.input.InputAction"})
        if self.commit:
            branch = [{"SHA1": self.commit, "name": f"refs/remotes/origin/{self.branch or 'main'}"}]
            actions.append({"_class": "hudson.plugins.git.util.BuildData",
                            "lastBuiltRevision": {"SHA1": self.commit, "branch": branch},
                            "remoteUrls": ["https://git.example.com/app.git"], "scmName": ""})
        actions.append({})
        if self.tests is not None:
            counts = self.test_counts()
            actions.append({"_class": "hudson.tasks.junit.TestResultAction", "failCount": counts["fail"],
                            "skipCount": counts["skip"], "totalCount": sum(counts.values()),
                            "urlName": "testReport"})
        return actions

    def test_counts(self) -> dict[str, int]:
        tests = self.tests or []
        failed = sum(1 for case in tests if case.failed)
        skipped = sum(1 for case in tests if case.status == "SKIPPED")
        return {"pass": len(tests) - failed - skipped, "fail": failed, "skip": skipped}

    def test_report(self) -> dict[str, Any]:
        """``/testReport/api/json``: suites grouped by class name."""
        suites: dict[str, list[TestCase]] = {}
        for case in self.tests or []:
            suites.setdefault(case.class_name, []).append(case)
        counts = self.test_counts()
        before = self._previous_cases()
        return {"_class": "hudson.tasks.junit.TestResult", "testActions": [],
                "duration": sum(c.duration for c in self.tests or []), "empty": not self.tests,
                "failCount": counts["fail"], "passCount": counts["pass"], "skipCount": counts["skip"],
                "suites": [{"cases": [c.export(self.number, before.get((c.class_name, c.name))) for c in cases],
                            "duration": sum(c.duration for c in cases),
                            "enclosingBlockNames": [], "enclosingBlocks": [], "id": None, "name": name,
                            "nodeId": None, "stderr": None, "stdout": None, "timestamp": None}
                           for name, cases in suites.items()]}


    def _previous_cases(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The cases of the nearest earlier finished build that has a test report, as exported."""
        earlier = [b for n, b in self.job.builds.items() if n < self.number and not b.building and b.tests is not None]
        if not earlier:
            return {}
        previous = max(earlier, key=lambda b: b.number)
        return {(case["className"], case["name"]): case
                for suite in previous.test_report()["suites"] for case in suite["cases"]}


def user_cause(user_id: str, full_name: str) -> dict[str, Any]:
    return {"_class": "hudson.model.Cause$UserIdCause", "shortDescription": f"Started by user {full_name}",
            "userId": user_id, "userName": full_name}


def scm_cause() -> dict[str, Any]:
    return {"_class": "hudson.triggers.SCMTrigger$SCMTriggerCause", "shortDescription": "Started by an SCM change"}


def timer_cause() -> dict[str, Any]:
    return {"_class": "hudson.triggers.TimerTrigger$TimerTriggerCause", "shortDescription": "Started by timer"}


def upstream_cause(project: str, number: int, url: str) -> dict[str, Any]:
    return {"_class": "hudson.model.Cause$UpstreamCause",
            "shortDescription": f'Started by upstream project "{project}" build number {number}',
            "upstreamBuild": number, "upstreamProject": project, "upstreamUrl": url}
