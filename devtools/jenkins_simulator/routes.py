"""What each Jenkins URL answers: JSON API, build triggers, auth and CSRF answers."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional, Union
from urllib.parse import parse_qs, unquote

from .builds import Build, user_cause
from .jobs import Folder, Item, Job
from .model import Jenkins, User
from .tree import Exporter, Node, TreeSyntaxError, parse_tree

PERMALINKS = ("lastBuild", "lastCompletedBuild", "lastFailedBuild", "lastStableBuild", "lastSuccessfulBuild",
              "lastUnstableBuild", "lastUnsuccessfulBuild")


@dataclass
class Answer:
    status: int
    body: Union[dict, list, str] = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    user: Optional[User]
    crumb: Optional[str]

    def param(self, name: str, default: Optional[str] = None) -> Optional[str]:
        values = self.query.get(name) or self.form.get(name)
        return values[0] if values else default


def answer(jenkins: Jenkins, request: Request) -> Answer:
    """Route one authenticated request (the server checked credentials already)."""
    if request.user is None and not jenkins.anonymous_read:
        return Answer(403, "Authentication required", {"X-You-Are-Authenticated-As": "anonymous",
                                                       "X-Required-Permission": "hudson.model.Hudson.Read"})
    segments = [unquote(part) for part in request.path.split("?")[0].strip("/").split("/") if part]
    with jenkins.lock:
        if not segments:
            return Answer(200, "<html><body>Dashboard [Jenkins]</body></html>")
        special = _special(jenkins, request, segments)
        if special is not None:
            return special
        item: Optional[Item] = None
        while len(segments) >= 2 and segments[0] == "job":
            children = item.children if isinstance(item, Folder) else (jenkins.children if item is None else {})
            item = children.get(segments[1])
            if item is None:
                return _not_found()
            segments = segments[2:]
        if item is None:
            return _not_found()
        return _item(jenkins, request, item, segments)


def _special(jenkins: Jenkins, request: Request, segments: list[str]) -> Optional[Answer]:
    if segments == ["api", "json"]:
        return _export(jenkins, request)
    if segments == ["crumbIssuer", "api", "json"]:
        return Answer(200, {"_class": "hudson.security.csrf.DefaultCrumbIssuer", "crumb": jenkins.crumb,
                            "crumbRequestField": "Jenkins-Crumb"})
    if segments == ["me", "api", "json"]:
        if request.user is None:
            return Answer(200, {"_class": "hudson.model.User", "absoluteUrl": f"{jenkins.url}user/anonymous",
                                "description": None, "fullName": "anonymous", "id": "anonymous", "property": []})
        return Answer(200, request.user.export(jenkins.url))
    if segments == ["queue", "api", "json"]:
        return Answer(200, jenkins.queue.export())
    if len(segments) == 5 and segments[:2] == ["queue", "item"] and segments[3:] == ["api", "json"]:
        item = jenkins.queue.items.get(int(segments[2])) if segments[2].isdigit() else None
        return _export(item, request) if item else _not_found()
    if len(segments) == 4 and segments[0] == "user" and segments[2:] == ["api", "json"]:
        user = jenkins.users.get(segments[1])
        return Answer(200, user.export(jenkins.url)) if user else _not_found()
    return None


def _item(jenkins: Jenkins, request: Request, item: Item, rest: list[str]) -> Answer:
    if rest == ["api", "json"]:
        return _export(item, request)
    if not rest:  # the item's page, where Jenkins redirects after a POST
        return Answer(200, f"<html><body>{item.full_display_name} [Jenkins]</body></html>")
    if not isinstance(item, Job):
        return _not_found()
    if rest in (["build"], ["buildWithParameters"]):
        return _trigger(jenkins, request, item, with_parameters=rest[0] == "buildWithParameters")
    build = _find_build(item, rest[0])
    if build is None:
        return _not_found()
    if not rest[1:]:
        return Answer(200, f"<html><body>{item.full_display_name} #{build.number} [Jenkins]</body></html>")
    if rest[1:] == ["api", "json"]:
        return _export(build, request)
    if rest[1:] == ["testReport", "api", "json"]:
        if build.tests is None:
            return _not_found()
        return Answer(200, build.test_report())
    if rest[1:] == ["consoleText"]:
        return Answer(200, build.log, {"Content-Type": "text/plain;charset=utf-8"})
    if rest[1:] == ["logText", "progressiveText"]:
        return _progressive(build, request)
    if rest[1:] == ["wfapi", "describe"] and item.pipeline:
        return Answer(200, build.describe())
    if rest[1:] == ["wfapi", "pendingInputActions"] and item.pipeline:
        path = "/" + build.url[len(jenkins.url):]
        return Answer(200, [step.pending_action(path) for step in build.waiting_inputs()])
    if rest[1:] == ["input", "api", "json"] and build.inputs:
        return _export(_InputAction(build), request)
    if len(rest) == 4 and rest[1] == "input":
        return _answer_input(build, request, rest[2], rest[3])
    if rest[1:] in (["stop"], ["submitDescription"]):
        return _act_on_build(jenkins, request, build, rest[1])
    return _not_found()


class _InputAction(Node):
    """``/job/<j>/<n>/input/api/json``: the run's waiting input steps (``InputAction.getExecutions``)."""

    cls = "org.jenkinsci.plugins.workflow.support.steps.input.InputAction"

    def __init__(self, build: Build) -> None:
        self.build = build

    def summary(self) -> dict[str, Any]:
        return {}

    def full(self) -> dict[str, Any]:
        executions = [{"_class": "org.jenkinsci.plugins.workflow.support.steps.input.InputStepExecution",
                       "id": step.id, "settled": step.outcome is not None,
                       "input": {"_class": "org.jenkinsci.plugins.workflow.support.steps.input.InputStep",
                                 "id": step.id, "message": step.message, "ok": step.ok, "submitter": step.submitter,
                                 "parameters": [{"name": name} for name in step.parameters]}}
                      for step in self.build.waiting_inputs()]
        return {"displayName": "Paused for Input", "executions": executions,
                "waitingForInput": bool(executions)}


