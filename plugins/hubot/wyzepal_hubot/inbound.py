"""A WyzePal message, as Hubot should hear it.

WyzePal mentions the bot as ``@**Full Name**`` (or ``@**Full Name|id**``); Hubot's
``robot.respond`` listens for its own name, so mentions of the bot become
``@<robot name>``. In a one-to-one direct conversation everything is said to the
bot, so Hubot's name is put in front (as Hubot's Shell and Slack adapters do).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from .protocol import Person
from .rooms import ChannelRoom, DirectRoom, room_for_message

_MENTION = re.compile(r"@(?P<silent>_?)\*\*(?P<name>[^*|]*)(?:\|(?P<id>\d+))?\*\*")


@dataclass(frozen=True)
class Addressing:
    """The bot on both sides: its WyzePal user, and the name (and alias) Hubot answers to."""

    bot: Person
    robot_name: str
    robot_alias: Optional[str] = None

    def is_bot(self, name: str, user_id: Optional[str]) -> bool:
        if user_id is not None:
            return str(user_id) == str(self.bot.id)
        return name.strip().lower() == self.bot.name.strip().lower()

    def addresses_robot(self, text: str) -> bool:
        names = [n for n in (self.robot_name, self.robot_alias) if n]
        pattern = "|".join(re.escape(n) for n in names)
        return re.match(rf"^\s*@?(?:{pattern})[:,]?(?:\s|$)", text, re.IGNORECASE) is not None


def hubot_text(content: str, addressing: Addressing) -> str:
    """Content with the bot's mentions turned into Hubot's name; other mentions kept."""

    def replace(match: re.Match) -> str:
        if not addressing.is_bot(match.group("name"), match.group("id")):
            return match.group(0)
        return addressing.robot_name if match.group("silent") else f"@{addressing.robot_name}"

    return _MENTION.sub(replace, content)


def message_line(message: Mapping[str, Any], flags: Sequence[str], addressing: Addressing) -> Optional[dict]:
    """The fields of a protocol ``message`` line; None for the bot's own messages (no loops)."""
    if str(message.get("sender_id")) == str(addressing.bot.id):
        return None
    if str(message.get("sender_email", "")).lower() == addressing.bot.email.lower():
        return None
    room = room_for_message(message, addressing.bot.email)
    text = hubot_text(str(message.get("content", "")), addressing)
    if isinstance(room, DirectRoom) and len(room.emails) == 1 and not addressing.addresses_robot(text):
        text = f"{addressing.robot_name} {text}"
    sender = Person(message.get("sender_id"), str(message.get("sender_full_name", "")),
                    str(message.get("sender_email", "")))
    line: dict[str, Any] = {"id": message.get("id"), "room": str(room), "text": text, "user": sender.to_json(),
                            "direct": isinstance(room, DirectRoom), "mentioned": "mentioned" in flags}
    if isinstance(room, ChannelRoom):
        line.update(stream=room.stream, topic=room.topic)
    return line
