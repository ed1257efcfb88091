"""What each Jenkins URL answers: JSON API, build triggers, auth and CSRF answers."""
from __future__ import annotations

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
    if not isinstance(item, Job) or not rest:
        return _not_found()
    if rest in (["build"], ["buildWithParameters"]):
        return _trigger(jenkins, request, item, with_parameters=rest[0] == "buildWithParameters")
    build = _find_build(item, rest[0])
    if build is None:
        return _not_found()
    if rest[1:] == ["api", "json"]:
        return _export(build, request)
    if rest[1:] == ["testReport", "api", "json"]:
        if build.tests is None:
            return _not_found()
        return Answer(200, build.test_report())
    if rest[1:] == ["consoleText"]:
        return Answer(200, f"Started\nFinished: {build.result or 'IN PROGRESS'}\n")
    return _not_found()


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
