"""What the listening bot does with what it hears: replies become comments, references get answers.

- A message in a ticket's topic (the topic the plugin gives the ticket) from a WyzePal
  user mapped in ``TRAC_USERS`` becomes a comment on that ticket, by that Trac user,
  when Trac would let them append to it (``TICKET_APPEND``). Anyone else (unmapped,
  a bot, no permission) gets a direct message saying why nothing was added; a bot
  gets nothing. The comment is not announced back into the topic it came from.
- ``#123`` and ``[changeset]`` said in a channel of ``TRAC_REFERENCE_STREAMS`` get a
  one-line answer each (summary, status, link), when the speaker (their Trac user,
  else ``anonymous``) may view it.
- A ticket topic moved or resolved by a person: the handle's topic is read back
  (a no-op operation), so the ticket's next messages follow it there.
- The bot's own messages and moves are never acted on: nothing loops.
"""
from __future__ import annotations

import logging
import re
import string
import time
from typing import Any, Mapping, Optional

from wyzepal_notifier import Message
from wyzepal_notifier.events import MessageUpdate
from wyzepal_notifier.formatting import bold, link, plain

from ..events.common import display_name
from ..events.ticket import ticket_event
from ..links import TracLinks
from ..render.topic import topic_for
from ..ticket_topics import RESOLVED_PREFIX, from_chat, has_own_topic, ticket_handle
from .references import references

log = logging.getLogger("wyzepal_notifier.trac")

#: Seconds between two reads of the organisation's user list (to tell people from bots).
USERS_EVERY = 60.0


def unresolved(topic: str) -> str:
    while topic.startswith(RESOLVED_PREFIX):
        topic = topic[len(RESOLVED_PREFIX):]
    return topic


def template_pattern(template: str) -> Optional[re.Pattern]:
    """A regex for the topics a ticket template makes; None when it has no ``{id}`` to find the ticket by."""
    parts, names = [], set()
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name == "id" and "id" not in names:
            parts.append(r"(?P<id>\d+)")
        elif name:
            parts.append(".*?")
        if name:
            names.add(name)
    return re.compile("".join(parts) + r"\Z", re.DOTALL) if "id" in names else None


