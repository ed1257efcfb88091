"""From ref updates to neutral events, the dicts configurations' conditions match.

Every event has ``type``, ``repository``, ``ref``, ``old``, ``new`` and
``pusher`` (None when the server does not say); branch events add ``branch``,
tag events ``tag``. Types: ``push``, ``force_push``, ``branch_created``,
``branch_deleted``, ``tag_created``, ``tag_moved``, ``tag_deleted``.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Iterator, Optional

from wyzepal_notifier.errors import WyzePalError

from .refs import RefUpdate
from .repository import CommitRange, GitRepository

Event = dict[str, Any]


def build_events(repo: GitRepository, updates: Iterable[RefUpdate], *, repository: str,
                 pusher: Optional[str], limit: int, log: logging.Logger) -> Iterator[Event]:
    """One event per announced ref; a ref git cannot describe is reported and skipped."""
    updates = list(updates)
    known = KnownTips(repo, updates)
    for update in updates:
        base: Event = {"repository": repository, "ref": update.ref, "old": update.old, "new": update.new,
                       "pusher": pusher}
        try:
            if update.kind == "branch":
                yield {**base, "branch": update.name, **branch_change(repo, update, limit, known)}
            elif update.kind == "tag":
                yield {**base, "tag": update.name, **tag_change(repo, update)}
            else:
                log.info("not announcing %s (neither a branch nor a tag)", update.ref)
        except WyzePalError as exc:
            log.error("cannot describe the update of %s: %s", update.ref, exc)
        if update.kind == "branch" and not update.deleted:
            known.announced.append(update.new)


class KnownTips:
    """Branch tips whose commits a new branch does not list again.

    Those are every branch as it was before the push (the old tips of the pushed
    ones too) and the branches announced earlier in this push, so a push of two
    new branches lists each new commit once, never none.
    """

    def __init__(self, repo: GitRepository, updates: list[RefUpdate]) -> None:
        self.repo = repo
        self.updates = updates
        self.announced: list[str] = []
        self._before: Optional[list[str]] = None

    def before_push(self) -> list[str]:
        if self._before is None:  # asked only when a branch is created
            pushed = {u.ref for u in self.updates}
            untouched = [sha for ref, sha in self.repo.branches().items() if ref not in pushed]
            self._before = untouched + [u.old for u in self.updates if u.kind == "branch" and not u.created]
        return self._before

    def all(self) -> list[str]:
        return self.before_push() + self.announced


def branch_change(repo: GitRepository, update: RefUpdate, limit: int, known: KnownTips) -> Event:
    if update.deleted:
        return {"type": "branch_deleted"}
    if update.created:
        # Only what no branch had: a new branch off main is not main's whole history.
        return {"type": "branch_created", **_commits(repo.commit_range(update.new, known.all(), limit))}
    removed = repo.count(update.old, f"^{update.new}")
    added = repo.commit_range(update.new, [update.old], limit)
    if removed:
        return {"type": "force_push", "removed_count": removed, **_commits(added)}
    return {"type": "push", **_commits(added)}


def tag_change(repo: GitRepository, update: RefUpdate) -> Event:
    # "It was at" means a commit to people, not the annotated tag's own object.
    if update.deleted:
        return {"type": "tag_deleted", "old_commit": repo.peel(update.old)}
    info = repo.tag(update.ref)
    change = {"type": "tag_created", "commit": info.commit, "tag_title": info.title}
    if not update.created:
        change.update(type="tag_moved", old_commit=repo.peel(update.old))
    return change


def _commits(found: CommitRange) -> Event:
    return {"commits": list(found.commits), "commit_count": found.total}
