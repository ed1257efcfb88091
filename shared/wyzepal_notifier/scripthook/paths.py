"""Which paths a destination may see: the ``PATHS`` and ``EXCLUDE_PATHS`` settings of a hook's configuration.

Written once for every version control hook (git, Subversion): each plugin
decides what a hidden path means for its own notices (a commit left out, a
diffstat line dropped), this module only says whether a path is shown.

A pattern is a glob on the path from the repository's root (``*`` also crosses
folders: ``*.md``, ``docs/*``), and a plain folder name stands for everything
under it (``secret`` is ``secret/...``). Slashes around a path or a pattern do
not count, so ``/trunk/secret`` and ``trunk/secret/`` mean ``trunk/secret``, and
Subversion's ``/trunk/a.txt`` is matched as ``trunk/a.txt``. A path is shown when
``PATHS`` takes it (every path without ``PATHS``) and ``EXCLUDE_PATHS`` does not.

Only ``fnmatch`` and ``typing`` are imported here: this runs on every hook run.
"""
from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Sequence, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Field

Rules = TypeVar("Rules", bound="PathRules")


def path_matches(path: str, pattern: str) -> bool:
    """Whether ``pattern`` (a glob, or a folder covering all under it) takes ``path``; an empty pattern takes none."""
    pattern = pattern.strip().strip("/")
    if not pattern:
        return False
    path = path.strip("/")
    return fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern + "/") \
        or fnmatch.fnmatchcase(path, pattern + "/*")


class PathRules:
    """One configuration's ``PATHS`` (include) and ``EXCLUDE_PATHS`` (exclude)."""

    def __init__(self, include: Optional[Sequence[str]] = None, exclude: Optional[Sequence[str]] = None) -> None:
        self.include = list(include or [])
        self.exclude = list(exclude or [])

    @classmethod
    def of(cls: type[Rules], conf: Mapping[str, Any]) -> Rules:
        """The rules a configuration (or the settings) sets; none set shows everything."""
        return cls(conf.get("PATHS"), conf.get("EXCLUDE_PATHS"))

    @property
    def active(self) -> bool:
        """False when nothing is filtered, so a plugin can skip reading paths it would not otherwise need."""
        return bool(self.include or self.exclude)

    def shows_path(self, path: str) -> bool:
        if self.include and not any(path_matches(path, p) for p in self.include):
            return False
        return not any(path_matches(path, p) for p in self.exclude)

    def shows_any(self, paths: Iterable[str]) -> bool:
        """Whether a change touching ``paths`` may appear at all: one shown path is enough.

        A change touching no path at all (an empty commit) is shown unless ``PATHS`` asks for some.
        """
        if not self.active:
            return True
        paths = list(paths)
        if not paths:
            return not self.include
        return any(self.shows_path(path) for path in paths)


def _globs(value: list) -> Optional[str]:
    bad = [item for item in value if not isinstance(item, str) or not item.strip().strip("/")]
    return f"has {bad[0]!r}, which is not a path pattern" if bad else None


def path_fields(what: str = "commits") -> list[Field]:
    """The ``PATHS`` and ``EXCLUDE_PATHS`` settings, declared once for every hook that has them."""
    from ..config import Field  # already loaded by the package; imported here to keep this module's imports light

    return [
        Field("PATHS", list, default=None, check=_globs,
              expects="a list of path globs from the repository's root, e.g. ['src/*', 'docs']",
              help=f"only {what} touching these paths are shown (and counted); other paths are not listed"),
        Field("EXCLUDE_PATHS", list, default=None, check=_globs,
              expects="a list of path globs from the repository's root, e.g. ['secret', '*.pem']",
              help=f"{what} touching only these paths are neither shown nor counted; lists and diffstats "
                   "leave them out"),
    ]
