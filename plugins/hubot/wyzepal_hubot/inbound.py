"""A WyzePal message, as Hubot should hear it.

WyzePal mentions the bot as ``@**Full Name**`` (or ``@**Full Name|id**``); Hubot's
``robot.respond`` listens for its own name, so mentions of the bot become
``@<robot name>``. In a one-to-one direct conversation everything is said to the
bot, so Hubot's name is put in front (as Hubot's Shell and Slack adapters do).

Reactions and topic changes become ``reaction`` and ``update`` lines (PROTOCOL.md):
the adapter makes them hubot-slack's ``ReactionMessage`` and Hubot's ``TopicMessage``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from wyzepal_notifier.events import MessageUpdate, Reaction

from .protocol import Person
from .rooms import ChannelRoom, DirectRoom, Room, room_for_message

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


def message_line(message: Mapping[str, Any], flags: Sequence[str], addressing: Addressing,
                 sender: Optional[Person] = None) -> Optional[dict]:
    """The fields of a protocol ``message`` line; None for the bot's own messages (no loops).

    ``sender`` is who said it as the bridge knows them (``bot`` set for bot accounts).
    """
    if str(message.get("sender_id")) == str(addressing.bot.id):
        return None
    if str(message.get("sender_email", "")).lower() == addressing.bot.email.lower():
        return None
    room = room_for_message(message, addressing.bot.email)
    text = hubot_text(str(message.get("content", "")), addressing)
    if isinstance(room, DirectRoom) and len(room.emails) == 1 and not addressing.addresses_robot(text):
        text = f"{addressing.robot_name} {text}"
    if sender is None:
        sender = Person(message.get("sender_id"), str(message.get("sender_full_name", "")),
                        str(message.get("sender_email", "")))
    line: dict[str, Any] = {"id": message.get("id"), "room": str(room), "text": text, "user": sender.to_json(),
                            "direct": isinstance(room, DirectRoom), "mentioned": "mentioned" in flags}
    if isinstance(room, ChannelRoom):
        line.update(stream=room.stream, topic=room.topic)
    return line


def reaction_line(reaction: Reaction, user: Person, room: Optional[Room],
                  item_user: Optional[Person]) -> dict[str, Any]:
    """The fields of a ``reaction`` line: who reacted with what to which message, and where it is."""
    line: dict[str, Any] = {"op": reaction.op, "emoji": reaction.emoji_name, "emoji_code": reaction.emoji_code,
                            "reaction_type": reaction.reaction_type, "message_id": reaction.message_id,
                            "user": user.to_json(), "item_user": item_user.to_json() if item_user else None,
                            "room": str(room) if room is not None else None, "caught_up": reaction.caught_up}
    line.update(_where(room))
    return line


def update_line(update: MessageUpdate, user: Person, room: Optional[Room],
                old_room: Optional[Room]) -> dict[str, Any]:
    """The fields of an ``update`` line: a person moved messages to another topic, or edited one."""
    if update.resolved:
        change = "resolved"
    elif update.unresolved:
        change = "unresolved"
    elif update.topic_changed or update.channel_changed:
        change = "moved"
    else:
        change = "edited"
    line: dict[str, Any] = {"change": change, "message_id": update.message_id,
                            "message_ids": list(update.message_ids), "user": user.to_json(),
                            "room": str(room) if room is not None else None,
                            "old_room": str(old_room) if old_room is not None else None}
    line.update(_where(room))
    if isinstance(old_room, ChannelRoom):
        line.update(old_stream=old_room.stream, old_topic=old_room.topic)
    if update.content_changed:
        line.update(content=update.content, old_content=update.orig_content)
    return line


def _where(room: Optional[Room]) -> dict[str, Any]:
    return {"stream": room.stream, "topic": room.topic} if isinstance(room, ChannelRoom) else {}
