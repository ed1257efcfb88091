"""Wiki messages: a page created, edited (with a diff link), deleted or renamed."""
from __future__ import annotations

from typing import Any, Mapping

from wyzepal_notifier import Configuration
from wyzepal_notifier.formatting import bold, italic, link

from ..links import TracLinks
from .text import actor


def content(conf: Configuration, event: Mapping[str, Any], links: TracLinks) -> str:
    page = event["page"]
    page_link = link(page, links.wiki(page))
    event_type = event["type"]
    if event_type == "wiki_page_added":
        text = f"{actor(event)} created wiki page {page_link}"
    elif event_type == "wiki_page_changed":
        diff = link("diff", links.wiki(page, action="diff", version=event.get("version")))
        text = f"{actor(event)} edited wiki page {page_link} (version {event.get('version', '?')}, {diff})"
    elif event_type == "wiki_page_deleted":
        return f"Wiki page {bold(page)} was deleted."
    else:
        return f"Wiki page {bold(event.get('old_name', ''))} was renamed to {page_link}."
    return f"{text}: {italic(event['comment'])}" if event.get("comment") else text
