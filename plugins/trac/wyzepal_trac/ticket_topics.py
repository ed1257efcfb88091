"""One ticket, one topic for life: the ticket's messages are one conversation the outbox remembers.

The first message of a ticket (per channel) is put under the handle
``trac:<env>:ticket:<id>@<channel>``; every later message of that ticket is put
with ``conversation=`` that handle, so it goes to the topic the ticket has *now*
(after a move, by the bot or, once the library has read it back, by a person).
A summary change moves the whole topic (``change_all``) to the template's new
name; closing marks it resolved, reopening unresolves it. The spool keeps the
handle and its current topic durably, so a Trac restart or a chat server that
was down during the rename changes nothing: the operations wait in order.

A ticket from before the upgrade (or whose handle the spool no longer has) is
found by the template on first use: its message goes to the topic the template
gives for the ticket as it was before this change, and becomes the handle's
message, so a move takes the old messages along. Operations also carry a
``Locate`` (that topic, the ticket's address), used by a spool that does not
know the handle (a shared outbox fed from another machine).

A configuration with a fixed ``TOPIC`` does not give tickets topics of their own:
its messages are put as before, and nothing is moved.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping, Optional

from wyzepal_notifier import Configuration, Message
from wyzepal_notifier.outbox import HandleInUse, Locate

from .links import TracLinks
from .render import render
from .render.topic import topic_for

log = logging.getLogger("wyzepal_notifier.trac")

#: How long the spool remembers a ticket's handle: tickets live for years, not the library's 90 days.
TICKET_HANDLE_TTL = 10 * 365 * 24 * 3600.0
#: The heavy check mark Zulip puts in front of a resolved topic.
RESOLVED_PREFIX = "\N{HEAVY CHECK MARK} "
#: Seconds between two looks at the spool's refusals from Trac's request path.
NOTES_EVERY = 60.0

MOVE_FIX = ("To let the bot move ticket topics: in WyzePal's organisation settings (Moving messages), let the "
            "bot's role move messages between topics (\"Who can move messages between topics\"), and for old "
            "tickets raise or remove the time limit for moving messages, or make the bot a moderator (not bound "
            "by that limit). Or set TRAC_MOVE_TOPIC_ON_RENAME = False (or [wyzepal] move_topic_on_rename = false) "
            "to stop trying. Until then a renamed ticket's messages stay in the topic it already has.")
RESOLVE_FIX = ("To let the bot resolve ticket topics: in WyzePal's organisation settings, let the bot's role "
               "resolve topics (\"Who can resolve topics\"), or set TRAC_RESOLVE_TOPIC_ON_CLOSE = False "
               "(or [wyzepal] resolve_topic_on_close = false).")


_ORIGIN = threading.local()


@contextmanager
def from_chat(ticket_id: str, stream: str) -> Iterator[None]:
    """While a comment that came from a ticket's topic is saved, that topic is not told of it again."""
    _ORIGIN.value = (str(ticket_id), stream.lower())
    try:
        yield
    finally:
        _ORIGIN.value = None


def _came_from(event: Mapping[str, Any], stream: str) -> bool:
    return getattr(_ORIGIN, "value", None) == (str(event.get("id")), stream.lower())


def env_id(env_path: Optional[str]) -> str:
    """A short, stable name of the environment (its folder), so environments sharing a spool never mix."""
    if not env_path:
        return "trac"
    return hashlib.sha1(os.path.realpath(env_path).encode()).hexdigest()[:10]  # noqa: S324 - a name, not security


def ticket_handle(env_path: Optional[str], ticket_id: str, stream: str) -> str:
    return f"trac:{env_id(env_path)}:ticket:{ticket_id}@{stream.lower()}"


def has_own_topic(conf: Configuration) -> bool:
    """A configuration with a fixed ``TOPIC`` puts every ticket in one topic: nothing to move."""
    return not conf.get("TOPIC")


def resolved_name(topic: str) -> str:
    return topic if topic.startswith(RESOLVED_PREFIX) else RESOLVED_PREFIX + topic


