"""``wyzepal-svn-post-commit REPOS REV``: the post-commit hook itself, and what every svn hook shares.

Subversion runs ``hooks/post-commit`` with the repository's path and the new
revision, an empty environment (no HOME, no PATH) and shows its stderr to the
committer only when it exits non-zero. So config and spool are found from
REPOS, svnlook from the usual system folders, and a problem that stops the
notice exits 1 so the committer sees why (the commit itself is already done).

Each revision's message is queued under a handle, ``svn:<repository uuid>:r<rev>``
(the second and later destinations add ``:2``, ``:3``, ...), so that
``post-revprop-change`` can later edit it when the log message changes.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence

from wyzepal_notifier import Configuration, Integration, Message
from wyzepal_notifier.errors import WyzePalError
from wyzepal_notifier.scripthook import ScriptHook, routed, script_folder

from .events import build_event
from .integration import SvnIntegration
from .render import render, visible_changes
from .svnlook import Svnlook

OUTBOX_NAME = "wyzepal-outbox.sqlite3"


class SvnHook(ScriptHook):
    """What every Subversion hook shares: REPOS first, config and spool in the repository."""

    integration = SvnIntegration
    failure_status = 1

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("repos", metavar="REPOS", help="the repository's path (the hook's $1)")

    def read_input(self, args: argparse.Namespace) -> Path:
        return Path(os.path.abspath(args.repos))

    def config_folders(self, args: argparse.Namespace, repos: Path) -> list:
        return [script_folder(), repos / "hooks"]

    def setting_defaults(self, args: argparse.Namespace, repos: Path) -> dict[str, Any]:
        return {"OUTBOX_PATH": str(repos / OUTBOX_NAME)}

    def render(self, conf: Configuration, event: Mapping[str, Any]) -> Optional[Message]:
        return render(conf, event)

    def destination_arguments(self, event: Mapping[str, Any]) -> Sequence[Any]:
        # As the classic hook: (the repository's path, the revision as text).
        return (event["repository_path"], str(event.get("revision", "")))

    def svnlook(self, integration: Integration, repos: Path) -> Svnlook:
        return Svnlook(str(repos), integration.settings.get("SVNLOOK_PATH"))

    def name(self, integration: Integration, repos: Path) -> str:
        return integration.settings.get("REPOSITORY_NAME") or repos.name

    def revision_event(self, integration: Integration, repos: Path, rev: int, *,
                       diffstat: bool = True) -> dict[str, Any]:
        """A revision as post-commit announces it (and post-revprop-change finds it again).

        ``svnlook diff`` (the slowest look) runs only when a configuration with DIFFSTAT may see the revision.
        """
        look = self.svnlook(integration, repos)
        revision = look.revision(rev)
        wanted = diffstat and any(conf["DIFFSTAT"] and visible_changes(conf, revision.changes) is not None
                                  for conf in integration.configurations)
        return build_event(revision, repository=self.name(integration, repos), repository_path=str(repos),
                           diffstat=look.diffstat(rev) if wanted else None, uuid=look.uuid())

    def messages(self, integration: Integration,
                 event: Mapping[str, Any]) -> Iterator[tuple[Configuration, Message]]:
        """One message per matching configuration, sent where its destination function says."""
        arguments = self.destination_arguments(event)
        for conf in integration.get_configs(event):
            try:
                message = self.render(conf, event)
            except Exception:  # a formatting bug must not cost the host its commit
                self.log.exception("could not format %s for %s", event.get("type", "event"), conf.description)
                continue
            if message is not None:
                message = routed(message, conf, lambda function: function(*arguments),
                                 source=integration.settings.path, log=self.log)
            if message is not None:
                yield conf, message


def revision_handle(event: Mapping[str, Any], index: int) -> str:
    """``svn:<uuid>:r<rev>`` for the revision's first message, ``...:2`` for its second destination, ..."""
    base = f"svn:{event['uuid']}:r{event['revision']}"
    return base if index == 0 else f"{base}:{index + 1}"


class SvnPostCommit(SvnHook):
    prog = "wyzepal-svn-post-commit"
    summary = 'Subversion post-commit hook: announces revision REV of REPOS in WyzePal. Call it from ' \
              'hooks/post-commit as: wyzepal-svn-post-commit "$REPOS" "$REV"'

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("rev", metavar="REV", type=int, help="the new revision (post-commit's $2)")

    def events(self, integration: Integration, args: argparse.Namespace, repos: Path) -> Iterable[Mapping[str, Any]]:
        return [self.revision_event(integration, repos, args.rev)]

    def deliver(self, integration: Integration, events: Iterable[Mapping[str, Any]]) -> None:
        """Each message under its revision's handle, so a later log edit can find it."""
        from wyzepal_notifier.outbox import HandleInUse

        try:
            for event in events:
                for index, (_, message) in enumerate(self.messages(integration, event)):
                    handle = revision_handle(event, index)
                    try:
                        integration.outbox.put(message, handle=handle)
                    except HandleInUse:  # the hook run again by hand for a revision already announced
                        self.log.warning("r%s was announced before (%s); sending it again without a handle",
                                         event["revision"], handle)
                        integration.send(message)
                    except WyzePalError as exc:
                        self.log.error("message to %s not queued: %s", message.stream, exc)
        finally:
            self.close_outbox(integration)


def main(argv: Optional[Sequence[str]] = None) -> int:
    return SvnPostCommit().main(argv)


if __name__ == "__main__":  # pragma: no cover
    SvnPostCommit.program()
