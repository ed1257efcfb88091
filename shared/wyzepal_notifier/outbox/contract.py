"""The one delivery contract every outbox keeps, whatever is behind it.

A plugin is handed an outbox and never asks which kind: the threaded one over
the local spool (:class:`~wyzepal_notifier.outbox.Outbox`, long-running hosts
such as Trac), the hand-over one that script hooks use
(:class:`~wyzepal_notifier.outbox.HandOverOutbox`), or the dry-run printer
(:class:`~wyzepal_notifier.outbox.PrintingOutbox`). Each returns at once from
every call; delivery errors never reach the host.

Operations name a message by the *handle* the plugin gave it in ``put``. They
are kept durably and applied in order once the message exists (see
:mod:`.handles` and :mod:`.operations`)::

    outbox.put(Message.to_stream("ci", "app", "build #42 started"), handle="jenkins:app#42")
    outbox.edit("jenkins:app#42", "build #42 passed", fallback="follow_up")
    outbox.remove_reaction("jenkins:app#42", "hourglass")
    outbox.add_reaction("jenkins:app#42", "check")
    outbox.resolve_topic("jenkins:app#42")
"""
from __future__ import annotations

from typing import Any, Optional, Protocol, runtime_checkable

from ..errors import MessageRejected, WyzePalError
from ..message import Message, shorten_topic
from .handles import (
    EDIT,
    EDIT_FALLBACKS,
    FOLLOW_UP,
    FORGET,
    MOVE,
    PROPAGATE_MODES,
    REACT,
    RESOLVE,
    UNREACT,
    UNRESOLVE,
    HandleState,
    Locate,
    check_handle,
)


@runtime_checkable
class DeliveryOutbox(Protocol):
    """What a plugin may call on its outbox."""

    def put(self, message: Message, *, handle: Optional[str] = None, conversation: Optional[str] = None) -> None:
        """Queue a message. ``handle`` names it for later operations (``HandleInUse`` when taken);
        ``conversation`` makes it follow that handle's message: in order with its operations, to its topic."""

    def edit(self, handle: str, content: str, *, fallback: str = FOLLOW_UP, locate: Optional[Locate] = None) -> None:
        """Replace the message's content; past the server's rules, ``fallback`` ("follow_up" or "keep")."""

    def add_reaction(self, handle: str, emoji_name: str, *, locate: Optional[Locate] = None) -> None:
        """The bot's reaction on the message (one that is already there counts as done)."""

    def remove_reaction(self, handle: str, emoji_name: str, *, locate: Optional[Locate] = None) -> None:
        """Take the bot's reaction back (one that is not there counts as done)."""

    def move_topic(self, handle: str, topic: str, *, propagate_mode: str = "change_all",
                   locate: Optional[Locate] = None) -> None:
        """Move the message (and, per ``propagate_mode``, its neighbours) to ``topic`` of the same channel."""

    def resolve_topic(self, handle: str, resolved: bool = True, *, locate: Optional[Locate] = None) -> None:
        """Mark the message's topic resolved (``✔ name``) or unresolved."""

    def forget(self, handle: str) -> None:
        """Let go of the handle once everything queued on it is done; a later ``put`` may take it again."""

    def handle_state(self, handle: str) -> Optional[HandleState]:
        """What is known of the handle now (None: nothing)."""

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Deliver what was queued within ``timeout``; True when nothing is left waiting."""

    def close(self, timeout: Optional[float] = None) -> None:
        """Stop; what is undelivered stays durable (or goes to a detached worker where that is the kind)."""


class HandleOperations:
    """The handle operations in terms of one ``_operation`` call; every outbox kind inherits them."""

    def _operation(self, handle: str, kind: str, args: dict[str, Any]) -> None:
        raise NotImplementedError

    def edit(self, handle: str, content: str, *, fallback: str = FOLLOW_UP, locate: Optional[Locate] = None) -> None:
        if fallback not in EDIT_FALLBACKS:
            raise WyzePalError(f"fallback must be one of {', '.join(EDIT_FALLBACKS)}, not {fallback!r}")
        self._enqueue(handle, EDIT, {"content": checked_content(content), "fallback": fallback}, locate)

    def add_reaction(self, handle: str, emoji_name: str, *, locate: Optional[Locate] = None) -> None:
        self._enqueue(handle, REACT, {"emoji": _emoji(emoji_name)}, locate)

    def remove_reaction(self, handle: str, emoji_name: str, *, locate: Optional[Locate] = None) -> None:
        self._enqueue(handle, UNREACT, {"emoji": _emoji(emoji_name)}, locate)

    def move_topic(self, handle: str, topic: str, *, propagate_mode: str = "change_all",
                   locate: Optional[Locate] = None) -> None:
        if propagate_mode not in PROPAGATE_MODES:
            raise WyzePalError(f"propagate_mode must be one of {', '.join(PROPAGATE_MODES)}, not {propagate_mode!r}")
        topic = shorten_topic(topic) if topic else ""
        if not topic.strip():
            raise MessageRejected("a topic move needs a topic to move to")
        self._enqueue(handle, MOVE, {"topic": topic, "propagate_mode": propagate_mode}, locate)

    def resolve_topic(self, handle: str, resolved: bool = True, *, locate: Optional[Locate] = None) -> None:
        self._enqueue(handle, RESOLVE if resolved else UNRESOLVE, {}, locate)

    def forget(self, handle: str) -> None:
        self._enqueue(handle, FORGET, {}, None)

    def _enqueue(self, handle: str, kind: str, args: dict[str, Any], locate: Optional[Locate]) -> None:
        if locate is not None:
            args["locate"] = locate.to_dict()
        self._operation(check_handle(handle), kind, args)


def checked_content(content: str) -> str:
    """New content, refused or shortened exactly as a post's content would be."""
    return Message(content=content, stream="-", topic="-").checked().content


def _emoji(name: str) -> str:
    name = (name or "").strip().strip(":")
    if not name or any(ch.isspace() for ch in name):
        raise WyzePalError(f"an emoji name is one word such as 'check' or 'hourglass', not {name!r}")
    return name