class TicketBridge:
    """Acts on the events of the bot's queue for one Trac environment and its integration."""

    def __init__(self, env: Any, integration: Any, client: Any) -> None:
        self.env = env
        self.integration = integration
        self.client = client
        self.me = client.email.lower()
        self.my_id: Optional[int] = None
        settings = integration.settings
        self.by_email = {email.lower(): user for user, email in (settings.get("TRAC_USERS") or {}).items()}
        self.reference_streams = {s.lower() for s in settings.get("TRAC_REFERENCE_STREAMS") or []}
        self.ticket_confs = [conf for conf in integration.configurations if has_own_topic(conf)]
        self._people: dict[str, bool] = {}
        self._people_read = 0.0
        self.links = TracLinks(env.abs_href.base)

    # -- the event loop's callback ------------------------------------------------------

    def on_event(self, event: Mapping[str, Any]) -> None:
        """Never raises for one bad event: a bridge that stops on one odd message helps nobody."""
        try:
            if event.get("type") == "message":
                self.on_message(event["message"])
            elif event.get("type") == "update_message":
                self.on_update(event)
        except Exception:
            log.exception("WyzePal listen: could not handle a %s event", event.get("type"))

    def on_message(self, message: Mapping[str, Any]) -> None:
        sender = str(message.get("sender_email", "")).lower()
        if sender == self.me or message.get("type") != "stream":
            return  # the bot's own posts (notifications, answers) never loop back
        stream, topic = str(message.get("display_recipient", "")), str(message.get("subject", ""))
        found = self.ticket_of(stream, topic)
        if found is not None:
            self.comment(message, found, stream)
        elif stream.lower() in self.reference_streams:
            self.answer(message, stream, topic)

    def on_update(self, event: Mapping[str, Any]) -> None:
        """A person moved or resolved a ticket's topic: read it back, so the next messages follow."""
        update = MessageUpdate.from_event(event)
        if update is None or not update.topic_changed or update.channel_changed or update.user_id == self.bot_id():
            return
        for conf in self.ticket_confs:
            ticket_id = self._ticket_id(conf, update.orig_topic or "")
            if ticket_id is None:
                continue
            handle = ticket_handle(self.integration.env_path, ticket_id, conf.stream)
            state = self.integration.outbox.handle_state(handle)
            if state is not None and (state.message_id in update.message_ids or state.topic == update.orig_topic):
                # Resolving to what it already is moves nothing; the library reads the topic back and keeps it.
                self.integration.outbox.resolve_topic(handle, resolved=(update.topic or "").startswith(RESOLVED_PREFIX))
                log.info("WyzePal listen: ticket #%s's topic was moved by hand to %r; its messages follow",
                         ticket_id, update.topic)

    # -- which ticket a topic is ----------------------------------------------------------

    def ticket_of(self, stream: str, topic: str) -> Optional[Any]:
        """The ticket whose topic this is (its handle's topic, or its template's), else None."""
        from trac.resource import ResourceNotFound
        from trac.ticket.model import Ticket

        for conf in self.ticket_confs:
            if conf.stream.lower() != stream.lower():
                continue
            ticket_id = self._ticket_id(conf, topic)
            if ticket_id is None:
                continue
            try:
                ticket = Ticket(self.env, int(ticket_id))
            except (ResourceNotFound, ValueError):
                continue
            state = self.integration.outbox.handle_state(ticket_handle(self.integration.env_path, ticket_id,
                                                                       conf.stream))
            if state is not None and state.topic:
                if unresolved(state.topic) == unresolved(topic):
                    return ticket
            elif topic_for(conf, ticket_event(self.env, ticket, "ticket_changed", None)) == unresolved(topic):
                return ticket
        return None

    @staticmethod
    def _ticket_id(conf: Any, topic: str) -> Optional[str]:
        template = conf.get("TOPIC") or conf.get("TRAC_TICKET_TOPIC") or "#{id}: {summary}"
        pattern = template_pattern(template)
        match = pattern.match(unresolved(topic)) if pattern is not None else None
        return match.group("id") if match else None

    # -- replies become comments ------------------------------------------------------------

    def comment(self, message: Mapping[str, Any], ticket: Any, stream: str) -> None:
        from trac.perm import PermissionCache

        sender = str(message.get("sender_email", "")).lower()
        user = self.by_email.get(sender)
        if user is None:
            return self.refuse(message, ticket, "your WyzePal account is not mapped to a Trac user (TRAC_USERS in "
                                                "the Trac plugin's config file)")
        if "TICKET_APPEND" not in PermissionCache(self.env, user)(ticket.resource):
            return self.refuse(message, ticket, f"the Trac user {user} may not comment on it (TICKET_APPEND)")
        text = str(message.get("content", "")).strip()
        if not text:
            return
        with from_chat(str(ticket.id), stream):
            ticket.save_changes(author=user, comment=text)
        log.info("WyzePal listen: %s's reply in #%s added as a comment on ticket #%s", user, stream, ticket.id)

    def refuse(self, message: Mapping[str, Any], ticket: Any, why: str) -> None:
        sender = str(message.get("sender_email", ""))
        log.info("WyzePal listen: a message from %s in ticket #%s's topic was not added: %s", sender, ticket.id, why)
        if self.is_person(sender):
            self.integration.send(Message.direct(sender, f"Your message was not added to Trac ticket "
                                                 f"{link('#' + str(ticket.id), self.links.ticket(ticket.id))}: "
                                                 f"{plain(why)}."))

    def is_person(self, email: str) -> bool:
        """A human account of the organisation (a bot, or the notification bot, gets no explanation)."""
        email = email.lower()
        if email not in self._people and time.monotonic() - self._people_read > USERS_EVERY:
            self._people_read = time.monotonic()
            members = self.client.call("GET", "users").get("members", [])
            self._people = {str(m.get("email", "")).lower(): not m.get("is_bot") for m in members}
        return self._people.get(email, False)

    def bot_id(self) -> int:
        if self.my_id is None:
            self.my_id = int(self.client.get_profile().get("user_id", 0))
        return self.my_id

    # -- references get answers -------------------------------------------------------------

    def answer(self, message: Mapping[str, Any], stream: str, topic: str) -> None:
        from trac.perm import PermissionCache

        viewer = self.by_email.get(str(message.get("sender_email", "")).lower(), "anonymous")
        perm = PermissionCache(self.env, viewer)
        lines = [line for line in (self._line(kind, ref, repo, perm) for kind, ref, repo in
                                   references(str(message.get("content", "")))) if line]
        if lines:
            self.integration.send(Message.to_stream(stream, topic, "\n".join(lines)))

    def _line(self, kind: str, ref: str, repo: Optional[str], perm: Any) -> Optional[str]:
        try:
            return self._ticket_line(ref, perm) if kind == "ticket" else self._changeset_line(ref, repo, perm)
        except Exception as exc:  # no such ticket or revision: say nothing (it may not be a reference at all)
            log.debug("WyzePal listen: %s %s not answered (%s)", kind, ref, exc)
            return None

    def _ticket_line(self, ref: str, perm: Any) -> Optional[str]:
        from trac.ticket.model import Ticket

        ticket = Ticket(self.env, int(ref))
        if "TICKET_VIEW" not in perm(ticket.resource):
            return None
        status = bold(ticket["status"]) + (f" ({plain(ticket['resolution'])})" if ticket["resolution"] else "")
        return f"{link('#' + ref + ' ' + ticket['summary'], self.links.ticket(ref))}: {status}"

    def _changeset_line(self, ref: str, repo: Optional[str], perm: Any) -> Optional[str]:
        from trac.versioncontrol.api import RepositoryManager

        repos = RepositoryManager(self.env).get_repository(repo or "")
        if repos is None:
            return None
        changeset = repos.get_changeset(repos.normalize_rev(ref))
        if "CHANGESET_VIEW" not in perm(changeset.resource):
            return None
        first = (changeset.message or "").strip().splitlines()[0] if (changeset.message or "").strip() else ""
        label = f"[{repos.display_rev(changeset.rev)}{'/' + repo if repo else ''}]"
        return (f"{link(label, self.links.changeset(changeset.rev, repo or ''))} by "
                f"{bold(display_name(self.env, changeset.author) or 'unknown')}: {plain(first)}")
