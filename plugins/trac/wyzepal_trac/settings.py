"""The settings the Trac plugin adds to the common ones, with their defaults."""
from __future__ import annotations

import string
from typing import Optional

from wyzepal_notifier import Field

#: The event switches of ``TRAC_NOTIFY_ON``; ``wiki``, ``changesets`` and ``milestones`` cover all events of a kind.
NOTIFY_ON_CHOICES = ("ticket_created", "ticket_changed", "ticket_closed", "ticket_reopened", "ticket_deleted",
                     "ticket_comment_edited", "wiki", "changesets", "milestones")
#: Field changes worth a message; ``comment`` stands for a new comment.
DEFAULT_NOTIFY_FIELDS = ("description", "summary", "resolution", "comment", "owner", "status", "priority")
DEFAULT_TOPICS = {
    "ticket": "#{id}: {summary}",
    "wiki": "wiki: {page}",
    "changeset": "commits: {repository}",
    "milestone": "milestone {milestone}",
}


def _check_template(value: str) -> Optional[str]:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError as exc:
        return f"is not a valid topic template ({exc})"
    if any(not name.isidentifier() for name in names):
        return "has a placeholder that is not a plain name, like {summary}"
    return None


def _check_names(value: list) -> Optional[str]:
    bad = [item for item in value if not isinstance(item, str) or not item]
    return f"has {bad[0]!r}, which is not a field name" if bad else None


def _topic_field(kind: str, example: str) -> Field:
    return Field(f"TRAC_{kind.upper()}_TOPIC", str, default=DEFAULT_TOPICS[kind], check=_check_template,
                 expects="a topic template like " + repr(DEFAULT_TOPICS[kind]),
                 help=f"the topic of {kind} messages; placeholders are event keys such as {example}")


#: What the plugin adds to the library's common fields (site, user, key, channel...).
TRAC_FIELDS = [
    Field("TRAC_NOTIFY_FIELDS", list, default=DEFAULT_NOTIFY_FIELDS, check=_check_names,
          expects="a list of ticket field names, e.g. ['status', 'owner', 'comment']",
          help="a ticket change is announced when one of these fields changed ('comment': a new comment)"),
    Field("TRAC_NOTIFY_ON", list, default=NOTIFY_ON_CHOICES, choices=NOTIFY_ON_CHOICES,
          help="the kinds of events announced"),
    _topic_field("ticket", "{id}, {summary}, {component}"),
    _topic_field("wiki", "{page}"),
    _topic_field("changeset", "{repository}, {rev}"),
    _topic_field("milestone", "{milestone}"),
]
