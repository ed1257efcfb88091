"""Attachment events: a file added to or deleted from a ticket or a wiki page.

The event is of its parent's kind (``ticket`` or ``wiki``) with the parent's keys,
so the routing of tickets (``component``, ``milestone``...) and pages applies
to their attachments too, and the message lands in the parent's topic.
"""
from __future__ import annotations

from typing import Any, Optional

from .common import base_event, text
from .ticket import ticket_event

#: Parent realms whose attachments are announced.
REALMS = ("ticket", "wiki")


def added(env: Any, attachment: Any, ticket: Any = None) -> Optional[dict[str, Any]]:
    return _attachment_event(env, attachment, "added", attachment.author, ticket)


def deleted(env: Any, attachment: Any, ticket: Any = None) -> Optional[dict[str, Any]]:
    """Trac does not say who deleted an attachment, so the event has no author."""
    return _attachment_event(env, attachment, "deleted", None, ticket)


def _attachment_event(env: Any, attachment: Any, what: str, author: Optional[str],
                      ticket: Any) -> Optional[dict[str, Any]]:
    realm = attachment.parent_realm
    if realm == "ticket" and ticket is not None:
        event = ticket_event(env, ticket, f"ticket_attachment_{what}", author)
    elif realm == "wiki":
        event = base_event(env, "wiki", f"wiki_attachment_{what}", author)
        event.update(page=text(attachment.parent_id))
    else:
        return None
    event.update(filename=text(attachment.filename), attachment_description=text(attachment.description).strip(),
                 size=str(attachment.size or 0), parent_realm=realm, parent_id=text(attachment.parent_id))
    return event
