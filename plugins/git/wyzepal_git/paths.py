"""Which commits a configuration may show, by the files they touch (``PATHS``, ``EXCLUDE_PATHS``).

A pattern is a glob on the path from the repository's root (``*`` also crosses
folders: ``*.md``, ``docs/*``), and a plain folder name stands for everything
under it (``secret`` is ``secret/...``). A commit is shown when it touches a
file ``PATHS`` takes (every file without ``PATHS``) that ``EXCLUDE_PATHS`` does
not: a commit touching only excluded files is not listed, nor counted, and the
diffstat of one that also touches shown files lists only those. So a channel
never learns that a secret folder changed.
"""
from __future__ import annotations

import fnmatch
from typing import Any, Mapping, Optional, Sequence

from .repository import Commit, FileChange


def path_matches(path: str, pattern: str) -> bool:
    pattern = pattern.strip().strip("/")
    if not pattern:
        return False
    return fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern + "/") \
        or fnmatch.fnmatchcase(path, pattern + "/*")


class PathFilter:
    """One configuration's ``PATHS`` and ``EXCLUDE_PATHS``."""

    def __init__(self, include: Optional[Sequence[str]], exclude: Optional[Sequence[str]]) -> None:
        self.include = list(include or [])
        self.exclude = list(exclude or [])

    @classmethod
    def of(cls, conf: Mapping[str, Any]) -> PathFilter:
        return cls(conf.get("PATHS"), conf.get("EXCLUDE_PATHS"))

    @property
    def active(self) -> bool:
        return bool(self.include or self.exclude)

    def shows_path(self, path: str) -> bool:
        if self.include and not any(path_matches(path, p) for p in self.include):
            return False
        return not any(path_matches(path, p) for p in self.exclude)

    def files(self, commit: Commit) -> tuple[FileChange, ...]:
        """The files of ``commit`` this configuration may name."""
        return tuple(f for f in commit.files or () if self.shows_path(f.path))

    def shows(self, commit: Commit) -> bool:
        if not self.active:
            return True
        if not commit.files:  # an empty commit (or a merge without changes of its own) touches nothing
            return not self.include
        return any(self.shows_path(f.path) for f in commit.files)
