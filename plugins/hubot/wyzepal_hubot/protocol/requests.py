"""What the adapter asks the bridge to do: one request per line on stdin."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Optional

#: send: say text in the room; reply: address the sender; emote: /me; topic: move the conversation.
REQUEST_TYPES = ("send", "reply", "emote", "topic")


class BadLine(ValueError):
    """A line that is not a request; the reason is safe to log."""


@dataclass(frozen=True)
class Person:
    """A WyzePal user as Hubot knows them: its brain's id, name and email."""

    id: Any
    name: str
    email: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email}

    @classmethod
    def from_json(cls, data: Any) -> Optional[Person]:
        if not isinstance(data, Mapping):
            return None
        return cls(data.get("id"), str(data.get("name") or ""), str(data.get("email") or ""))


@dataclass(frozen=True)
class Request:
    """One Hubot action: ``type`` on ``room`` (or to ``user``) with ``text``; ``ref`` for the answer."""

    type: str
    ref: Optional[str]
    text: str
    room: Optional[str] = None
    user: Optional[Person] = None


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
    return Request(kind, None if ref is None else str(ref), text, room if isinstance(room, str) else None,
                   Person.from_json(data.get("user")))
