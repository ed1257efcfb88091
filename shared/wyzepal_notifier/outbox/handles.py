"""Message handles: a plugin's own name for one message it posts, and the later operations on it.

A handle (``jenkins:team/app#42``, ``trac:ticket:123``) is chosen by the plugin
when it queues the message. Later operations name the handle, never a server
message id, because the id exists only once the message is delivered, maybe by
another process, maybe after a restart. The spool keeps, durably, which server
message id and which current topic each handle has.

A handle is a different idea from a message's ordering *key* (``Message.key``,
one per channel and topic): the key keeps posts to one topic in order; a
handle's operations and the posts that follow its conversation are ordered
with the handle's first post, whatever topic it has moved to since.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any, NamedTuple, Optional, Protocol, Sequence

from ..errors import WyzePalError

#: How long a handle is remembered when the plugin does not say (90 days).
DEFAULT_HANDLE_TTL = 90 * 24 * 3600.0
#: Zulip's mark of a resolved topic (``✔ `` before the name).
RESOLVED_PREFIX = "\N{HEAVY CHECK MARK} "
#: What an edit that the server no longer allows does instead.
FOLLOW_UP, KEEP = "follow_up", "keep"
EDIT_FALLBACKS = (FOLLOW_UP, KEEP)
PROPAGATE_MODES = ("change_one", "change_later", "change_all")

#: Operations queued behind a post, as stored in the spool's ``kind`` column.
POST, EDIT, REACT, UNREACT, MOVE, RESOLVE, UNRESOLVE, FORGET = (
    "post", "edit", "react", "unreact", "move", "resolve", "unresolve", "forget")
OPERATIONS = (EDIT, REACT, UNREACT, MOVE, RESOLVE, UNRESOLVE, FORGET)


class HandleInUse(WyzePalError):
    """``put`` with a handle that already names a message (raised at once, nothing queued)."""


# NamedTuples, not dataclasses: a hook imports this at every run (see ``config.credentials``).
class Locate(NamedTuple):
    """Where a handle's message is, for a spool that does not know the handle.

    ``text`` is something distinctive the message carries (a build URL, a
    revision link); the library looks back through the bot's own recent
    messages in that channel and topic and matches it client-side.
    """

    stream: str
    topic: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return self._asdict()

    @classmethod
    def from_dict(cls, data: Optional[dict[str, Any]]) -> Optional[Locate]:
        if not data:
            return None
        return cls(stream=str(data["stream"]), topic=str(data["topic"]), text=str(data["text"]))


class Refusal(NamedTuple):
    """An operation the server (or its rules) did not allow, kept so people can see why."""

    operation: str
    reason: str
    at: float


class HandleState(NamedTuple):
    """What the spool knows of a handle: the message it names and where that message is now."""

    handle: str
    message_id: Optional[int]
    stream: Optional[str]
    topic: Optional[str]
    to: tuple[str, ...] = ()
    sent_at: Optional[float] = None
    expires: float = 0.0
    refusals: Sequence[Refusal] = ()

    @property
    def delivered(self) -> bool:
        return self.message_id is not None

    @property
    def resolved(self) -> bool:
        return bool(self.topic and self.topic.startswith(RESOLVED_PREFIX))


def resolved_name(topic: str) -> str:
    """The topic's resolved name: one ``✔ `` in front, however often it is asked."""
    return topic if topic.startswith(RESOLVED_PREFIX) else RESOLVED_PREFIX + topic


def unresolved_name(topic: str) -> str:
    """The topic's name without the resolved mark (Zulip strips repeated marks too)."""
    while topic.startswith(RESOLVED_PREFIX):
        topic = topic[len(RESOLVED_PREFIX):]
    return topic


def check_handle(handle: str) -> str:
    """A handle is a non-empty line of text; refuse anything else at once."""
    if not isinstance(handle, str) or not handle.strip() or "\n" in handle or len(handle) > 500:
        raise WyzePalError(f"a message handle must be one non-empty line of at most 500 characters, not {handle!r}")
    return handle


def encode_args(args: dict[str, Any]) -> str:
    return json.dumps(args, ensure_ascii=False, sort_keys=True)


class HandleStore(Protocol):
    """Where the handles' states are kept: the spool (durable), or memory (a bridge's own lifetime)."""

    def handle_state(self, handle: str) -> Optional[HandleState]: ...

    def handle_post_state(self, handle: str) -> Optional[str]: ...

    def learn_handle(self, handle: str, sender_id: int, message_id: int, stream: Optional[str],
                     topic: Optional[str], sent_at: Optional[float], ttl: float = DEFAULT_HANDLE_TTL) -> None: ...

    def move_handles(self, sender_id: int, stream: str, old_topic: str, new_topic: str, *,
                     from_message_id: Optional[int] = None, only: Optional[str] = None) -> None: ...

    def set_handle_topic(self, handle: str, topic: str) -> None: ...


class MemoryHandles:
    """A :class:`HandleStore` in memory, for a delivery queue that lives as long as its process."""

    def __init__(self) -> None:
        self._states: dict[str, HandleState] = {}
        self._lock = threading.Lock()

    def handle_state(self, handle: str) -> Optional[HandleState]:
        with self._lock:
            return self._states.get(handle)

    def handle_post_state(self, handle: str) -> Optional[str]:
        return None  # a post that failed for good was reported to its sender; nothing waits here

    def learn_handle(self, handle: str, sender_id: int, message_id: int, stream: Optional[str],
                     topic: Optional[str], sent_at: Optional[float], ttl: float = DEFAULT_HANDLE_TTL,
                     to: tuple[str, ...] = ()) -> None:
        with self._lock:
            self._states[handle] = HandleState(handle, message_id, stream, topic, to, sent_at or time.time(),
                                               time.time() + ttl)

    def move_handles(self, sender_id: int, stream: str, old_topic: str, new_topic: str, *,
                     from_message_id: Optional[int] = None, only: Optional[str] = None) -> None:
        with self._lock:
            for name, state in list(self._states.items()):
                moved = (name == only if only is not None else
                         state.stream == stream and state.topic == old_topic
                         and (state.message_id or 0) >= (from_message_id or 0))
                if moved:
                    self._states[name] = state._replace(topic=new_topic)

    def set_handle_topic(self, handle: str, topic: str) -> None:
        with self._lock:
            if handle in self._states:
                self._states[handle] = self._states[handle]._replace(topic=topic)

    def refuse(self, handle: str, operation: str, reason: str) -> None:
        with self._lock:
            state = self._states.get(handle)
            if state is not None:
                refusals = [*state.refusals, Refusal(operation, reason, time.time())][-20:]
                self._states[handle] = state._replace(refusals=refusals)

    def forget(self, handle: str) -> None:
        with self._lock:
            self._states.pop(handle, None)
