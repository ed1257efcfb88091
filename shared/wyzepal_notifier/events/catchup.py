"""Messages missed while an event queue was gone, fetched with ``GET /messages``.

When the server forgets a queue (``BAD_EVENT_QUEUE_ID``: idle too long, server
restarted) the client registers a new one. Messages sent in between reach
neither queue, so they are fetched from the last message id seen up to the new
queue's ``max_message_id`` and handed over as ordinary message events.
"""
from __future__ import annotations

from typing import Any, Iterator, Optional

from ..client import NO_RETRY, Client

PAGE_SIZE = 200


def message_narrow(narrow: Optional[list], all_public_streams: bool) -> list:
    """The ``GET /messages`` narrow that selects what the queue would have delivered."""
    terms = [list(term) if isinstance(term, (list, tuple)) else term for term in (narrow or [])]
    if all_public_streams:
        terms.append(["channels", "public"])
    return terms


def missed_messages(client: Client, after_id: int, up_to_id: Optional[int],
                    narrow: list) -> Iterator[dict[str, Any]]:
    """Messages with ``after_id < id <= up_to_id`` (no upper bound when None), oldest first."""
    anchor = after_id
    while True:
        params = {"anchor": anchor, "include_anchor": False, "num_before": 0, "num_after": PAGE_SIZE,
                  "narrow": narrow, "apply_markdown": False}
        answer = client.call("GET", "messages", params, retry=NO_RETRY)  # the event stream retries
        messages = sorted(answer.get("messages", []), key=lambda m: m["id"])
        for message in messages:
            if message["id"] <= anchor:
                continue
            if up_to_id is not None and message["id"] > up_to_id:
                return
            yield message
        if not messages or answer.get("found_newest", len(messages) < PAGE_SIZE):
            return
        anchor = messages[-1]["id"]


def as_event(message: dict[str, Any]) -> dict[str, Any]:
    """A fetched message in the shape of a ``message`` event (``caught_up`` tells them apart)."""
    return {"type": "message", "message": message, "flags": list(message.get("flags", [])), "caught_up": True}


def reaction_events(message: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The reactions a fetched message carries, as ``reaction`` ``add`` events (``caught_up``)."""
    for reaction in message.get("reactions") or []:
        user = reaction.get("user") or {}
        user_id = reaction.get("user_id", user.get("id", user.get("user_id")))
        yield {"type": "reaction", "op": "add", "message_id": message["id"],
               "emoji_name": reaction.get("emoji_name", ""), "emoji_code": reaction.get("emoji_code", ""),
               "reaction_type": reaction.get("reaction_type", "unicode_emoji"), "user_id": user_id,
               "user": {"user_id": user_id, "email": user.get("email", ""), "full_name": user.get("full_name", "")},
               "caught_up": True}


def reaction_key(event: dict[str, Any]) -> tuple:
    """What makes two reaction events the same reaction: message, person, emoji."""
    user = event.get("user") or {}
    return (event.get("message_id"), event.get("user_id", user.get("user_id")), event.get("emoji_code"),
            event.get("reaction_type", "unicode_emoji"))
