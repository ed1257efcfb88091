"""What the adapter asks the bridge to do: one request per line on stdin."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

#: send: say text in the room; reply: address the sender; emote: /me; topic: move the conversation;
#: react / unreact: add or remove the emoji ``text`` on the message ``message_id``.
REQUEST_TYPES = ("send", "reply", "emote", "topic", "react", "unreact")
REACTION_TYPES = ("react", "unreact")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class BadLine(ValueError):
    """A line that is not a request; the reason is safe to log."""


@dataclass(frozen=True)
class Person:
    """A WyzePal user as Hubot knows them: its brain's id, name and email."""

    id: Any
    name: str
    email: str
    #: A bot account (Hubot's ``user.is_bot``): other bots' words can start a loop of answers.
    bot: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email, "bot": self.bot}

    @classmethod
    def from_json(cls, data: Any) -> Optional[Person]:
        if not isinstance(data, Mapping):
            return None
        return cls(data.get("id"), _sendable(str(data.get("name") or "")), _sendable(str(data.get("email") or "")))


@dataclass(frozen=True)
class Request:
    """One Hubot action: ``type`` on ``room`` (or to ``user``) with ``text``; ``ref`` for the answer."""

    type: str
    ref: Optional[str]
    text: str
    room: Optional[str] = None
    user: Optional[Person] = None
    #: The message a ``react``/``unreact`` is about.
    message_id: Optional[int] = None


def parse_request(line: str) -> Request:
    """Read one line from the adapter; raises BadLine saying what is wrong with it."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise BadLine(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise BadLine(f"not a JSON object but {type(data).__name__}")
    kind = data.get("type")
    if kind not in REQUEST_TYPES:
        raise BadLine(f"unknown type {kind!r} (expected one of {', '.join(REQUEST_TYPES)})")
    text = data.get("text")
    if not isinstance(text, str):
        raise BadLine(f"{kind} without a text string")
    ref = data.get("ref")
    room = data.get("room")
    message_id = data.get("message_id")
    if kind in REACTION_TYPES:
        if isinstance(message_id, str) and message_id.isdigit():
            message_id = int(message_id)
        if not isinstance(message_id, int) or isinstance(message_id, bool) or message_id <= 0:
            raise BadLine(f"{kind} without the message_id (a positive integer) of the message to react to")
        if not text.strip(":").strip():
            raise BadLine(f"{kind} without an emoji name in text")
    return Request(kind, None if ref is None else str(ref), _sendable(text),
                   _sendable(room) if isinstance(room, str) else None, Person.from_json(data.get("user")),
                   message_id if kind in REACTION_TYPES else None)


def _sendable(text: str) -> str:
    """Text with lone UTF-16 surrogates (a script that cut an emoji in half) made U+FFFD: they cannot be sent."""
    return _LONE_SURROGATE.sub("\ufffd", text)
