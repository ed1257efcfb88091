"""``wyzepal-svn-post-revprop-change REPOS REV USER PROPNAME ACTION``: a revision property changed.

Subversion runs it after ``svn propset --revprop`` (allowed only where
``pre-revprop-change`` says so), with the old value on stdin. A new
``svn:log`` is not a new event: the revision's message is edited in place
(found by its handle, or by its revision marker in its topic when this spool
never saw it), or, where the server no longer allows the edit, the new
message follows in the same topic. Other properties (``svn:author``,
``svn:date``, custom ones) are one short notice in the revision's topic.
Either way the revision is routed as post-commit routed it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

from wyzepal_notifier import Integration
from wyzepal_notifier.errors import WyzePalError

from .hook import SvnHook, revision_handle
from .render import revision_marker

LOG = "svn:log"


class SvnPostRevpropChange(SvnHook):
    prog = "wyzepal-svn-post-revprop-change"
    summary = ('Subversion post-revprop-change hook: a changed svn:log edits the revision\'s message, other '
               'properties are announced. Call it from hooks/post-revprop-change as: '
               'wyzepal-svn-post-revprop-change "$REPOS" "$REV" "$USER" "$PROPNAME" "$ACTION"')

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("rev", metavar="REV", type=int, help="the revision whose property changed ($2)")
        parser.add_argument("user", metavar="USER", help="who changed it ($3)")
        parser.add_argument("propname", metavar="PROPNAME", help="the property, e.g. svn:log ($4)")
        parser.add_argument("action", metavar="ACTION", choices=["A", "M", "D"],
                            help="A (added), M (modified) or D (deleted) ($5)")

    def read_input(self, args: argparse.Namespace) -> tuple[Path, Optional[str]]:
        old = None if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
        return super().read_input(args), old

    def config_folders(self, args: argparse.Namespace, data: tuple[Path, Optional[str]]) -> list:
        return super().config_folders(args, data[0])

    def setting_defaults(self, args: argparse.Namespace, data: tuple[Path, Optional[str]]) -> dict[str, Any]:
        return super().setting_defaults(args, data[0])

    def events(self, integration: Integration, args: argparse.Namespace,
               data: tuple[Path, Optional[str]]) -> Iterable[Mapping[str, Any]]:
        repos, old = data
        # The revision is routed (and its paths filtered) as post-commit did; only a new log re-renders its diffstat.
        event = self.revision_event(integration, repos, args.rev, diffstat=args.propname == LOG)
        if args.propname == LOG:
            return [{**event, "log_edited_by": args.user or "(someone)"}]
        new = None if args.action == "D" else self.svnlook(integration, repos).revprop(args.rev, args.propname)
        return [{**event, "type": "revprop_change", "property": args.propname, "action": args.action,
                 "changed_by": args.user, "old_value": old, "new_value": new}]

    def deliver(self, integration: Integration, events: Iterable[Mapping[str, Any]]) -> None:
        """A log edit edits each destination's message; any other property is a new notice."""
        from wyzepal_notifier.outbox import Locate

        try:
            for event in events:
                for index, (conf, message) in enumerate(self.messages(integration, event)):
                    if event["type"] != "commit":
                        integration.send(message)
                        continue
                    locate = Locate(message.stream, message.topic, revision_marker(conf, event))
                    try:
                        integration.outbox.edit(revision_handle(event, index), message.content,
                                                fallback="follow_up", locate=locate)
                    except WyzePalError as exc:
                        self.log.error("the edit of r%s's message was not queued: %s", event["revision"], exc)
        finally:
            self.close_outbox(integration)


def main(argv: Optional[Sequence[str]] = None) -> int:
    return SvnPostRevpropChange().main(argv)


if __name__ == "__main__":  # pragma: no cover
    SvnPostRevpropChange.program()
