"""The ``old new ref`` lines git feeds a post-receive hook, one per updated ref."""
from __future__ import annotations

import logging
import re
from typing import Iterable, NamedTuple

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
BRANCH_PREFIX = "refs/heads/"
TAG_PREFIX = "refs/tags/"


class RefUpdate(NamedTuple):
    """One ref moved by a push; an all-zero id means "did not exist" (created or deleted)."""

    old: str
    new: str
    ref: str

    @property
    def created(self) -> bool:
        return _is_null(self.old)

    @property
    def deleted(self) -> bool:
        return _is_null(self.new)

    @property
    def kind(self) -> str:
        """``branch``, ``tag`` or ``other`` (notes, pull refs, ... are not announced)."""
        if self.ref.startswith(BRANCH_PREFIX):
            return "branch"
        if self.ref.startswith(TAG_PREFIX):
            return "tag"
        return "other"

    @property
    def name(self) -> str:
        """The branch or tag name without its ``refs/...`` prefix."""
        for prefix in (BRANCH_PREFIX, TAG_PREFIX):
            if self.ref.startswith(prefix):
                return self.ref[len(prefix):]
        return self.ref


def parse_line(line: str) -> RefUpdate:
    """One ``old new ref`` line; ValueError says what is wrong with it."""
    parts = line.split()
    if len(parts) != 3 or not (_SHA.match(parts[0]) and _SHA.match(parts[1])):
        raise ValueError(f"expected 'OLD-SHA NEW-SHA REFNAME', got {line.strip()!r}")
    return RefUpdate(*parts)


def parse_updates(lines: Iterable[str], log: logging.Logger) -> list[RefUpdate]:
    """Every well-formed line; a malformed one is reported and skipped, not fatal to the rest."""
    updates = []
    for line in lines:
        if not line.strip():
            continue
        try:
            updates.append(parse_line(line))
        except ValueError as exc:
            log.warning("ignoring a line of input: %s", exc)
    return updates


def _is_null(sha: str) -> bool:
    return set(sha) == {"0"}
