"""Applying a handle's operations on the server: edit, react, move and resolve, with the server's rules.

The courier hands a claimed operation row here once everything queued before it
in the handle's conversation has gone. What can happen:

- applied (or already so: the reaction exists, the topic is resolved, the content
  is the same): the row is done; a retry after a lost answer does no harm;
- not allowed (past the edit limit, no permission, a move refused): never a
  retry loop and nothing half-done. An edit follows the caller's fallback (a
  follow-up post in the same topic, or keep the old message); a refused move
  leaves the handle's topic as it was. The reason is kept (``refusals``);
- the handle is unknown here (another machine posted it, the spool was lost):
  the bot's own recent messages where ``Locate`` says are searched for its text;
  only when that fails too is the operation dead, with the reason;
- the server is down or rate-limiting: :class:`~wyzepal_notifier.errors` as for
  posts, and the courier retries it in its turn.

The realm's rules (``POST /register``) are read once per sender and refreshed
every few minutes, so a refused edit is usually known before it is tried.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from ..errors import APIError
from ..message import Message
from .handles import (
    EDIT,
    FOLLOW_UP,
    FORGET,
    MOVE,
    REACT,
    RESOLVE,
    UNREACT,
    UNRESOLVE,
    HandleState,
    HandleStore,
    Locate,
    resolved_name,
    unresolved_name,
)
from .spool import SpooledMessage

if TYPE_CHECKING:
    from ..client.client import Client
    from ..client.rules import RealmRules

log = logging.getLogger("wyzepal_notifier.outbox")

#: How many of the bot's recent messages are searched for an unknown handle (matched client-side).
LOOK_BACK = 100
#: Rules older than this are read again before they decide anything.
RULES_MAX_AGE = 300.0
#: Seconds kept in hand before a time limit: the request itself takes time, clocks differ.
LIMIT_MARGIN = 5.0
#: Server answers that mean "it is already so": the operation succeeded before.
ALREADY_DONE = {"REACTION_ALREADY_EXISTS", "REACTION_DOES_NOT_EXIST"}
ALREADY_DONE_MESSAGES = ("nothing to change",)


class Refused(Exception):
    """The server (or its rules, read beforehand) does not allow the operation; not worth retrying."""


class Unresolvable(Exception):
    """The handle names no message this spool or the server's recent history knows."""


@dataclass
class _Bot:
    """Who the sender is on its server, and that server's rules (read when first needed)."""

    user_id: int
    role: int
    rules: Optional[RealmRules]
    read_at: float

    @property
    def bound_by_limits(self) -> bool:
        """Moderators (300) and administrators (200, 100) are not bound by move time limits."""
        return self.role > 300


