"""Read Jenkins' build JSON (``/job/<j>/<n>/api/json``) into a :class:`Build`.

Freestyle builds carry ``changeSet``, pipelines ``changeSets``; causes, git data
and test counts sit in ``actions``, many of which are empty ``{}``. Real servers
send shapes the simulator does not (see ``tests/jenkins/fixtures/real/``):
Subversion items with ``revision``/``user``, several git checkouts in one
pipeline (its shared libraries first), no ``culprits`` on pipeline runs of some
versions, parameter values that are JSON booleans or null.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Mapping, Optional
from urllib.parse import unquote

from .model import Build, Change, Person

_USER_URL = re.compile(r"/user/([^/]+)/?$")


def parse_build(job: str, data: Mapping[str, Any]) -> Build:
    branch, commit = git_revision(data, job)
    found = list(changes(data))
    culprits = [person(entry) for entry in data.get("culprits") or []]
    if "culprits" not in data:  # pipeline runs of some Jenkins versions export none: the authors are the suspects
        culprits = _authors(found)
    return Build(
        job=job,
        number=int(data.get("number") or 0),
        url=data.get("url"),
        result=None if data.get("building") else data.get("result"),
        timestamp_ms=data.get("timestamp"),
        duration_ms=data.get("duration") if not data.get("building") else None,
        cause=cause_text(data),
        branch=branch,
        commit=commit,
        changes=found,
        changes_known=True,
        culprits=culprits,
        parameters=parameters(data),
    )


def _authors(found: list[Change]) -> list[Person]:
    people: list[Person] = []
    for change in found:
        if change.author.name != "unknown" and change.author not in people:
            people.append(change.author)
    return people


def _actions(data: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for action in data.get("actions") or []:
        if isinstance(action, Mapping) and action:
            yield action


def cause_text(data: Mapping[str, Any]) -> Optional[str]:
    """Jenkins' own words ("Started by user Alice"), several causes joined."""
    texts: list[str] = []
    for action in _actions(data):
        for cause in action.get("causes") or []:
            text = (cause.get("shortDescription") or "").strip()
            if text and text not in texts:
                texts.append(text)
    return "; ".join(texts) or None


def git_revision(data: Mapping[str, Any], job: str = "") -> tuple[Optional[str], Optional[str]]:
    """Branch and commit of the job's own repository, from the git plugin's ``BuildData`` actions.

    A pipeline that loads a shared library checks the library out too, each
    checkout with its own ``BuildData`` (the library's usually first). A
    multibranch job is named after its branch, so the checkout of that branch is
    the job's; otherwise the last checkout is (``checkout scm`` runs after the
    libraries are loaded). A build step's ``BRANCH_NAME``/``GIT_COMMIT`` beat
    both (see ``environment.merge``).
    """
    checkouts = []
    for action in _actions(data):
        revision = action.get("lastBuiltRevision")
        if isinstance(revision, Mapping):
            names = [short_branch(b.get("name")) for b in revision.get("branch") or [] if isinstance(b, Mapping)]
            checkouts.append(([n for n in names if n and n != "HEAD"] or names, revision.get("SHA1")))
    if not checkouts:
        return None, None
    leaf = unquote(job.rsplit("/", 1)[-1]) if job else ""
    for names, sha in checkouts:
        if leaf and leaf in names:
            return leaf, sha
    names, sha = checkouts[-1]
    return (names[0] if names else None), sha


def short_branch(name: Optional[str]) -> Optional[str]:
    """``refs/remotes/origin/main`` and ``origin/main`` are the branch ``main``."""
    if not name:
        return None
    for prefix in ("refs/remotes/origin/", "refs/heads/", "origin/"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def changes(data: Mapping[str, Any]) -> Iterator[Change]:
    sets = data.get("changeSets")
    if sets is None:
        sets = [data.get("changeSet") or {}]
    elif isinstance(sets, Mapping):
        sets = [sets]
    for change_set in sets:
        if not isinstance(change_set, Mapping):
            continue
        for item in change_set.get("items") or []:
            if isinstance(item, Mapping):
                yield change(item)


def change(item: Mapping[str, Any]) -> Change:
    """One item of any SCM: git's ``commitId``; Subversion's ``revision`` and ``user`` (Hudson had no author)."""
    who = person(item["author"]) if isinstance(item.get("author"), Mapping) else None
    if who is None or who.name == "unknown":
        user = str(item.get("user") or "").strip()
        who = Person(user, user) if user else Person("unknown")
    title = item.get("msg") or (item.get("comment") or "").strip().split("\n", 1)[0]
    return Change(commit=commit_label(item), title=str(title or ""),
                  author=Person(who.name, who.id, str(item.get("authorEmail") or "")))


def commit_label(item: Mapping[str, Any]) -> str:
    """A git hash as it is; a Subversion revision as ``r3097``."""
    commit = str(item.get("commitId") or item.get("id") or "")
    revision = item.get("revision")
    if revision is not None and str(revision).isdigit() and (not commit or commit == str(revision)):
        return f"r{revision}"
    return commit


def person(entry: Mapping[str, Any]) -> Person:
    match = _USER_URL.search(entry.get("absoluteUrl") or "")
    user_id = unquote(match.group(1)) if match else ""
    return Person(name=entry.get("fullName") or user_id or "unknown", id=user_id)


def parameters(data: Mapping[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for action in _actions(data):
        for parameter in action.get("parameters") or []:
            if isinstance(parameter, Mapping) and "name" in parameter:
                values[str(parameter["name"])] = json_text(parameter.get("value"))
    return values


def json_text(value: Any) -> str:
    """A parameter value as Jenkins writes it: ``true``, not Python's ``True``; null is empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def test_counts(data: Mapping[str, Any]) -> Optional[tuple[int, int, int]]:
    """(total, failed, skipped) from the ``TestResultAction``, or None when no tests ran."""
    for action in _actions(data):
        if action.get("urlName") == "testReport" or "totalCount" in action:
            return int(action.get("totalCount") or 0), int(action.get("failCount") or 0), \
                int(action.get("skipCount") or 0)
    return None