def _progressive(build: Build, request: Request) -> Answer:
    """``logText/progressiveText?start=N``: the log from byte N, with its size in ``X-Text-Size``."""
    data = build.log.encode("utf-8")
    try:
        start = int(request.param("start") or 0)
    except ValueError:
        start = 0
    start = min(max(0, start), len(data))
    headers = {"X-Text-Size": str(len(data)), "Content-Type": "text/plain;charset=utf-8"}
    if build.building:
        headers["X-More-Data"] = "true"
    return Answer(200, data[start:].decode("utf-8", "replace"), headers)


def _may_act(jenkins: Jenkins, request: Request, what: str) -> Optional[Answer]:
    if request.method != "POST":
        return Answer(405, "This URL requires POST")
    if request.user is None or not request.user.can_build:
        who = request.user.id if request.user else "anonymous"
        return Answer(403, f"{who} is missing the {what} permission")
    if request.crumb is not None and request.crumb != jenkins.crumb:
        return Answer(403, "No valid crumb was included in the request")
    return None


def _act_on_build(jenkins: Jenkins, request: Request, build: Build, action: str) -> Answer:
    refusal = _may_act(jenkins, request, "Job/Cancel" if action == "stop" else "Run/Update")
    if refusal is not None:
        return refusal
    if action == "stop":
        if build.building:
            for step in build.waiting_inputs():
                step.outcome = ("abort", {}, request.user.id if request.user else "")
            build.log += f"Aborted by {request.user.full_name if request.user else 'anonymous'}\n"
            build.finish("ABORTED")
        return Answer(302, "", {"Location": build.url})
    build.description = request.param("description") or None
    return Answer(302, "", {"Location": build.url})


