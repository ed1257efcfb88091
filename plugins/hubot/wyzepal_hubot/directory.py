"""Who is who, and where recent messages are: what reaction and edit events do not say.

A ``reaction`` event names a message id and a user id; Hubot scripts want the room
and the people (and whether they are bots: another bot's words can start a loop of
answers). The people come from ``GET /users`` at start, and again when someone
unknown speaks (a bot created since; someone the list still lacks is not asked
about again for a minute); the rooms of the messages heard recently are
remembered, and a message not among them is fetched once.
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

from wyzepal_notifier import Client, RetryPolicy
from wyzepal_notifier.errors import WyzePalError

from .protocol import Person
from .rooms import ChannelRoom, Room, room_for_message

log = logging.getLogger("wyzepal_hubot.directory")

#: Lookups made while an event waits: short, so a slow server delays one event, not the bridge.
LOOKUP_RETRY = RetryPolicy(budget=5.0, base=0.25, cap=1.0)
REMEMBERED_MESSAGES = 2000
REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class Seen:
    """Where a message is and who said it."""

    room: Room
    sender: Person


class Directory:
    def __init__(self, client: Client, bot_email: str, *, remember: int = REMEMBERED_MESSAGES,
                 refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.client = client
        self.bot_email = bot_email
        self.people: dict[Any, Person] = {}
        self._messages: OrderedDict[int, Seen] = OrderedDict()
        self._remember = remember
        self._refresh_seconds = refresh_seconds
        self._missing: dict[Any, float] = {}  # ids GET /users did not list, and when it was asked

    # -- people ------------------------------------------------------------------------

    def load(self) -> list[Person]:
        """Everyone active in the organisation (``GET /users``); [] when the server will not say."""
        try:
            members = self.client.call("GET", "users", retry=LOOKUP_RETRY).get("members", [])
        except WyzePalError as exc:
            log.warning("the list of users is not available (%s); Hubot learns people as they speak", exc)
            return []
        self.learn(members)
        return [self.people[m["user_id"]] for m in members if m.get("is_active", True) and "user_id" in m]

    def learn(self, members: Iterable[Mapping[str, Any]]) -> None:
        for member in members:
            if "user_id" in member:
                self.people[member["user_id"]] = Person(member["user_id"], str(member.get("full_name", "")),
                                                        str(member.get("email", "")), bool(member.get("is_bot")))

    def person(self, user_id: Any, name: str = "", email: str = "") -> Person:
        """The person with ``user_id``; someone new makes the list be read again."""
        if user_id not in self.people and time.monotonic() - self._missing.get(user_id, float("-inf")) \
                >= self._refresh_seconds:
            self.load()
            if user_id not in self.people:
                self._missing[user_id] = time.monotonic()
        known = self.people.get(user_id)
        if known is not None:
            return known
        return Person(user_id, name, email)

    # -- messages ----------------------------------------------------------------------

    def saw(self, message: Mapping[str, Any]) -> Seen:
        """Remember a message heard (the bot's own too: people react to the bot's answers)."""
        sender = self.person(message.get("sender_id"), str(message.get("sender_full_name", "")),
                             str(message.get("sender_email", "")))
        seen = Seen(room_for_message(message, self.bot_email), sender)
        self._keep(int(message["id"]), seen)
        return seen

    def moved(self, message_ids: Iterable[int], room: Room) -> None:
        for message_id in message_ids:
            if message_id in self._messages:
                self._keep(message_id, Seen(room, self._messages[message_id].sender))

    def where(self, message_id: int) -> Optional[Seen]:
        """Where message ``message_id`` is (fetched when not heard recently); None if it cannot be read."""
        seen = self._messages.get(message_id)
        if seen is not None:
            return seen
        try:
            message = self.client.get_message(message_id, retry=LOOKUP_RETRY)
        except WyzePalError as exc:
            log.info("message %d cannot be read (%s); its room is not known", message_id, exc)
            return None
        return self.saw(message)

    def room_after_move(self, stream: Optional[str], topic: Optional[str], message_id: int,
                        channel_changed: bool) -> Optional[Room]:
        """Where moved messages are now: the event says the topic, but only the id of a new channel."""
        if channel_changed or not stream:
            self._messages.pop(message_id, None)
            seen = self.where(message_id)
            return seen.room if seen else None
        return ChannelRoom(stream, topic)

    def _keep(self, message_id: int, seen: Seen) -> None:
        self._messages[message_id] = seen
        self._messages.move_to_end(message_id)
        while len(self._messages) > self._remember:
            self._messages.popitem(last=False)
