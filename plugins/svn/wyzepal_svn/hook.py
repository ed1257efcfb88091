"""``wyzepal-svn-post-commit REPOS REV``: the post-commit hook itself.

Subversion runs ``hooks/post-commit`` with the repository's path and the new
revision, an empty environment (no HOME, no PATH) and shows its stderr to the
committer only when it exits non-zero. So config and spool are found from
REPOS, svnlook from the usual system folders, and a problem that stops the
notice exits 1 so the committer sees why (the commit itself is already done).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

from wyzepal_notifier import Configuration, Integration, Message
from wyzepal_notifier.scripthook import ScriptHook, script_folder

from .events import build_event
from .integration import SvnIntegration
from .render import render
from .svnlook import Svnlook

OUTBOX_NAME = "wyzepal-outbox.sqlite3"


class SvnPostCommit(ScriptHook):
    integration = SvnIntegration
    prog = "wyzepal-svn-post-commit"
    summary = 'Subversion post-commit hook: announces revision REV of REPOS in WyzePal. Call it from ' \
              'hooks/post-commit as: wyzepal-svn-post-commit "$REPOS" "$REV"'
    failure_status = 1

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("repos", metavar="REPOS", help="the repository's path (post-commit's $1)")
        parser.add_argument("rev", metavar="REV", type=int, help="the new revision (post-commit's $2)")

    def read_input(self, args: argparse.Namespace) -> Path:
        return Path(os.path.abspath(args.repos))

    def config_folders(self, args: argparse.Namespace, repos: Path) -> list:
        return [script_folder(), repos / "hooks"]

    def setting_defaults(self, args: argparse.Namespace, repos: Path) -> dict[str, Any]:
        return {"OUTBOX_PATH": str(repos / OUTBOX_NAME)}

    def events(self, integration: Integration, args: argparse.Namespace, repos: Path) -> Iterable[Mapping[str, Any]]:
        revision = Svnlook(str(repos), integration.settings.get("SVNLOOK_PATH")).revision(args.rev)
        name = integration.settings.get("REPOSITORY_NAME") or repos.name
        return [build_event(revision, repository=name, repository_path=str(repos))]

    def render(self, conf: Configuration, event: Mapping[str, Any]) -> Optional[Message]:
        return render(conf, event)

    def destination_arguments(self, event: Mapping[str, Any]) -> Sequence[Any]:
        # As the classic hook: (the repository's path, the revision as text).
        return (event["repository_path"], str(event["revision"]))


def main(argv: Optional[Sequence[str]] = None) -> int:
    return SvnPostCommit().main(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
