"""What Subversion events look like in the chat.

A revision: author, revision (linked), log, changed paths (with lines added and
removed when ``DIFFSTAT`` is on). A lock or unlock: who, which paths, the lock's
comment. A changed revision property other than the log: one short line in the
revision's topic. Every piece of host text goes through the safe helpers.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from wyzepal_notifier import Message
from wyzepal_notifier.formatting import bold, inline_code, italic, link, plain, quote, truncate
from wyzepal_notifier.scripthook import capped, fill

from .svnlook import Change

Event = Mapping[str, Any]
#: A property value shown in a revprop notice is cut to this many characters.
MAX_VALUE = 200
ACTIONS = {"A": "added", "M": "changed", "D": "deleted"}


def render(conf: Mapping[str, Any], event: Event) -> Optional[Message]:
    describe = DESCRIPTIONS.get(event["type"])
    if describe is None:
        return None
    return Message.to_stream(conf["STREAM_FOR_NOTIFICATIONS"], topic(conf, event), describe(conf, event))


def topic(conf: Mapping[str, Any], event: Event) -> str:
    """Revisions in TOPIC; locks in LOCK_TOPIC unless the configuration sets its own topic."""
    template = conf["TOPIC"]
    if event["type"] in ("lock", "unlock") and "TOPIC" not in getattr(conf, "own_settings", {}):
        template = conf["LOCK_TOPIC"]
    return fill(template, {"repo": event["repository"]})


def describe(conf: Mapping[str, Any], event: Event) -> str:
    head = f"{revision_marker(conf, event)} {inline_code(event['repository'])}:"
    who = bold(event["author"]) if event["author"] else italic("(no author)")
    log = event["log"].strip()
    body = quote(log) if log else italic("(no log message)")
    text = f"{who} {head}\n{body}\n{changed_paths(conf, event['changes'], event.get('diffstat'))}"
    if event.get("log_edited_by"):
        text += "\n\n" + italic(f"(log message edited by {event['log_edited_by']})")
    return text


def revision_marker(conf: Mapping[str, Any], event: Event) -> str:
    """``committed r42 to``: the distinctive text a revision's message carries (to find it again for an edit)."""
    return f"committed {_revision(conf, event)} to"


def changed_paths(conf: Mapping[str, Any], changes: list[Change], diffstat: Optional[dict] = None) -> str:
    """As ``svn log -v`` lists them, capped at ``MAX_PATHS`` with "and N more"; ``+3 −1`` with DIFFSTAT."""
    shown = []
    for change in changes[: conf["MAX_PATHS"]]:
        item = inline_code(f"{change.action} {change.path}")
        stat = (diffstat or {}).get(change.path) if conf["DIFFSTAT"] else None
        if stat is not None:
            item += " binary" if stat.binary else f" +{stat.added} −{stat.removed}"
        shown.append(item)
    return capped(shown, len(changes), "path")


def lock(conf: Mapping[str, Any], event: Event) -> str:
    verb = "locked" if event["type"] == "lock" else "unlocked"
    locks = event["locks"]
    who = bold(event["author"]) if event["author"] else italic("(someone)")
    what = f"{len(locks)} path{'' if len(locks) == 1 else 's'}"
    head = f"{who} {verb} {what} in {inline_code(event['repository'])}:"
    items = []
    for found in locks[: conf["MAX_PATHS"]]:
        item = inline_code(found.path)
        if found.comment.strip():
            item += ": " + plain(truncate(" ".join(found.comment.split()), MAX_VALUE))
        items.append(item)
    return f"{head}\n{capped(items, len(locks), 'path')}"


def revprop_change(conf: Mapping[str, Any], event: Event) -> str:
    who = bold(event["changed_by"]) if event["changed_by"] else italic("(someone)")
    verb = ACTIONS.get(event["action"], "changed")
    head = (f"{who} {verb} the property {inline_code(event['property'])} of {_revision(conf, event)} "
            f"in {inline_code(event['repository'])}")
    old, new = _value(event.get("old_value")), _value(event.get("new_value"))
    if event["action"] == "A" and new:
        return f"{head}: {new}."
    if event["action"] == "D" and old:
        return f"{head} (it was {old})."
    if old and new:
        return f"{head}: {old} → {new}."
    return head + "."


def _value(value: Optional[str]) -> str:
    if value is None or not value.strip():
        return ""
    return inline_code(truncate(" ".join(value.split()), MAX_VALUE))


def _revision(conf: Mapping[str, Any], event: Event) -> str:
    label = f"r{event['revision']}"
    template = conf.get("REVISION_URL")
    if not template:
        return label
    return link(label, fill(template, {"revision": event["revision"], "repo": event["repository"]}))


DESCRIPTIONS = {"commit": describe, "lock": lock, "unlock": lock, "revprop_change": revprop_change}
