"""The build's status reaction on the git hook's push message (PUSH_ANNOUNCEMENTS).

The git hook links each commit with its full hash (``COMMIT_URL`` with
``{sha}``), so the push message of a build's commit is the bot's recent message
in the push topic that carries that hash: found by the library's look-back,
matched client-side, whatever the server's search does. Asked first
(:func:`~wyzepal_notifier.outbox.operations.find_message`) so a build of a commit
nobody announced costs one look-back and leaves nothing dead in the spool.
The look-back reads the bot's own messages: the git hook must post as the same bot.
"""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Mapping, Optional

from wyzepal_notifier import WyzePalError
from wyzepal_notifier.outbox import Locate

from .api.client import display_name
from .build.model import Build
from .living import IN_PROGRESS, status_emoji

if TYPE_CHECKING:
    from .living import LivingMessages

log = logging.getLogger("wyzepal_notifier.jenkins")
FULL_HASH = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")
#: Placeholders PUSH_ANNOUNCEMENTS' topic may use.
PUSH_TOPIC_FIELDS = ("branch", "job")


def push_place(settings: Mapping[str, Any], build: Build) -> Optional[Locate]:
    """Where the git hook announced the build's commit, or None (not configured, no full hash, no branch)."""
    where = settings.get("PUSH_ANNOUNCEMENTS")
    commit = (build.commit or "").lower()
    if not where or not FULL_HASH.match(commit):
        return None
    values = {"branch": build.branch or "", "job": display_name(build.job)}
    name = str(where.get("topic") or "{branch}").format_map(values).strip()
    return Locate(str(where["stream"]), name, commit) if name else None


def push_handle(place: Locate) -> str:
    return f"git:commit:{place.stream}>{place.topic}:{place.text}"


def react_on_push(living: LivingMessages, settings: Mapping[str, Any], build: Build) -> bool:
    """Swap the push message's status reaction to the build's; False when there is no such message."""
    place = push_place(settings, build)
    if place is None:
        return False
    outbox, handle = living.integration.outbox, push_handle(place)
    if outbox.handle_state(handle) is None:
        from wyzepal_notifier.outbox.operations import find_message

        try:
            if find_message(living.client(), place) is None:
                log.info("%s #%d: no push message of %s in #%s > %s", build.job, build.number, place.text[:12],
                         place.stream, place.topic)
                return False
        except WyzePalError as exc:  # queued anyway: the courier looks again once the server answers
            log.info("%s #%d: the push message could not be looked for now (%s)", build.job, build.number, exc)
    if build.result is not None:
        outbox.remove_reaction(handle, IN_PROGRESS, locate=place)
    outbox.add_reaction(handle, status_emoji(build), locate=place)
    return True