def _answer_input(build: Build, request: Request, input_id: str, verb: str) -> Answer:
    """``input/<id>/proceedEmpty``, ``submit`` (``json`` + ``proceed``), ``proceed`` and ``abort``.

    As pipeline-input-step's ``InputStepExecution``: the caller must be allowed to
    build and be in ``submitter`` (when set); parameters come as
    ``json={"parameter": [{"name": ..., "value": ...}]}``.
    """
    step = next((s for s in build.waiting_inputs() if s.id == input_id), None)
    if step is None or verb not in ("proceedEmpty", "submit", "proceed", "abort"):
        return _not_found()
    refusal = _may_act(build.job.jenkins, request, "Job/Build")
    if refusal is not None:
        return refusal
    user = request.user
    assert user is not None
    if step.submitter and user.id.lower() not in [s.strip().lower() for s in step.submitter.split(",")]:
        return Answer(403, f"You need to be {step.submitter} (or have Job/Cancel permissions) to submit this.")
    if verb == "abort" or (verb == "submit" and request.param("proceed") is None):
        step.outcome = ("abort", {}, user.id)
        build.log += f"Rejected by {user.full_name}\n"
        build.finish("ABORTED")
        return Answer(200, "")
    values = dict(step.parameters)
    if verb != "proceedEmpty":
        try:
            submitted = json.loads(request.param("json") or "{}").get("parameter") or []
            if isinstance(submitted, dict):
                submitted = [submitted]
            for entry in submitted:
                if entry["name"] not in step.parameters:
                    return Answer(500, f"java.lang.IllegalArgumentException: No such parameter definition: "
                                       f"{entry['name']}")
                values[entry["name"]] = str(entry.get("value"))
        except (ValueError, KeyError, TypeError, AttributeError):
            return Answer(400, "Bad json")
    step.outcome = ("proceed", values, user.id)
    build.log += f"Approved by {user.full_name}\n"
    for stage in build.stages:
        if stage.status == "PAUSED_PENDING_INPUT":
            stage.status = "IN_PROGRESS"
    return Answer(200, "")


def _find_build(job: Job, name: str) -> Optional[Build]:
    if name.isdigit():
        return job.builds.get(int(name))
    if name in PERMALINKS:
        return job.permalink(name)
    return None


def _trigger(jenkins: Jenkins, request: Request, job: Job, *, with_parameters: bool) -> Answer:
    if request.method != "POST":
        return Answer(405, "This URL requires POST")
    if request.user is None or not request.user.can_build:
        who = request.user.id if request.user else "anonymous"
        return Answer(403, f"{who} is missing the Job/Build permission")
    if request.crumb is not None and request.crumb != jenkins.crumb:
        return Answer(403, "No valid crumb was included in the request")
    if job.disabled:
        return Answer(409, f"{job.full_name} is disabled")
    if not with_parameters and job.parameters:
        return Answer(400, "Nothing is submitted")
    if with_parameters and not job.parameters:
        return Answer(500, "java.lang.IllegalStateException: This build is not parameterized!")
    skip = {"token", "delay", "cause"}
    given = {name: values[0] for name, values in {**request.form, **request.query}.items() if name not in skip}
    values = {name: given.get(name, default) for name, default in job.parameters.items()}
    item = jenkins.enqueue(job, values, [user_cause(request.user.id, request.user.full_name)])
    return Answer(201, "", {"Location": f"{jenkins.url}queue/item/{item.id}/"})


def _export(node: Node, request: Request) -> Answer:
    tree = request.param("tree")
    try:
        depth = int(request.param("depth") or 0)
        exporter = Exporter(depth=depth, tree=parse_tree(tree) if tree else None)
    except (ValueError, TreeSyntaxError) as exc:
        return Answer(400, f"Bad request: {exc}")
    return Answer(200, exporter.export(node))


def _not_found() -> Answer:
    return Answer(404, "<html><body><h2>HTTP ERROR 404 Not Found</h2></body></html>")


def parse_form(body: bytes, content_type: str) -> dict[str, Any]:
    if "application/x-www-form-urlencoded" not in content_type:
        return {}
    return parse_qs(body.decode("utf-8", "replace"))
