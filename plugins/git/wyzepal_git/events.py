"""From ref updates to neutral events, the dicts configurations' conditions match.

Every event has ``type``, ``repository``, ``ref``, ``old``, ``new`` and
``pusher`` (None when the server does not say); branch events add ``branch``,
tag events ``tag``. Types: ``push``, ``force_push``, ``branch_created``,
``branch_deleted``, ``tag_created``, ``tag_moved``, ``tag_deleted``.

Branch events carry every added commit (``commits``, oldest first): each
configuration filters them (merges, paths) before it lists and counts. A force
push also carries the commits the branch lost (``removed``) and which of them no
ref reaches any more (``discarded``; the others are only omitted from this
branch). An annotated tag carries its message and the commits since the
previous annotated tag (``shortlog``, ``shortlog_count``, ``previous_tag``).
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Iterator, NamedTuple, Optional

from wyzepal_notifier.errors import WyzePalError

from .refs import RefUpdate
from .repository import GitRepository, TagInfo

Event = dict[str, Any]


class Needs(NamedTuple):
    """What the configurations will show, so git is asked for no more than that."""

    files: bool = False
    shortlog: bool = False
    limit: int = 20


def build_events(repo: GitRepository, updates: Iterable[RefUpdate], *, repository: str,
                 pusher: Optional[str], needs: Needs, log: logging.Logger) -> Iterator[Event]:
    """One event per announced ref; a ref git cannot describe is reported and skipped."""
    updates = list(updates)
    known = KnownTips(repo, updates)
    tags = _tag_infos(repo, updates, log)
    for update in updates:
        base: Event = {"repository": repository, "ref": update.ref, "old": update.old, "new": update.new,
                       "pusher": pusher}
        try:
            if update.kind == "branch":
                yield {**base, "branch": update.name, **branch_change(repo, update, needs, known)}
            elif update.kind == "tag":
                yield {**base, "tag": update.name, **tag_change(repo, update, tags.get(update.ref), needs)}
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


def branch_change(repo: GitRepository, update: RefUpdate, needs: Needs, known: KnownTips) -> Event:
    if update.deleted:
        return {"type": "branch_deleted"}
    if update.created:
        # Only what no branch had: a new branch off main is not main's whole history.
        found = repo.commit_range(update.new, known.all(), files=needs.files)
        return {"type": "branch_created", "commits": list(found.commits)}
    change = repo.ref_change(update.old, update.new, files=needs.files)
    if not change.removed:
        return {"type": "push", "commits": list(change.added)}
    # Only now are all refs walked: commits no ref reaches are gone, the others live on elsewhere.
    return {"type": "force_push", "commits": list(change.added), "removed": list(change.removed),
            "discarded": repo.discarded(update.old)}


def tag_change(repo: GitRepository, update: RefUpdate, info: Optional[TagInfo], needs: Needs) -> Event:
    # "It was at" means a commit to people, not the annotated tag's own object.
    if update.deleted:
        return {"type": "tag_deleted", "old_commit": repo.peel(update.old)}
    info = info or repo.tag(update.ref)
    change: Event = {"type": "tag_created", "commit": info.commit, "tag_title": info.title,
                     "tag_message": info.message}
    if info.annotated and needs.shortlog:
        change.update(shortlog_of(repo, info.commit, needs))
    if not update.created:
        change.update(type="tag_moved", old_commit=repo.peel(update.old))
    return change


def shortlog_of(repo: GitRepository, commit: str, needs: Needs) -> Event:
    """The commits since the previous annotated tag (all of them when there is none)."""
    previous = repo.previous_tag(commit)
    since = f"refs/tags/{previous}" if previous else None  # never a branch of the same name
    if needs.files:  # path conditions count what they show: the whole range is needed
        found = repo.commit_range(commit, [since] if since else [], files=True).commits
        shown, total = found, len(found)
    else:
        shown, total = repo.first_commits(commit, since, needs.limit)
    return {"previous_tag": previous, "shortlog": list(shown), "shortlog_count": total}


def _tag_infos(repo: GitRepository, updates: list[RefUpdate], log: logging.Logger) -> dict[str, TagInfo]:
    """Every pushed tag in one ``git for-each-ref`` (a ``push --tags`` of hundreds stays one process)."""
    refs = [u.ref for u in updates if u.kind == "tag" and not u.deleted]
    try:
        return repo.tags(refs)
    except WyzePalError as exc:
        log.error("cannot read the pushed tags: %s", exc)
        return {}
