"""WyzePal as a transport of Trac's own notifications (Preferences > Notifications).

Trac's subscription rules (the owner, reporter, CC, updater subscribers and each
user's own rules) decide who hears about a ticket; for the users whose rule
says ``wyzepal`` the notifier's ``distribute`` renders the event once per
format and queues one direct message per user, through the same outbox as the
channel messages, so the ticket save never waits for the chat server.

Which WyzePal user gets it is the config file's business (``users.UserMap``);
the message is rendered now, in the request, and stays renderable (a held event
of kind ``direct``) while the config file is broken.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

from ..events import attachment, batch, ticket
from ..render.direct import direct_content

TRANSPORT = "wyzepal"
STYLE = "text/x-wyzepal"
#: The Trac notification categories of tickets this transport renders.
CATEGORIES = ("created", "changed", "attachment added", "attachment deleted", "batchmodify")


def neutral_event(env: Any, event: Any) -> Optional[dict[str, Any]]:
    """The plugin's event for a Trac ``TicketChangeEvent`` / ``BatchTicketChangeEvent``, or None."""
    if event.realm != "ticket" or event.category not in CATEGORIES:
        return None
    if event.category == "batchmodify":
        return _batch(env, event)
    if event.category == "created":
        return ticket.ticket_event(env, event.target, "ticket_created", event.author)
    if event.category == "changed":
        return ticket.changed(env, event.target, event.comment, event.author, _old_values(event.changes))
    attached = attachment.added if event.category == "attachment added" else attachment.deleted
    return attached(env, event.attachment, event.target)


def _old_values(changes: Any) -> dict[str, Any]:
    return {name: change.get("old") for name, change in ((changes or {}).get("fields") or {}).items()}


def _batch(env: Any, event: Any) -> Optional[dict[str, Any]]:
    from trac.ticket.model import Ticket

    changes = []
    for ticket_id in event.target:
        model = Ticket(env, ticket_id)
        change = model.get_change(cdate=event.time) or {}
        changes.append(ticket.changed(env, model, event.comment, event.author, _old_values(change)))
    return batch.modified(env, changes) if changes else None


class TransportMixin:
    """``INotificationDistributor`` and ``INotificationFormatter`` for the notifier component.

    Part of the notifier (not components of their own) so that, with both install
    ways enabled, only the notifier in charge offers the transport: no double
    entries in Preferences, no double messages.
    """

    env: Any
    log: Any
    formatters: Any

    def in_charge(self) -> bool:  # provided by the notifier
        raise NotImplementedError

    def _announce_event(self, event: dict[str, Any]) -> None:  # provided by the notifier
        raise NotImplementedError

    # INotificationFormatter

    def get_supported_styles(self, transport: str) -> Iterable[tuple[str, str]]:
        if transport == TRANSPORT and self.in_charge():
            yield STYLE, "ticket"

    def format(self, transport: str, style: str, event: Any) -> Optional[str]:
        if transport != TRANSPORT or style != STYLE:
            return None
        neutral = neutral_event(self.env, event)
        return direct_content(neutral) if neutral is not None else None

    # INotificationDistributor

    def transports(self) -> list[str]:
        return [TRANSPORT] if self.in_charge() else []

    def distribute(self, transport: str, recipients: list, event: Any) -> None:
        """One direct message per recipient, with the content of the format they chose."""
        if transport != TRANSPORT or not self.in_charge():
            return
        known = self.env.get_known_users(as_dict=True)
        by_format: dict[str, list[list[Optional[str]]]] = {}
        for sid, _authenticated, address, fmt in recipients:
            email = (known.get(sid) or (None, None))[1] if sid else address
            by_format.setdefault(fmt or STYLE, []).append([sid, email])
        for fmt, people in by_format.items():
            content = self._content(fmt, event)
            if content:
                self._announce_event({"kind": "direct", "type": "direct_message", "realm": event.realm,
                                      "category": event.category, "recipients": people, "content": content})

    def _content(self, fmt: str, event: Any) -> Optional[str]:
        """The chosen format's formatter for this transport, else this plugin's own."""
        for formatter in self.formatters:
            styles = {(style, realm) for style, realm in formatter.get_supported_styles(TRANSPORT)}
            if (fmt, event.realm) in styles and formatter is not self:
                return formatter.format(TRANSPORT, fmt, event)
        return self.format(TRANSPORT, STYLE, event)
