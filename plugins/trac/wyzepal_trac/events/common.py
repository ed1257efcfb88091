"""What every event carries: its type, where Trac lives, who acted."""
from __future__ import annotations

import re
from typing import Any, Optional

_NAME_AND_EMAIL = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<[^<>@\s]+@[^<>\s]+>\s*$")

#: Every event type this plugin emits, by kind.
EVENT_TYPES = {
    "ticket": ("ticket_created", "ticket_changed", "ticket_closed", "ticket_reopened", "ticket_deleted",
               "ticket_comment_edited", "ticket_attachment_added", "ticket_attachment_deleted",
               "ticket_batch_modified"),
    "wiki": ("wiki_page_added", "wiki_page_changed", "wiki_page_deleted", "wiki_page_renamed",
             "wiki_attachment_added", "wiki_attachment_deleted"),
    "changeset": ("changeset_added",),
    "milestone": ("milestone_created", "milestone_completed"),
}


def base_event(env: Any, kind: str, event_type: str, author: Optional[str]) -> dict[str, Any]:
    """The keys shared by all events; ``base_url`` lets renderers link back to Trac."""
    return {
        "type": event_type,
        "kind": kind,
        "project": env.project_name or "",
        "base_url": env.abs_href.base,
        "author": author or "",
        "author_name": display_name(env, author),
    }


def display_name(env: Any, username: Optional[str]) -> str:
    """The full name a Trac user set in their preferences, else the user name (a commit's without email)."""
    if not username:
        return ""
    named = _NAME_AND_EMAIL.match(username)
    if named:
        return named.group("name") or username
    try:
        name, _email = env.get_known_users(as_dict=True).get(username, (None, None))
    except Exception:  # a name is a nicety; never fail an event over it
        name = None
    return name or username


def text(value: Any) -> str:
    """Field values as the strings routing and rendering expect."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)