class Operations:
    """Applies operation rows for one courier; safe to use from the courier's threads."""

    def __init__(self, spool: HandleStore) -> None:
        self.spool = spool
        self._bots: dict[int, _Bot] = {}
        self._lock = threading.Lock()

    # -- the entry points --------------------------------------------------------

    def apply(self, row: SpooledMessage, client: Client) -> Optional[str]:
        """Apply one operation; returns a refusal reason to record, or None when done.

        Raises Unresolvable (the row is dead), or the client's errors for the
        courier's usual handling (server down, 429, a permanent refusal).
        """
        if row.kind == FORGET:
            return None
        state = self.resolve_handle(row, client)
        try:
            if row.kind == EDIT:
                return self._edit(row, state, client)
            if row.kind in (REACT, UNREACT):
                self._react(row, state, client)
                return None
            if row.kind in (MOVE, RESOLVE, UNRESOLVE):
                self._move(row, state, client)
                return None
        except Refused as refusal:
            return str(refusal)
        raise Unresolvable(f"unknown operation {row.kind!r} (written by a newer version?)")

    def destination(self, row: SpooledMessage) -> Message:
        """A post that follows a handle's conversation goes to that handle's topic as it is now."""
        assert row.message is not None
        conversation = row.args.get("conversation")
        if not conversation or row.message.is_direct:
            return row.message
        state = self.spool.handle_state(conversation)
        if state is None or not state.topic or (state.stream or "").lower() != (row.message.stream or "").lower():
            return row.message
        return Message(content=row.message.content, stream=row.message.stream, topic=state.topic)

    # -- finding the message ---------------------------------------------------------

    def resolve_handle(self, row: SpooledMessage, client: Client) -> HandleState:
        """The handle's state with a server message id: from the spool, or found on the server."""
        handle = row.handle or ""
        state = self.spool.handle_state(handle)
        if state is not None and state.message_id is not None:
            return state
        if state is not None and self._post_is_dead(handle):
            raise Unresolvable(f"the message of {handle!r} was never delivered (it is dead in the spool); "
                               "retry it first")
        locate = Locate.from_dict(row.args.get("locate"))
        if locate is None:
            raise Unresolvable(f"no message is known for handle {handle!r} and no place to look it up was given")
        found = self._look_back(client, locate)
        if found is None:
            raise Unresolvable(f"no message for handle {handle!r} here, and none of the bot's last {LOOK_BACK} "
                               f"messages in #{locate.stream} > {locate.topic} contains {locate.text!r}")
        self.spool.learn_handle(handle, row.sender_id, int(found["id"]), locate.stream, found.get("subject"),
                                float(found.get("timestamp") or time.time()))
        learned = self.spool.handle_state(handle)
        assert learned is not None
        return learned

    def _post_is_dead(self, handle: str) -> bool:
        return self.spool.handle_post_state(handle) == "dead"

    def _look_back(self, client: Client, locate: Locate) -> Optional[dict[str, Any]]:
        return find_message(client, locate)

    # -- the rules -------------------------------------------------------------------

    def bot(self, row: SpooledMessage, client: Client) -> _Bot:
        with self._lock:
            known = self._bots.get(row.sender_id)
        if known is not None and time.monotonic() - known.read_at < RULES_MAX_AGE:
            return known
        profile = client.get_profile()
        try:
            rules: Optional[RealmRules] = client.get_realm_settings()
        except APIError as exc:  # an older server without these settings: let it decide each time
            log.info("the realm's edit and move rules could not be read (%s); the server decides", exc)
            rules = None
        bot = _Bot(int(profile.get("user_id", 0)), int(profile.get("role") or 400), rules, time.monotonic())
        with self._lock:
            self._bots[row.sender_id] = bot
        return bot

    # -- the operations ----------------------------------------------------------------

    def _edit(self, row: SpooledMessage, state: HandleState, client: Client) -> Optional[str]:
        content = str(row.args["content"])
        try:
            self._check_edit(row, state, client)
            _tolerating_done(lambda: client.update_message(int(state.message_id or 0), content=content))
            return None
        except Refused as refusal:
            return self._edit_fallback(row, state, client, content, str(refusal))
        except APIError as exc:
            if not exc.permanent:
                raise
            return self._edit_fallback(row, state, client, content, str(exc))

    def _check_edit(self, row: SpooledMessage, state: HandleState, client: Client) -> None:
        rules = self.bot(row, client).rules
        if rules is None:
            return
        if not rules.editing_allowed:
            raise Refused("the organisation has turned off message editing")
        limit = rules.edit_limit_seconds
        if limit is not None and state.sent_at is not None and time.time() - state.sent_at > limit - LIMIT_MARGIN:
            raise Refused(f"the message is older than the server's edit limit ({limit} s)")

    def _edit_fallback(self, row: SpooledMessage, state: HandleState, client: Client, content: str,
                       why: str) -> str:
        if row.args.get("fallback", FOLLOW_UP) != FOLLOW_UP:
            return f"edit not applied, old message kept: {why}"
        if state.to:
            follow_up = Message.direct(state.to, content)
        else:
            follow_up = Message.to_stream(state.stream or "", state.topic or "", content)
        client.send_message(follow_up)
        return f"edit not allowed, sent as a follow-up message instead: {why}"

    def _react(self, row: SpooledMessage, state: HandleState, client: Client) -> None:
        emoji = str(row.args["emoji"])
        message_id = int(state.message_id or 0)
        if row.kind == REACT:
            _tolerating_done(lambda: client.add_reaction(message_id, emoji))
        else:
            _tolerating_done(lambda: client.remove_reaction(message_id, emoji))

    def _move(self, row: SpooledMessage, state: HandleState, client: Client) -> None:
        if state.to or not state.stream:
            raise Refused("a direct message has no topic to move or resolve")
        current = self._current_topic(state, client)
        target, mode = self._target(row, current)
        if target == current:
            return  # already there (resolved by a person, or moved before a lost answer)
        if row.kind != MOVE and not current.strip():
            raise Refused("the empty topic cannot be marked resolved")
        self._check_move(row, state, client)
        try:
            _tolerating_done(lambda: client.update_message(
                int(state.message_id or 0), topic=target, propagate_mode=mode,
                send_notification_to_old_thread=False, send_notification_to_new_thread=row.kind != MOVE))
        except APIError as exc:
            if exc.permanent:
                raise Refused(f"the server refused to move the topic: {exc}") from None
            raise
        only = state.handle if mode == "change_one" else None
        self.spool.move_handles(row.sender_id, state.stream, current, target,
                                from_message_id=state.message_id if mode == "change_later" else None, only=only)

    def _current_topic(self, state: HandleState, client: Client) -> str:
        """Read back where the message is now: a person may have moved or resolved it by hand."""
        try:
            topic = str(client.get_message(int(state.message_id or 0)).get("subject", state.topic or ""))
        except APIError as exc:
            if not exc.permanent:
                raise
            raise Refused(f"the message can no longer be read: {exc}") from None
        if topic != state.topic:
            self.spool.set_handle_topic(state.handle, topic)
        return topic

    @staticmethod
    def _target(row: SpooledMessage, current: str) -> tuple[str, str]:
        if row.kind == RESOLVE:
            return resolved_name(current), "change_all"
        if row.kind == UNRESOLVE:
            return unresolved_name(current), "change_all"
        return str(row.args["topic"]), str(row.args.get("propagate_mode", "change_all"))

    def _check_move(self, row: SpooledMessage, state: HandleState, client: Client) -> None:
        bot = self.bot(row, client)
        rules = bot.rules
        if rules is None:
            return
        if row.kind == MOVE:
            if not rules.may_move_topics(bot.user_id):
                raise Refused("the bot may not move messages between topics "
                              "(the organisation's 'who can move messages between topics' setting)")
            limit = rules.move_within_stream_limit_seconds
            if (bot.bound_by_limits and limit is not None and state.sent_at is not None
                    and time.time() - state.sent_at > limit - LIMIT_MARGIN):
                raise Refused(f"the message is older than the server's limit for moving messages ({limit} s)")
        elif not rules.may_resolve_topics(bot.user_id):
            raise Refused("the bot may not resolve topics (the organisation's 'who can resolve topics' setting)")


def find_message(client: Client, locate: Locate) -> Optional[dict[str, Any]]:
    """The bot's newest message in the topic (resolved or not) whose raw text contains ``locate.text``.

    Public so a plugin can ask first whether an operation would find its message
    (the Jenkins bridge: is there a push message to react on?) with the very
    look-back the courier uses. Raises the client's errors.
    """
    name = unresolved_name(locate.topic)
    for topic in (name, resolved_name(name)):
        narrow = [{"operator": "channel", "operand": locate.stream}, {"operator": "topic", "operand": topic},
                  {"operator": "sender", "operand": client.email}]
        messages = client.get_messages(anchor="newest", num_before=LOOK_BACK, narrow=narrow)["messages"]
        for message in reversed(messages):
            if locate.text in str(message.get("content", "")) and message.get("sender_email") == client.email:
                return message
    return None


def _tolerating_done(call: Any) -> None:
    """Run the call; an answer that says "it is already so" counts as success (a retry after a lost answer)."""
    try:
        call()
    except APIError as exc:
        said = str((exc.response or {}).get("msg", "")).lower()
        if exc.code in ALREADY_DONE or any(text in said for text in ALREADY_DONE_MESSAGES):
            return
        raise
