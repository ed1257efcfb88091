"""Typed views of the events a bot acts on besides messages: reactions and message updates.

The event stream hands every event over as the server's dict; these read the two
kinds whose shape is easy to get wrong (``orig_subject`` vs ``subject``, who the
``user_id`` of an edit is, what "resolved" looks like)::

    for event in EventStream(client, ["message", "reaction", "update_message"]):
        reaction = Reaction.from_event(event)        # None unless a reaction event
        update = MessageUpdate.from_event(event)     # None unless an update_message event

Shapes, as the Zulip API sends them (``GET /events``):

- ``reaction``: ``op`` ``add``/``remove``, ``message_id``, ``emoji_name``, ``emoji_code``,
  ``reaction_type`` (``unicode_emoji``, ``realm_emoji``, ``zulip_extra_emoji``), ``user_id``
  (who reacted) and ``user`` (``{user_id, email, full_name}``, deprecated);
- ``update_message``: ``message_id`` and ``message_ids`` (every message moved), ``user_id``
  (who edited; null for a server-side rendering update, ``rendering_only``), and when
  the content changed ``content``/``orig_content``; when moved, ``stream_id`` (before),
  ``new_stream_id`` (another channel), ``orig_subject`` (before), ``subject`` (after),
  ``propagate_mode``. A topic is resolved by moving it to ``"✔ " + topic``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

#: The prefix Zulip puts in front of a resolved topic's name.
RESOLVED_PREFIX = "✔ "


def is_resolved(topic: Optional[str]) -> bool:
    return bool(topic) and str(topic).startswith(RESOLVED_PREFIX)


def unresolved_name(topic: str) -> str:
    """The topic's name without the resolved mark (as Zulip strips it: the prefix, then spaces)."""
    return topic[len(RESOLVED_PREFIX):].lstrip() if is_resolved(topic) else topic


@dataclass(frozen=True)
class Reaction:
    """A ``reaction`` event: someone added or removed an emoji on a message."""

    op: str
    message_id: int
    emoji_name: str
    emoji_code: str
    reaction_type: str
    user_id: Optional[int]
    email: str = ""
    full_name: str = ""
    #: True when made up from a message fetched after the event queue expired (see catch-up).
    caught_up: bool = False

    @property
    def added(self) -> bool:
        return self.op == "add"

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Optional[Reaction]:
        if event.get("type") != "reaction":
            return None
        user = event.get("user") if isinstance(event.get("user"), Mapping) else {}
        user_id = event.get("user_id", user.get("user_id"))
        return cls(str(event.get("op", "")), int(event["message_id"]), str(event.get("emoji_name", "")),
                   str(event.get("emoji_code", "")), str(event.get("reaction_type", "unicode_emoji")),
                   None if user_id is None else int(user_id), str(user.get("email", "")),
                   str(user.get("full_name", "")), bool(event.get("caught_up", False)))


@dataclass(frozen=True)
class MessageUpdate:
    """An ``update_message`` event: content edited and/or messages moved to another topic or channel."""

    message_id: int
    message_ids: tuple[int, ...]
    #: Who made the change; None for a rendering update by the server (link previews).
    user_id: Optional[int]
    rendering_only: bool = False
    content: Optional[str] = None
    orig_content: Optional[str] = None
    stream_id: Optional[int] = None
    new_stream_id: Optional[int] = None
    orig_topic: Optional[str] = None
    topic: Optional[str] = None
    propagate_mode: Optional[str] = None
    edit_timestamp: Optional[int] = None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Optional[MessageUpdate]:
        if event.get("type") != "update_message":
            return None
        message_id = int(event["message_id"])
        user_id = event.get("user_id")
        return cls(
            message_id=message_id,
            message_ids=tuple(int(i) for i in event.get("message_ids") or [message_id]),
            user_id=None if user_id is None else int(user_id),
            rendering_only=bool(event.get("rendering_only", user_id is None)),
            content=event.get("content"),
            orig_content=event.get("orig_content"),
            stream_id=_int_or_none(event.get("stream_id")),
            new_stream_id=_int_or_none(event.get("new_stream_id")),
            orig_topic=event.get("orig_subject"),
            topic=event.get("subject") if "orig_subject" in event else None,
            propagate_mode=event.get("propagate_mode"),
            edit_timestamp=_int_or_none(event.get("edit_timestamp")),
        )

    @property
    def content_changed(self) -> bool:
        return self.content is not None and not self.rendering_only

    @property
    def topic_changed(self) -> bool:
        """Moved to another topic (renamed, resolved or unresolved)."""
        return self.topic is not None and self.orig_topic is not None and self.topic != self.orig_topic

    @property
    def channel_changed(self) -> bool:
        return self.new_stream_id is not None and self.new_stream_id != self.stream_id

    @property
    def resolved(self) -> bool:
        """The topic was marked resolved: the same name with ``✔ `` in front."""
        return (self.topic_changed and is_resolved(self.topic) and not is_resolved(self.orig_topic)
                and unresolved_name(self.topic or "") == self.orig_topic)

    @property
    def unresolved(self) -> bool:
        return (self.topic_changed and is_resolved(self.orig_topic) and not is_resolved(self.topic)
                and unresolved_name(self.orig_topic or "") == self.topic)

    @property
    def renamed(self) -> bool:
        """Moved to a topic of another name (not only resolved or unresolved)."""
        return self.topic_changed and not (self.resolved or self.unresolved)


def _int_or_none(value: Any) -> Optional[int]:
    return None if value is None else int(value)
