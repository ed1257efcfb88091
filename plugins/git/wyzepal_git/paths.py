"""Which commits a configuration may show, by the files they touch (``PATHS``, ``EXCLUDE_PATHS``).

The matching itself (globs, folder names, include and exclude) is the library's
``wyzepal_notifier.scripthook.paths``, shared with the Subversion hooks; this
adds what a git commit needs. A commit is shown when it touches a file the
rules show: a commit touching only excluded files is not listed, nor counted,
and the diffstat of one that also touches shown files lists only those. So a
channel never learns that a secret folder changed.
"""
from __future__ import annotations

from wyzepal_notifier.scripthook.paths import PathRules

from .repository import Commit, FileChange


class PathFilter(PathRules):
    """One configuration's ``PATHS`` and ``EXCLUDE_PATHS``, applied to commits."""

    def files(self, commit: Commit) -> tuple[FileChange, ...]:
        """The files of ``commit`` this configuration may name."""
        return tuple(f for f in commit.files or () if self.shows_path(f.path))

    def shows(self, commit: Commit) -> bool:
        """Whether the commit appears at all; an empty one (a merge without changes of its own) only without PATHS."""
        return self.shows_any(f.path for f in commit.files or ())
