"""What Subversion events look like in the chat.

A revision: author, revision (linked), log, changed paths (with lines added and
removed when ``DIFFSTAT`` is on). A lock or unlock: who, which paths, the lock's
comment. A changed revision property other than the log: one short line in the
revision's topic. Every piece of host text goes through the safe helpers.

A configuration's ``PATHS``/``EXCLUDE_PATHS`` decide which paths it may name:
a revision or lock touching none of them is not sent to it at all (nor is a
later property change of that revision), and one touching some lists and
counts only those, so a channel never learns a hidden path's name.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from wyzepal_notifier import Message
from wyzepal_notifier.formatting import bold, inline_code, italic, link, plain, quote, truncate
from wyzepal_notifier.scripthook import capped, fill
from wyzepal_notifier.scripthook.paths import PathRules

from .svnlook import Change

Event = Mapping[str, Any]
#: A property value shown in a revprop notice is cut to this many characters.
MAX_VALUE = 200
ACTIONS = {"A": "added", "M": "changed", "D": "deleted"}


def render(conf: Mapping[str, Any], event: Event) -> Optional[Message]:
    describe = DESCRIPTIONS.get(event["type"])
    text = describe(conf, event) if describe is not None else None
    if text is None:  # not an event we announce, or nothing in it this configuration may see
        return None
    return Message.to_stream(conf["STREAM_FOR_NOTIFICATIONS"], topic(conf, event), text)


def visible_changes(conf: Mapping[str, Any], changes: Iterable[Change]) -> Optional[list[Change]]:
    """The changed paths ``conf`` may name, or None when it may not see the revision at all.

    A revision that touches no path (rare: ``svnmucc`` can make one) is seen unless ``PATHS`` asks for some.
    """
    changes = list(changes)
    rules = PathRules.of(conf)
    if not rules.active:
        return changes
    if not rules.shows_any(change.path for change in changes):
        return None
    return [change for change in changes if rules.shows_path(change.path)]


def topic(conf: Mapping[str, Any], event: Event) -> str:
    """Revisions in TOPIC; locks in LOCK_TOPIC unless the configuration sets its own topic."""
    template = conf["TOPIC"]
    if event["type"] in ("lock", "unlock") and "TOPIC" not in getattr(conf, "own_settings", {}):
        template = conf["LOCK_TOPIC"]
    return fill(template, {"repo": event["repository"]})


def describe(conf: Mapping[str, Any], event: Event) -> Optional[str]:
    changes = visible_changes(conf, event["changes"])
    if changes is None:
        return None
    head = f"{revision_marker(conf, event)} {inline_code(event['repository'])}:"
    who = bold(event["author"]) if event["author"] else italic("(no author)")
    log = event["log"].strip()
    body = quote(log) if log else italic("(no log message)")
    text = f"{who} {head}\n{body}\n{changed_paths(conf, changes, event.get('diffstat'))}"
    if event.get("log_edited_by"):
        text += "\n\n" + italic(f"(log message edited by {event['log_edited_by']})")
    return text


def revision_marker(conf: Mapping[str, Any], event: Event) -> str:
    """``committed r42 to``: the distinctive text a revision's message carries (to find it again for an edit)."""
    return f"committed {_revision(conf, event)} to"


def changed_paths(conf: Mapping[str, Any], changes: list[Change], diffstat: Optional[dict] = None) -> str:
    """As ``svn log -v`` lists them, capped at ``MAX_PATHS`` with "and N more"; ``+3 −1`` with DIFFSTAT.

    ``changes`` are the paths the configuration may name: the count and the diffstat are of those only.
    """
    shown = []
    for change in changes[: conf["MAX_PATHS"]]:
        item = inline_code(f"{change.action} {change.path}")
        stat = (diffstat or {}).get(change.path) if conf["DIFFSTAT"] else None
        if stat is not None:
            item += " binary" if stat.binary else f" +{stat.added} −{stat.removed}"
        shown.append(item)
    return capped(shown, len(changes), "path")


def lock(conf: Mapping[str, Any], event: Event) -> Optional[str]:
    verb = "locked" if event["type"] == "lock" else "unlocked"
    rules = PathRules.of(conf)
    locks = [found for found in event["locks"] if rules.shows_path(found.path)]
    if not locks:  # only paths this configuration may not name
        return None
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


def revprop_change(conf: Mapping[str, Any], event: Event) -> Optional[str]:
    if visible_changes(conf, event["changes"]) is None:  # it never saw the revision itself
        return None
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
