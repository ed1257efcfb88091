"""The settings the Trac plugin adds to the common ones, with their defaults."""
from __future__ import annotations

import string
from typing import Optional

from wyzepal_notifier import Field

#: The event switches of ``TRAC_NOTIFY_ON``; ``wiki``, ``changesets`` and ``milestones`` cover all events of a kind.
NOTIFY_ON_CHOICES = ("ticket_created", "ticket_changed", "ticket_closed", "ticket_reopened", "ticket_deleted",
                     "ticket_comment_edited", "wiki", "changesets", "milestones", "attachments")
#: Field changes worth a message; ``comment`` stands for a new comment.
DEFAULT_NOTIFY_FIELDS = ("description", "summary", "resolution", "comment", "owner", "status", "priority")
DEFAULT_TOPICS = {
    "ticket": "#{id}: {summary}",
    "wiki": "wiki: {page}",
    "changeset": "commits: {repository}",
    "milestone": "milestone {milestone}",
}
#: The topic of a batch modify's one message (placeholders: author, count, ids).
DEFAULT_BATCH_TOPIC = "batch modify"
#: The topic switches whose environment-wide default comes from trac.ini's ``[wyzepal]`` section.
INI_SWITCHES = {"TRAC_MOVE_TOPIC_ON_RENAME": "move_topic_on_rename",
                "TRAC_RESOLVE_TOPIC_ON_CLOSE": "resolve_topic_on_close"}


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


def _check_users(value: dict) -> Optional[str]:
    for trac_user, email in value.items():
        if not isinstance(trac_user, str) or not trac_user:
            return f"has the key {trac_user!r}, which is not a Trac user name"
        if not isinstance(email, str) or "@" not in email:
            return f"maps {trac_user!r} to {email!r}, which is not a WyzePal user's email"
    return None


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
    Field("TRAC_BATCH_TOPIC", str, default=DEFAULT_BATCH_TOPIC, check=_check_template,
          expects="a topic template like 'batch modify' or 'batch: {author}'",
          help="the topic of the one message a batch modify gets; placeholders: {author}, {count}, {ids}"),
    Field("TRAC_USERS", dict, default={}, check=_check_users,
          expects="a dict of Trac user name to WyzePal email, e.g. {'alice': 'alice@chat.example.com'}",
          help="who gets the direct messages of Trac users who chose WyzePal in Preferences > Notifications"),
    Field("TRAC_USERS_BY_EMAIL", bool, default=False,
          help="users missing from TRAC_USERS get direct messages at the email in their Trac preferences; "
               "anyone can type any email there, so only for a Trac whose users you trust"),
    Field("TRAC_REFERENCE_STREAMS", list, default=[], check=_check_names,
          expects="a list of channel names, e.g. ['dev', 'support']",
          help="channels where 'trac-admin ENV wyzepal listen' answers #123 and [changeset] with a one-line "
               "summary, status and link"),
    Field("TRAC_MOVE_TOPIC_ON_RENAME", bool, default=True,
          help="when a ticket's summary changes, its topic moves along (trac.ini [wyzepal] move_topic_on_rename "
               "sets the default; this file wins)"),
    Field("TRAC_RESOLVE_TOPIC_ON_CLOSE", bool, default=True,
          help="when a ticket is closed its topic is marked resolved (trac.ini [wyzepal] resolve_topic_on_close "
               "sets the default; this file wins)"),
]
