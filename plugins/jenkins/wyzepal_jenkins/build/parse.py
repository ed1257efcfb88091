"""Read Jenkins' build JSON (``/job/<j>/<n>/api/json``) into a :class:`Build`.

Freestyle builds carry ``changeSet``, pipelines ``changeSets``; causes, git data
and test counts sit in ``actions``, many of which are empty ``{}``.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Mapping, Optional

from .model import Build, Change, Person

_USER_URL = re.compile(r"/user/([^/]+)/?$")


def parse_build(job: str, data: Mapping[str, Any]) -> Build:
    branch, commit = git_revision(data)
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
        changes=list(changes(data)),
        changes_known=True,
        culprits=[person(entry) for entry in data.get("culprits") or []],
        parameters=parameters(data),
    )


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


def git_revision(data: Mapping[str, Any]) -> tuple[Optional[str], Optional[str]]:
    """Branch and commit from the git plugin's ``BuildData`` action."""
    for action in _actions(data):
        revision = action.get("lastBuiltRevision")
        if not isinstance(revision, Mapping):
            continue
        branches = revision.get("branch") or []
        name = branches[0].get("name") if branches else None
        return short_branch(name), revision.get("SHA1")
    return None, None


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
    for change_set in sets:
        for item in change_set.get("items") or []:
            author = item.get("author") or {}
            who = person(author)
            email = item.get("authorEmail") or ""
            title = item.get("msg") or (item.get("comment") or "").strip().split("\n", 1)[0]
            yield Change(commit=str(item.get("commitId") or item.get("id") or ""), title=title,
                         author=Person(who.name, who.id, email))


def person(entry: Mapping[str, Any]) -> Person:
    match = _USER_URL.search(entry.get("absoluteUrl") or "")
    return Person(name=entry.get("fullName") or (match.group(1) if match else "unknown"),
                  id=match.group(1) if match else "")


def parameters(data: Mapping[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for action in _actions(data):
        for parameter in action.get("parameters") or []:
            if "name" in parameter:
                values[str(parameter["name"])] = str(parameter.get("value"))
    return values


def test_counts(data: Mapping[str, Any]) -> Optional[tuple[int, int, int]]:
    """(total, failed, skipped) from the ``TestResultAction``, or None when no tests ran."""
    for action in _actions(data):
        if action.get("urlName") == "testReport" or "totalCount" in action:
            return int(action.get("totalCount") or 0), int(action.get("failCount") or 0), \
                int(action.get("skipCount") or 0)
    return None