class TicketTopics:
    """Sends a ticket event's messages as one conversation per ticket and channel; never raises."""

    def __init__(self, integration: Any) -> None:
        self.integration = integration
        self._told: set[str] = set()
        self._looked_at = 0.0
        self._lock = threading.Lock()

    def announce(self, event: Mapping[str, Any], configurations: Iterable[Configuration]) -> int:
        sent = 0
        for conf in configurations:
            try:
                message = render(conf, event)
            except Exception:  # a formatting bug must not cost the host its request
                log.exception("could not format %s for %s", event.get("type", "event"), conf.description)
                continue
            if message is not None and self._send(conf, event, message):
                sent += 1
        self.tell_refusals(throttled=True)
        return sent

    def batch_operations(self, event: Mapping[str, Any]) -> None:
        """A batch modify is one message in its own topic; the tickets it closed or reopened still get their
        topics resolved or unresolved (and a summary it changed moved), one by one."""
        for change in event.get("tickets", ()):
            for conf in self.integration.get_configs(change):
                try:
                    self._batch_change(conf, change)
                except Exception:  # the spool refused: logged, the other tickets still get theirs
                    log.exception("ticket #%s: the topic operations of a batch modify not queued", change.get("id"))

    def _batch_change(self, conf: Configuration, change: Mapping[str, Any]) -> None:
        if not has_own_topic(conf):
            return
        outbox = self.integration.outbox
        handle = ticket_handle(self.integration.env_path, str(change["id"]), conf.stream)
        state = outbox.handle_state(handle)
        if state is None:
            return  # no message of the ticket in that channel yet: no topic to act on
        before = self._topic_before(conf, change)
        locate = Locate(conf.stream, before, TracLinks(change.get("base_url", "")).ticket(change["id"]))
        self._operations(conf, change, outbox, handle, topic_for(conf, change), locate, state)

    def _send(self, conf: Configuration, event: Mapping[str, Any], message: Message) -> bool:
        if not has_own_topic(conf) or message.is_direct:
            return self.integration.send(message)
        if _came_from(event, message.stream or ""):
            return False  # said in that very topic a moment ago (``trac-admin ENV wyzepal listen``)
        try:
            self._converse(conf, event, message)
            return True
        except Exception:  # the spool refused (full, broken): logged, the request goes on
            log.exception("ticket #%s: message to %s not queued", event.get("id"), message.stream)
            return False

    def _converse(self, conf: Configuration, event: Mapping[str, Any], message: Message) -> None:
        outbox = self.integration.outbox
        _long_lived(outbox)
        stream = message.stream or ""
        handle = ticket_handle(self.integration.env_path, str(event["id"]), stream)
        before = self._topic_before(conf, event)
        locate = Locate(stream, before, TracLinks(event.get("base_url", "")).ticket(event["id"]))
        state = outbox.handle_state(handle)
        if event["type"] == "ticket_created" or state is None:
            self._first(outbox, handle, message if event["type"] == "ticket_created" else
                        Message.to_stream(stream, before, message.content))
            self._operations(conf, event, outbox, handle, message.topic or "", locate, state)
        else:  # the operations read the topic back first: the news goes where the ticket's topic is now
            self._operations(conf, event, outbox, handle, message.topic or "", locate, state)
            outbox.put(message, conversation=handle)
        if event["type"] == "ticket_deleted":
            outbox.forget(handle)

    def _first(self, outbox: Any, handle: str, message: Message) -> None:
        """The ticket's first message names its conversation.

        A ticket id reused after the newest ticket was deleted (SQLite reuses it) may find the old ticket's
        handle not yet forgotten: the message goes to its own topic, and the next change anchors a new handle.
        """
        try:
            outbox.put(message, handle=handle)
        except HandleInUse:
            outbox.put(message)

    def _operations(self, conf: Configuration, event: Mapping[str, Any], outbox: Any, handle: str, topic: str,
                    locate: Locate, state: Any) -> None:
        """Move on a rename; resolve on a close, unresolve on a reopen."""
        kind = event["type"]
        renamed = "summary" in event.get("changes", {}) and locate.topic != topic
        closed = event.get("status") == "closed"
        resolving = conf.get("TRAC_RESOLVE_TOPIC_ON_CLOSE")
        if kind == "ticket_reopened" and resolving:
            outbox.resolve_topic(handle, resolved=False, locate=locate)
        if renamed and conf.get("TRAC_MOVE_TOPIC_ON_RENAME"):
            keep_mark = kind != "ticket_reopened" and ((state is not None and state.resolved) or (closed and resolving))
            outbox.move_topic(handle, resolved_name(topic) if keep_mark else topic, propagate_mode="change_all",
                              locate=locate)
        if kind == "ticket_closed" and resolving:
            outbox.resolve_topic(handle, locate=locate)

    @staticmethod
    def _topic_before(conf: Configuration, event: Mapping[str, Any]) -> str:
        """The template's topic for the ticket as it was before this change (its old summary)."""
        old = event.get("changes", {}).get("summary")
        return topic_for(conf, {**event, "summary": old[0]} if old else event)

    # -- saying what the server refused ---------------------------------------------

    def refusal_notes(self) -> list[str]:
        """What the server refused on ticket topics (newest first, one line per kind) and the fix."""
        return list(self._notes().values())

    def _notes(self) -> dict[str, str]:
        try:
            refusals = self.integration.outbox.status().refusals
        except Exception:  # the spool cannot be read: the panel says so elsewhere
            return {}
        notes: dict[str, str] = {}
        prefix = f"trac:{env_id(self.integration.env_path)}:ticket:"
        for refusal in refusals:
            if not str(refusal.get("handle", "")).startswith(prefix):
                continue
            operation = str(refusal.get("operation", ""))
            kind = "move" if operation == "move" else "resolve" if operation in ("resolve", "unresolve") else ""
            if kind and kind not in notes:
                ticket = str(refusal["handle"])[len(prefix):].split("@")[0]
                fix = MOVE_FIX if kind == "move" else RESOLVE_FIX
                notes[kind] = f"WyzePal refused to {kind} the topic of ticket #{ticket}: {refusal.get('reason')}. {fix}"
        return notes

    def tell_refusals(self, throttled: bool = False) -> list[str]:
        """The notes, each written to Trac's log once per process."""
        with self._lock:
            if throttled and time.monotonic() - self._looked_at < NOTES_EVERY:
                return []
            self._looked_at = time.monotonic()
        notes = self._notes()
        for kind, note in notes.items():
            with self._lock:
                if kind in self._told:
                    continue
                self._told.add(kind)
            log.warning("%s", note)
        return list(notes.values())


def _long_lived(outbox: Any) -> None:
    """Tickets outlive the library's default handle lifetime; the spool's outboxes take it as an attribute."""
    if getattr(outbox, "handle_ttl", TICKET_HANDLE_TTL) < TICKET_HANDLE_TTL:
        outbox.handle_ttl = TICKET_HANDLE_TTL
