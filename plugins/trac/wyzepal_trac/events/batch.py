"""A batch modify: many tickets changed at once by one person, with one comment.

Trac calls the ticket change listeners once per ticket; the plugin gathers those
changes (see ``components.batches``) into this one event, which keeps each
ticket's own change event so routing and switches still decide per ticket.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from .common import base_event


def modified(env: Any, changes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One event for the ticket change events of a batch (oldest first)."""
    first = changes[0]
    event = base_event(env, "ticket", "ticket_batch_modified", first.get("author"))
    event.update(tickets=[dict(change) for change in changes], ids=[change["id"] for change in changes],
                 count=str(len(changes)), comment=first.get("comment", ""))
    return event
