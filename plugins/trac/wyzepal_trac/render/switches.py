"""Whether a configuration wants an event: ``TRAC_NOTIFY_ON`` and ``TRAC_NOTIFY_FIELDS``."""
from __future__ import annotations

from typing import Any, Mapping

from wyzepal_notifier import Configuration

#: The ``TRAC_NOTIFY_ON`` switch that covers each non-ticket kind.
_KIND_SWITCHES = {"wiki": "wiki", "changeset": "changesets", "milestone": "milestones"}


def wanted(conf: Configuration, event: Mapping[str, Any]) -> bool:
    switches = set(conf["TRAC_NOTIFY_ON"])
    kind, event_type = event["kind"], event["type"]
    if is_attachment(event):
        return "attachments" in switches
    if kind != "ticket":
        return _KIND_SWITCHES[kind] in switches
    if event_type not in switches:
        return False
    return event_type != "ticket_changed" or bool(notable_changes(conf, event)) or has_notable_comment(conf, event)


def notable_changes(conf: Configuration, event: Mapping[str, Any]) -> list[str]:
    """The changed fields this configuration announces, in the order it lists them."""
    changed = set(event.get("changed_fields") or ())
    return [name for name in conf["TRAC_NOTIFY_FIELDS"] if name in changed]


def has_notable_comment(conf: Configuration, event: Mapping[str, Any]) -> bool:
    return bool(event.get("comment")) and "comment" in conf["TRAC_NOTIFY_FIELDS"]


def is_attachment(event: Mapping[str, Any]) -> bool:
    return event["type"].endswith(("_attachment_added", "_attachment_deleted"))
