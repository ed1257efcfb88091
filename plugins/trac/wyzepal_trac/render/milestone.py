"""Milestone messages: created (with its due date and description) and completed."""
from __future__ import annotations

from typing import Any, Mapping

from wyzepal_notifier import Configuration
from wyzepal_notifier.formatting import link

from ..links import TracLinks
from .text import paragraphs, quoted


def content(conf: Configuration, event: Mapping[str, Any], links: TracLinks) -> str:
    name = link(event["milestone"], links.milestone(event["milestone"]))
    if event["type"] == "milestone_completed":
        return f"Milestone {name} was completed on {event.get('completed') or 'an unknown date'}."
    head = f"Milestone {name} was created"
    if event.get("due"):
        head += f", due {event['due']}"
    return paragraphs(head + (":" if event.get("description") else "."), quoted(event.get("description", ""), links))
