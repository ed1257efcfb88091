"""The one message of a batch modify: who, which tickets, what changed, the comment.

A configuration lists only the tickets it would have announced one by one (its
conditions, ``TRAC_NOTIFY_ON`` and ``TRAC_NOTIFY_FIELDS`` decide per ticket), so
a security ticket changed in a batch still reaches only the security channel.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from wyzepal_notifier import Configuration, Message
from wyzepal_notifier.formatting import bold, bullet_list, link, plain

from ..links import TracLinks
from .switches import has_notable_comment, notable_changes, wanted
from .text import actor, paragraphs, quoted, value
from .ticket import ticket_link
from .topic import batch_topic

#: Tickets named one by one; the rest are counted and reachable through the query link.
MAX_LISTED = 50


def batch_message(conf: Configuration, event: Mapping[str, Any]) -> Optional[Message]:
    """The message ``conf`` gets for a batch, or None when none of its tickets concern it."""
    tickets = [ticket for ticket in event["tickets"] if conf.matches(ticket) and wanted(conf, ticket)]
    if not tickets:
        return None
    return Message.to_stream(conf.stream, batch_topic(conf, event), content(conf, event, tickets))


def content(conf: Configuration, event: Mapping[str, Any], tickets: list[Mapping[str, Any]]) -> str:
    links = TracLinks(event.get("base_url", ""))
    ids = ",".join(ticket["id"] for ticket in tickets)
    query = link("query", links.href("query", id=ids))
    count = f"{len(tickets)} ticket" + ("s" if len(tickets) != 1 else "")
    head = f"{actor(event)} changed {count} at once ({query}):"
    comment = event.get("comment", "") if any(has_notable_comment(conf, t) for t in tickets) else ""
    return paragraphs(head, _changes(conf, tickets), _ticket_list(tickets, links), quoted(comment, links))


def _changes(conf: Configuration, tickets: list[Mapping[str, Any]]) -> str:
    """Each announced field with its new value (the same for all tickets, or "changed")."""
    new_values: dict[str, set[str]] = {}
    labels: dict[str, str] = {}
    for ticket in tickets:
        for name in notable_changes(conf, ticket):
            if name != "comment":
                new_values.setdefault(name, set()).add(ticket["changes"][name][1])
                labels[name] = ticket.get("field_labels", {}).get(name, name)
    lines = []
    for name in [n for n in conf["TRAC_NOTIFY_FIELDS"] if n in new_values]:
        values = new_values[name]
        lines.append(f"{bold(labels[name])} → {value(next(iter(values)))}" if len(values) == 1
                     else f"{bold(labels[name])} changed")
    return bullet_list(lines)


def _ticket_list(tickets: list[Mapping[str, Any]], links: TracLinks) -> str:
    listed = [ticket_link(ticket, links, ticket.get("comment_number", "")) for ticket in tickets[:MAX_LISTED]]
    text = "Tickets: " + ", ".join(listed)
    if len(tickets) > MAX_LISTED:
        text += plain(f" and {len(tickets) - MAX_LISTED} more")
    return text
