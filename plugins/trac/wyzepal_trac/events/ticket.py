"""Ticket events: created, changed (closed, reopened), deleted, comment edited."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from .common import base_event, text

#: Event keys that a ticket field of the same name must not overwrite.
_RENAMED_FIELDS = {"type": "ticket_type"}


def fields(ticket: Any) -> dict[str, str]:
    """Every ticket field by name (``type`` as ``ticket_type``), as strings."""
    values = {}
    for field in ticket.fields:
        name = field["name"]
        values[_RENAMED_FIELDS.get(name, name)] = text(ticket.values.get(name))
    return values


def labels(ticket: Any) -> dict[str, str]:
    return {field["name"]: text(field.get("label") or field["name"]) for field in ticket.fields}


def ticket_event(env: Any, ticket: Any, event_type: str, author: Optional[str]) -> dict[str, Any]:
    event = fields(ticket)
    event.update(base_event(env, "ticket", event_type, author))
    event.update(id=str(ticket.id), field_labels=labels(ticket))
    return event


def created(env: Any, ticket: Any) -> dict[str, Any]:
    return ticket_event(env, ticket, "ticket_created", ticket.values.get("reporter"))


def changed(env: Any, ticket: Any, comment: Optional[str], author: Optional[str],
            old_values: Mapping[str, Any]) -> dict[str, Any]:
    """A change; ``type`` says closed or reopened when the status did so."""
    changes = {}
    for name, old in old_values.items():
        new = text(ticket.values.get(name))
        if text(old) != new:
            changes[name] = [text(old), new]
    event = ticket_event(env, ticket, _change_type(changes.get("status")), author)
    event.update(changes=changes, changed_fields=sorted(changes), comment=text(comment).strip(),
                 comment_number=_comment_number(ticket, ticket.values.get("changetime")))
    return event


def _change_type(status: Optional[list]) -> str:
    if status and status[1] == "closed":
        return "ticket_closed"
    if status and status[0] == "closed":
        return "ticket_reopened"
    return "ticket_changed"


def _comment_number(ticket: Any, when: Any) -> str:
    """The number of the change made at ``when`` (for ``#comment:N`` links); empty when unknown."""
    try:
        return text(ticket.get_comment_number(when))
    except Exception:  # only used for a link anchor
        return ""


def deleted(env: Any, ticket: Any) -> dict[str, Any]:
    return ticket_event(env, ticket, "ticket_deleted", None)


def comment_edited(env: Any, ticket: Any, cdate: Any, author: Optional[str], comment: Optional[str],
                   old_comment: Optional[str]) -> dict[str, Any]:
    event = ticket_event(env, ticket, "ticket_comment_edited", author)
    event.update(comment=text(comment).strip(), old_comment=text(old_comment).strip(),
                 comment_number=_comment_number(ticket, cdate))
    return event
