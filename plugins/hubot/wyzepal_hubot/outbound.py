"""What Hubot says, as WyzePal messages.

``send`` speaks in the room, ``reply`` mentions the person being answered (in a
channel; in a direct conversation everything is already said to them), ``emote``
is a ``/me`` message, and ``topic`` moves the conversation: channel rooms are a
channel *and* a topic, so setting the topic continues the talk under the new one,
with a link each way. Scripts often echo what people typed, so wildcard mentions
(``@**all**`` and friends) are made inert unless ALLOW_WILDCARD_MENTIONS is set.
``react``/``unreact`` are not messages: they become a :class:`ReactionChange`.

A room naming the empty topic (``stream:general topic:``) is answered there: the
topic is sent as the realm's name for it (``realm_empty_topic_display_name``, which
the server reads as the empty topic), or as ``TOPIC`` on servers without it (< 334).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Optional, Union

from wyzepal_notifier import Message
from wyzepal_notifier.formatting import channel_link, mention, neutralize_wildcard_mentions, plain
from wyzepal_notifier.message import MAX_CONTENT_LENGTH, MAX_TOPIC_LENGTH, shorten_content, shorten_topic

from .protocol import Person, Request
from .rooms import ChannelRoom, DirectRoom, Room, parse_room

log = logging.getLogger("wyzepal_hubot.outbound")


@dataclass(frozen=True)
class Defaults:
    """Where an answer goes when its room names no channel or topic, and the server's limits."""

    stream: str
    topic: str
    allow_wildcard_mentions: bool = False
    max_content: int = MAX_CONTENT_LENGTH
    max_topic: int = MAX_TOPIC_LENGTH
    #: What to send as the topic for the empty topic; None: the server has no empty topic.
    empty_topic: Optional[str] = "general chat"


@dataclass(frozen=True)
class ReactionChange:
    """Add (or remove) the bot's ``emoji`` on message ``message_id``."""

    message_id: int
    emoji: str
    add: bool = True


Work = Union[list[Message], ReactionChange]


def work_for(request: Request, defaults: Defaults) -> Work:
    """What one request asks the delivery worker to do."""
    if request.type in ("react", "unreact"):
        assert request.message_id is not None  # parse_request checked it
        return ReactionChange(request.message_id, emoji_name(request.text), add=request.type == "react")
    return messages_for(request, defaults)


def emoji_name(text: str) -> str:
    """``:thumbs_up:`` or ``thumbs_up`` (Slack-style colons are common in scripts) as WyzePal's name."""
    return text.strip().strip(":").strip()


def messages_for(request: Request, defaults: Defaults) -> list[Message]:
    """The messages one request becomes (topic changes are two); never raises for a bad room."""
    room = _destination(request, defaults)
    text = request.text if defaults.allow_wildcard_mentions else neutralize_wildcard_mentions(request.text)
    build = _BUILDERS[request.type]
    return [_fitted(message, defaults) for message in build(room, text, request.user, defaults)]


def _destination(request: Request, defaults: Defaults) -> Room:
    room = parse_room(request.room)
    if room is None and request.user is not None and request.user.email:
        return DirectRoom((request.user.email,))
    if room is None:
        log.info("an answer names no room; it goes to %s > %s", defaults.stream, defaults.topic)
        return ChannelRoom(defaults.stream, defaults.topic)
    if isinstance(room, ChannelRoom) and room.topic == "" and defaults.empty_topic:
        return ChannelRoom(room.stream, defaults.empty_topic)
    if isinstance(room, ChannelRoom) and not room.topic:
        return ChannelRoom(room.stream, defaults.topic)
    return room


def _to(room: Room, content: str) -> Message:
    if isinstance(room, DirectRoom):
        return Message.direct(room.emails, content)
    return Message.to_stream(room.stream, room.topic or "", content)


def _send(room: Room, text: str, user: Optional[Person], defaults: Defaults) -> list[Message]:
    return [_to(room, text)]


def _reply(room: Room, text: str, user: Optional[Person], defaults: Defaults) -> list[Message]:
    if isinstance(room, DirectRoom) or user is None or not user.name:
        return [_to(room, text)]
    user_id = int(user.id) if str(user.id).isdigit() else None
    return [_to(room, f"{mention(user.name, user_id)} {text}")]


def _emote(room: Room, text: str, user: Optional[Person], defaults: Defaults) -> list[Message]:
    return [_to(room, f"/me {text}")]


def _topic(room: Room, text: str, user: Optional[Person], defaults: Defaults) -> list[Message]:
    new_topic = shorten_topic(text, defaults.max_topic) if text.strip() else ""
    if isinstance(room, DirectRoom) or not new_topic:
        return [_to(room, f"/me sets the topic: {plain(text)}")]
    moved_to = ChannelRoom(room.stream, new_topic)
    return [
        _to(room, f"/me continues this conversation in {_link(moved_to)}"),
        _to(moved_to, f"/me continues the conversation from {_link(room)}"),
    ]


def _link(room: ChannelRoom) -> str:
    """A link to a channel's topic, or its name in plain text when the link syntax cannot hold it."""
    return channel_link(room.stream, room.topic)


def _fitted(message: Message, defaults: Defaults) -> Message:
    if len(message.content) <= defaults.max_content:
        return message
    log.warning("an answer of %d characters is longer than the server allows (%d); it is shortened",
                len(message.content), defaults.max_content)
    return Message(shorten_content(message.content, defaults.max_content), message.stream, message.topic, message.to)


_BUILDERS: dict[str, Callable[[Room, str, Optional[Person], Defaults], list[Message]]] = {
    "send": _send,
    "reply": _reply,
    "emote": _emote,
    "topic": _topic,
}
