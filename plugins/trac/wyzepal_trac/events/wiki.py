"""Wiki events: a page added, changed, deleted or renamed."""
from __future__ import annotations

from typing import Any, Optional

from .common import base_event, text


def page_event(env: Any, page: Any, event_type: str, author: Optional[str]) -> dict[str, Any]:
    event = base_event(env, "wiki", event_type, author)
    event.update(page=page.name, version=text(page.version), comment=text(getattr(page, "comment", "")).strip())
    return event


def added(env: Any, page: Any) -> dict[str, Any]:
    return page_event(env, page, "wiki_page_added", page.author)


def changed(env: Any, page: Any, version: Any, comment: Optional[str], author: Optional[str]) -> dict[str, Any]:
    event = page_event(env, page, "wiki_page_changed", author)
    event.update(version=text(version), comment=text(comment).strip())
    return event


def deleted(env: Any, page: Any) -> dict[str, Any]:
    """Trac does not say who deleted a page, so the event has no author."""
    return page_event(env, page, "wiki_page_deleted", None)


def renamed(env: Any, page: Any, old_name: str) -> dict[str, Any]:
    event = page_event(env, page, "wiki_page_renamed", None)
    event.update(old_name=old_name)
    return event
