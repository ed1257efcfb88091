"""``wyzepal-git-post-receive``: the post-receive hook itself.

git runs it after a push has updated the refs, with ``OLD NEW REFNAME`` lines on
stdin, in the repository (``$GIT_DIR``). Whatever happens here, the push is
already done: the hook queues its notices in the repository's outbox and exits 0.

Settings come from the config file and then the repository's ``wyzepal.*`` git
config keys (``gitconfig``), so one hook serves many repositories. The notices
of one push bound for one channel and topic leave as one digest (``digest``).
A push costs two git processes (``git config``, then one ``git log`` per ref);
only a force push walks every ref (``repository``).
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Iterable, Mapping, NamedTuple, Optional, Sequence

from wyzepal_notifier import Configuration, Integration, Message
from wyzepal_notifier.config import COMMON_FIELDS
from wyzepal_notifier.errors import WyzePalError
from wyzepal_notifier.scripthook import ScriptHook, script_folder

from .digest import DigestOutbox
from .events import Needs, build_events
from .gitconfig import config_file, settings_from_git
from .integration import GitIntegration
from .paths import PathFilter
from .refs import RefUpdate, parse_updates
from .render import render
from .repository import GitRepository, pusher_from_environment

OUTBOX_NAME = "wyzepal-outbox.sqlite3"


class Push(NamedTuple):
    updates: list[RefUpdate]
    repo: GitRepository


class GitPostReceive(ScriptHook):
    integration = GitIntegration
    prog = "wyzepal-git-post-receive"
    summary = ("git post-receive hook: reads 'OLD NEW REFNAME' lines on stdin and announces the push "
               "in WyzePal. Install it as hooks/post-receive.")

    def read_input(self, args: argparse.Namespace) -> Push:
        if sys.stdin.isatty():
            raise WyzePalError("expected 'OLD NEW REFNAME' lines on stdin, as git gives a post-receive hook")
        updates = parse_updates(sys.stdin.read().splitlines(), self.log)
        return Push(updates, GitRepository.discover())

    def config_folders(self, args: argparse.Namespace, data: Push) -> list:
        return [script_folder(), data.repo.git_dir / "hooks"]

    def setting_defaults(self, args: argparse.Namespace, data: Push) -> dict[str, Any]:
        # Beside the refs: writable by whoever can push, and independent of HOME.
        return {"OUTBOX_PATH": str(data.repo.git_dir / OUTBOX_NAME)}

    def setting_overrides(self, args: argparse.Namespace, data: Push) -> dict[str, Any]:
        """The repository's ``wyzepal.*`` git config keys beat the shared file."""
        return settings_from_git(data.repo.config(), [*COMMON_FIELDS, *GitIntegration.settings_fields])

    def load(self, args: argparse.Namespace, data: Push) -> Integration:
        """As every hook loads, then ``wyzepal.config`` names the file and the digest collects the notices."""
        if not args.config and not os.environ.get("WYZEPAL_GIT_CONFIG"):
            args.config = config_file(data.repo.config(), data.repo.git_dir)
        loaded = super().load(args, data)
        digest = DigestOutbox(loaded.outbox, loaded.settings["MAX_MESSAGE_LENGTH"])
        return type(loaded).contained(loaded.settings, outbox=digest)

    def events(self, integration: Integration, args: argparse.Namespace, data: Push) -> Iterable[Mapping[str, Any]]:
        name = integration.settings.get("REPOSITORY_NAME") or data.repo.default_name()
        confs = integration.configurations
        needs = Needs(files=any(conf["DIFFSTAT"] or PathFilter.of(conf).active for conf in confs),
                      shortlog=any(conf["TAG_SHORTLOG"] for conf in confs),
                      limit=max((conf["MAX_COMMITS"] for conf in confs), default=0))
        return build_events(data.repo, data.updates, repository=name, pusher=pusher_from_environment(),
                            needs=needs, log=self.log)

    def render(self, conf: Configuration, event: Mapping[str, Any]) -> Optional[Message]:
        return render(conf, event)

    def destination_arguments(self, event: Mapping[str, Any]) -> Sequence[Any]:
        # As the classic hook: (repository name, branch name or full tag ref, new commit id).
        return (event["repository"], event.get("branch") or event["ref"], event["new"])


def main(argv: Optional[Sequence[str]] = None) -> int:
    return GitPostReceive().main(argv)


if __name__ == "__main__":  # pragma: no cover
    GitPostReceive.program()
