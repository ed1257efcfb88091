"""Changeset events: a commit reached a repository Trac knows."""
from __future__ import annotations

from typing import Any

from .common import base_event, text


def added(env: Any, repos: Any, changeset: Any) -> dict[str, Any]:
    event = base_event(env, "changeset", "changeset_added", changeset.author)
    event.update(
        repository=text(repos.reponame) or "(default)",
        repository_path=text(repos.reponame),
        rev=text(changeset.rev),
        display_rev=text(_display_rev(repos, changeset.rev)),
        message=text(changeset.message).strip(),
    )
    return event


def _display_rev(repos: Any, rev: Any) -> Any:
    try:
        return repos.display_rev(rev)
    except Exception:  # some backends cannot shorten every revision
        return rev
