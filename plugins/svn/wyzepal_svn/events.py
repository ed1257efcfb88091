"""From a revision to the neutral event configurations' conditions match.

Keys: ``type`` (``commit``), ``repository`` (its name), ``repository_path``,
``revision``, ``author``, ``log``, ``changes`` and ``path``. ``path`` lists every
changed path and every folder above one, so ``{"path": "/trunk/web"}`` matches
any change under ``/trunk/web`` and globs such as ``"/trunk/*/docs/*"`` work too.
"""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, Iterable

from .svnlook import Change, Revision


def build_event(revision: Revision, *, repository: str, repository_path: str) -> dict[str, Any]:
    return {
        "type": "commit",
        "repository": repository,
        "repository_path": repository_path,
        "revision": revision.number,
        "author": revision.author,
        "log": revision.log,
        "changes": list(revision.changes),
        "path": touched_paths(revision.changes),
    }


def touched_paths(changes: Iterable[Change]) -> list[str]:
    """Each changed path without its trailing slash, and each folder above it, once."""
    seen: dict[str, None] = {}
    for change in changes:
        path = PurePosixPath(change.path.rstrip("/") or "/")
        for item in (path, *path.parents):
            if str(item) != "/":
                seen.setdefault(str(item), None)
    return list(seen)
