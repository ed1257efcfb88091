"""Changeset messages: who committed what to which repository."""
from __future__ import annotations

from typing import Any, Mapping

from wyzepal_notifier import Configuration
from wyzepal_notifier.formatting import bold, link

from ..links import TracLinks
from .text import actor, paragraphs, quoted


def content(conf: Configuration, event: Mapping[str, Any], links: TracLinks) -> str:
    rev = event.get("display_rev") or event["rev"]
    label = f"r{rev}" if str(rev).isdigit() else str(rev)
    where = link(label, links.changeset(event["rev"], event.get("repository_path", "")))
    head = f"{actor(event)} committed {where}"
    if event.get("repository_path"):
        head += f" to {bold(event['repository_path'])}"
    message = event.get("message", "")
    return paragraphs(head + ":" if message else head, quoted(message, links))
