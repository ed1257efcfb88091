"""From what a Subversion hook is told to the neutral events configurations' conditions match.

A revision (``post-commit``): ``type`` (``commit``), ``repository`` (its name),
``repository_path``, ``revision``, ``author``, ``log``, ``changes`` and ``path``.
``path`` lists every changed path and every folder above one, so
``{"path": "/trunk/web"}`` matches any change under ``/trunk/web`` and globs
such as ``"/trunk/*/docs/*"`` work too. ``diffstat`` maps a changed file to its
lines added and removed when a configuration shows them.

A lock (``post-lock``, ``post-unlock``): ``type`` ``lock``/``unlock``,
``author`` (who locked or unlocked), ``locks`` and ``path`` as above. A revision
property change (``post-revprop-change``) is the revision's own event (so it is
routed as the revision was) with ``type`` ``revprop_change``, ``property``,
``action`` (``A``, ``M``, ``D``), ``changed_by``, ``old_value`` and ``new_value``.
"""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, Iterable, Optional

from .svnlook import Change, FileStat, Lock, Revision


def build_event(revision: Revision, *, repository: str, repository_path: str,
                diffstat: Optional[dict[str, FileStat]] = None, uuid: str = "") -> dict[str, Any]:
    return {
        "type": "commit",
        "repository": repository,
        "repository_path": repository_path,
        "uuid": uuid,
        "revision": revision.number,
        "author": revision.author,
        "log": revision.log,
        "changes": list(revision.changes),
        "path": touched_paths(revision.changes),
        "diffstat": diffstat,
    }


def lock_event(kind: str, locks: list[Lock], *, user: str, repository: str, repository_path: str) -> dict[str, Any]:
    return {
        "type": kind,
        "repository": repository,
        "repository_path": repository_path,
        "author": user,
        "locks": locks,
        "path": touched_paths(Change("L", lock.path) for lock in locks),
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
