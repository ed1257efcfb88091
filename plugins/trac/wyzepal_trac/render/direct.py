"""The content of a direct message a Trac user chose in Preferences > Notifications.

Like Trac's own notification email it shows every change, whatever the
channel configurations announce (their ``TRAC_NOTIFY_FIELDS`` are about what
a channel wants to read, not about one person's own tickets).
"""
from __future__ import annotations

from typing import Any, Mapping

from wyzepal_notifier import Configuration

from ..links import TracLinks
from ..settings import NOTIFY_ON_CHOICES
from . import attachment, batch, ticket
from .switches import is_attachment


def direct_content(event: Mapping[str, Any]) -> str:
    """Markdown for one Trac notification event (a ticket created, changed, batch, attachment)."""
    links = TracLinks(event.get("base_url", ""))
    if event["type"] == "ticket_batch_modified":
        conf = _everything(event["tickets"])
        return batch.content(conf, event, event["tickets"])
    conf = _everything([event])
    if is_attachment(event):
        return attachment.content(conf, event, links)
    return ticket.content(conf, event, links)


def _everything(events: list[Mapping[str, Any]]) -> Configuration:
    fields = {"comment"}
    for event in events:
        fields.update(event.get("changed_fields") or ())
    return Configuration("direct message", {}, {"TRAC_NOTIFY_FIELDS": sorted(fields),
                                                "TRAC_NOTIFY_ON": list(NOTIFY_ON_CHOICES)})
