"""Changeset events: a commit reached a repository Trac knows."""
from __future__ import annotations

from typing import Any

from .common import base_event, text


def added(env: Any, repos: Any, changeset: Any) -> dict[str, Any]:
    event = base_event(env, "changeset", "changeset_added", changeset.author)
    event.update(
        repository=text(repos.reponame) or "(default)",
        repository_path=text(repos.reponame),
        repository_type=repository_type(repos),
        rev=text(changeset.rev),
        display_rev=text(_display_rev(repos, changeset.rev)),
        message=text(changeset.message).strip(),
    )
    return event


#: Backends whose revisions are numbers, written ``r42`` (Trac's own convention for Subversion).
NUMBERED = ("svn", "direct-svnfs", "svnfs")


def repository_type(repos: Any) -> str:
    """The repository's type (``git``, ``svn``), so a git hash that happens to be digits is never ``r1856524``.

    Trac passes the ``type`` of ``[repositories]`` in the repository's params;
    when that is left to the default, the backend class says it (a cached
    Subversion repository wraps the real one in ``repos.repos``).
    """
    params = getattr(repos, "params", None) or {}
    kind = params.get("type") if isinstance(params, dict) else None
    if kind:
        return str(kind)
    backend = type(getattr(repos, "repos", repos)).__name__.lower()
    for word, kind in (("subversion", "svn"), ("svn", "svn"), ("git", "git"), ("mercurial", "hg"), ("hg", "hg")):
        if word in backend:
            return kind
    return ""


def _display_rev(repos: Any, rev: Any) -> Any:
    try:
        return repos.display_rev(rev)
    except Exception:  # some backends cannot shorten every revision
        return rev
