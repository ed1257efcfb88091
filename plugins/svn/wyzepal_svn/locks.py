"""``wyzepal-svn-post-lock REPOS USER`` and ``wyzepal-svn-post-unlock REPOS USER``.

Subversion runs them after paths were locked or unlocked, with the locked paths
on stdin, one per line (``/trunk/a.txt``). The lock's comment comes from
``svnlook lock``; post-lock runs after the fact, so a lock already released has
none. Notices go to the ``locks`` topic (``LOCK_TOPIC``) and are routed by the
same ``path`` and ``author`` conditions as revisions; ``PATHS``/``EXCLUDE_PATHS``
leave hidden paths out (a lock of hidden paths only sends that destination nothing).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

from wyzepal_notifier import Integration
from wyzepal_notifier.errors import WyzePalError
from wyzepal_notifier.scripthook.paths import PathRules

from .events import lock_event
from .hook import SvnHook
from .svnlook import Lock


class _LockHook(SvnHook):
    kind = "lock"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("user", metavar="USER", help=f"who {self.kind}ed the paths (the hook's $2)")

    def read_input(self, args: argparse.Namespace) -> tuple[Path, list[str]]:
        if sys.stdin is None or sys.stdin.isatty():
            raise WyzePalError(f"expected the {self.kind}ed paths on stdin, one per line, as Subversion gives them")
        paths = ["/" + line.strip().lstrip("/") for line in sys.stdin.read().splitlines() if line.strip()]
        return super().read_input(args), paths

    def config_folders(self, args: argparse.Namespace, data: tuple[Path, list[str]]) -> list:
        return super().config_folders(args, data[0])

    def setting_defaults(self, args: argparse.Namespace, data: tuple[Path, list[str]]) -> dict[str, Any]:
        return super().setting_defaults(args, data[0])

    def events(self, integration: Integration, args: argparse.Namespace,
               data: tuple[Path, list[str]]) -> Iterable[Mapping[str, Any]]:
        repos, paths = data
        if not paths:
            return []
        return [lock_event(self.kind, self.locks(integration, repos, paths), user=args.user,
                           repository=self.name(integration, repos), repository_path=str(repos))]

    def locks(self, integration: Integration, repos: Path, paths: list[str]) -> list[Lock]:
        return [Lock(path, "", "") for path in paths]


class SvnPostLock(_LockHook):
    prog = "wyzepal-svn-post-lock"
    summary = ('Subversion post-lock hook: announces the paths USER locked in REPOS (read from stdin). Call it '
               'from hooks/post-lock as: wyzepal-svn-post-lock "$REPOS" "$USER"')
    kind = "lock"

    def locks(self, integration: Integration, repos: Path, paths: list[str]) -> list[Lock]:
        """Each lock's comment, for the paths some notice lists (one svnlook each: up to MAX_PATHS shown paths)."""
        listed: set[str] = set()
        for conf in integration.configurations:
            rules = PathRules.of(conf)
            listed.update([path for path in paths if rules.shows_path(path)][: conf["MAX_PATHS"]])
        look = self.svnlook(integration, repos) if listed else None
        return [(look.lock(path) if look and path in listed else None) or Lock(path, "", "") for path in paths]


class SvnPostUnlock(_LockHook):
    prog = "wyzepal-svn-post-unlock"
    summary = ('Subversion post-unlock hook: announces the paths USER unlocked in REPOS (read from stdin). Call '
               'it from hooks/post-unlock as: wyzepal-svn-post-unlock "$REPOS" "$USER"')
    kind = "unlock"


def main_lock(argv: Optional[Sequence[str]] = None) -> int:
    return SvnPostLock().main(argv)


def main_unlock(argv: Optional[Sequence[str]] = None) -> int:
    return SvnPostUnlock().main(argv)
