"""Ticket messages: who did what to which ticket, the changes, the comment."""
from __future__ import annotations

from typing import Any, Mapping

from wyzepal_notifier import Configuration
from wyzepal_notifier.formatting import bold, bullet_list, link, plain

from ..links import TracLinks
from .switches import has_notable_comment, notable_changes
from .text import actor, paragraphs, quoted, value

_FACTS = (("ticket_type", "{}"), ("component", "component {}"), ("priority", "priority {}"),
          ("milestone", "milestone {}"), ("owner", "owned by {}"))


def content(conf: Configuration, event: Mapping[str, Any], links: TracLinks) -> str:
    return _BY_TYPE[event["type"]](conf, event, links)


def ticket_link(event: Mapping[str, Any], links: TracLinks, comment: str = "") -> str:
    return link(f"#{event['id']} {event.get('summary', '')}".strip(), links.ticket(event["id"], comment or None))


def _created(conf: Configuration, event: Mapping[str, Any], links: TracLinks) -> str:
    facts = [template.format(bold(event[key])) for key, template in _FACTS if event.get(key)]
    head = f"{actor(event)} created {ticket_link(event, links)}"
    if facts:
        head += f" ({', '.join(facts)})"
    return paragraphs(head + ":" if event.get("description") else head, quoted(event.get("description", ""), links))


def _changed(conf: Configuration, event: Mapping[str, Any], links: TracLinks) -> str:
    verb = {"ticket_closed": "closed", "ticket_reopened": "reopened"}.get(event["type"], "updated")
    head = f"{actor(event)} {verb} {ticket_link(event, links, event.get('comment_number', ''))}"
    if event["type"] == "ticket_closed" and event.get("resolution"):
        head += f" as {bold(event['resolution'])}"
    comment = event.get("comment", "") if has_notable_comment(conf, event) else ""
    changes = _changes(conf, event, links)
    return paragraphs(head + ":" if comment or changes else head, changes, quoted(comment, links))


def _changes(conf: Configuration, event: Mapping[str, Any], links: TracLinks) -> str:
    shown = [name for name in notable_changes(conf, event) if not _said_in_head(event, name)]
    lines = [_change_line(event, name, links) for name in shown if name != "comment"]
    others = [name for name in event.get("changed_fields", ()) if name not in shown and not _said_in_head(event, name)]
    text = bullet_list(lines)
    if others:
        labels = event.get("field_labels", {})
        text += ("\n" if text else "") + "also changed: " + ", ".join(plain(labels.get(n, n)) for n in others)
    return text


def _said_in_head(event: Mapping[str, Any], name: str) -> bool:
    """Closing says the status and resolution in the first line already."""
    return event["type"] == "ticket_closed" and name in ("status", "resolution")


def _change_line(event: Mapping[str, Any], name: str, links: TracLinks) -> str:
    label = bold(event.get("field_labels", {}).get(name, name))
    old, new = event["changes"][name]
    if name == "description":
        return f"{label} changed ({link('diff', links.ticket_diff(event['id'], event.get('comment_number') or 1))})"
    return f"{label}: {value(old)} → {value(new)}"


def _deleted(conf: Configuration, event: Mapping[str, Any], links: TracLinks) -> str:
    return f"Ticket {bold('#' + event['id'] + ' ' + event.get('summary', ''))} was deleted."


def _comment_edited(conf: Configuration, event: Mapping[str, Any], links: TracLinks) -> str:
    number = event.get("comment_number", "")
    where = link(f"comment {number}" if number else "a comment", links.ticket(event["id"], number or None))
    head = f"{actor(event)} edited {where} on {ticket_link(event, links)}"
    return paragraphs(head + ":" if event.get("comment") else head, quoted(event.get("comment", ""), links))


_BY_TYPE = {
    "ticket_created": _created,
    "ticket_changed": _changed,
    "ticket_closed": _changed,
    "ticket_reopened": _changed,
    "ticket_deleted": _deleted,
    "ticket_comment_edited": _comment_edited,
}
