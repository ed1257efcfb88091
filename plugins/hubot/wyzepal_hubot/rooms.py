"""Hubot rooms for WyzePal conversations, and back.

A channel and topic is one room, ``stream:<channel> topic:<topic>``; a direct
conversation is ``dm:<email>[,<email>...]`` (the people other than the bot). Spaces
are written ``+`` and ``%``, ``+`` and ``:`` are %-escaped, as hubot-zulip did, so
rooms stay one word each and scripts written for hubot-zulip keep working
(its ``pm-with:`` rooms are read too). Anything else names a channel.

``stream:general`` names no topic (answers go to the configured ``TOPIC``);
``stream:general topic:`` names the empty topic (shown as "general chat"; valid from
Zulip feature level 334), which is where a message said there is answered.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Union

_CHANNEL_ROOM = re.compile(r"^\s*(?:stream|channel):(?P<stream>.*?)(?:\s+topic:(?P<topic>.*))?$", re.DOTALL)
_DIRECT_ROOM = re.compile(r"^\s*(?:dm|pm-with):(?P<people>.*)$", re.DOTALL)


@dataclass(frozen=True)
class ChannelRoom:
    """A channel and, when the room names one, a topic (``""``: the empty topic; None: none named)."""

    stream: str
    topic: Optional[str] = None

    def __str__(self) -> str:
        room = f"stream:{encode(self.stream)}"
        return room if self.topic is None else f"{room} topic:{encode(self.topic)}"


@dataclass(frozen=True)
class DirectRoom:
    """A direct conversation with these people (not counting the bot)."""

    emails: tuple[str, ...]

    def __str__(self) -> str:
        return "dm:" + ",".join(encode(email) for email in self.emails)


Room = Union[ChannelRoom, DirectRoom]


def encode(text: str) -> str:
    return text.replace("%", "%25").replace("+", "%2B").replace(":", "%3A").replace(" ", "+")


def decode(text: str) -> str:
    return text.replace("+", " ").replace("%3A", ":").replace("%3a", ":").replace("%2B", "+").replace(
        "%2b", "+").replace("%25", "%")


def parse_room(text: Optional[str]) -> Optional[Room]:
    """The conversation a room names; None for an empty room. Never raises."""
    text = (text or "").strip()
    if not text:
        return None
    direct = _DIRECT_ROOM.match(text)
    if direct:
        emails = tuple(sorted({decode(p).strip() for p in direct.group("people").split(",") if p.strip()}))
        return DirectRoom(emails) if emails else None
    channel = _CHANNEL_ROOM.match(text)
    if channel:
        stream = decode(channel.group("stream")).strip()
        named = channel.group("topic")
        topic = None if named is None else decode(named).strip()
        return ChannelRoom(stream, topic) if stream else None
    return ChannelRoom(text.lstrip("#").strip())


def room_for_message(message: Mapping[str, Any], bot_email: str) -> Room:
    """The room a WyzePal message event's message was said in, as seen by the bot."""
    if message.get("type") == "stream":
        return ChannelRoom(str(message.get("display_recipient", "")), str(message.get("subject", "")))
    people = _emails(message.get("display_recipient") or [])
    others = tuple(sorted(e for e in people if e.lower() != bot_email.lower()))
    return DirectRoom(others or (bot_email,))


def _emails(recipients: Iterable[Any]) -> set[str]:
    return {str(person.get("email", "")) for person in recipients if isinstance(person, Mapping)} - {""}
