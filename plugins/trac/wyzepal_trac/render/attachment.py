"""Attachment messages: a file added to (with a link) or deleted from a ticket or wiki page."""
from __future__ import annotations

from typing import Any, Mapping

from wyzepal_notifier import Configuration
from wyzepal_notifier.formatting import bold, italic, link

from ..links import TracLinks
from .text import actor
from .ticket import ticket_link


def content(conf: Configuration, event: Mapping[str, Any], links: TracLinks) -> str:
    parent = _parent(event, links)
    filename = event["filename"]
    if event["type"].endswith("_deleted"):
        return f"Attachment {bold(filename)} was deleted from {parent}."
    file_link = link(filename, links.attachment(event["parent_realm"], event["parent_id"], filename))
    text = f"{actor(event)} attached {file_link} ({_size(event.get('size', '0'))}) to {parent}"
    description = event.get("attachment_description")
    return f"{text}: {italic(description)}" if description else text


def _parent(event: Mapping[str, Any], links: TracLinks) -> str:
    if event["parent_realm"] == "ticket":
        return ticket_link(event, links)
    return "wiki page " + link(event["page"], links.wiki(event["page"]))


def _size(size: str) -> str:
    """Bytes as people read them: 830 bytes, 12.4 KB, 3.1 MB."""
    number = float(size or 0)
    if number < 1024:
        return f"{number:.0f} bytes"
    number /= 1024
    return f"{number:.1f} KB" if number < 1024 else f"{number / 1024:.1f} MB"
