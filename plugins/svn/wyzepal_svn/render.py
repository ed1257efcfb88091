"""What a revision looks like in the chat: author, revision (linked), log, changed paths."""
from __future__ import annotations

from typing import Any, Mapping

from wyzepal_notifier import Message
from wyzepal_notifier.formatting import bold, inline_code, italic, link, quote
from wyzepal_notifier.scripthook import capped, fill

from .svnlook import Change

Event = Mapping[str, Any]


def render(conf: Mapping[str, Any], event: Event) -> Message:
    topic = fill(conf["TOPIC"], {"repo": event["repository"]})
    return Message.to_stream(conf["STREAM_FOR_NOTIFICATIONS"], topic, describe(conf, event))


def describe(conf: Mapping[str, Any], event: Event) -> str:
    who = bold(event["author"]) if event["author"] else italic("(no author)")
    head = f"{who} committed {_revision(conf, event)} to {inline_code(event['repository'])}:"
    log = event["log"].strip()
    body = quote(log) if log else italic("(no log message)")
    return f"{head}\n{body}\n{changed_paths(conf, event['changes'])}"


def changed_paths(conf: Mapping[str, Any], changes: list[Change]) -> str:
    """As ``svn log -v`` lists them, capped at ``MAX_PATHS`` with "and N more"."""
    shown = [inline_code(f"{change.action} {change.path}") for change in changes[: conf["MAX_PATHS"]]]
    return capped(shown, len(changes), "path")


def _revision(conf: Mapping[str, Any], event: Event) -> str:
    label = f"r{event['revision']}"
    template = conf.get("REVISION_URL")
    if not template:
        return label
    return link(label, fill(template, {"revision": event["revision"], "repo": event["repository"]}))
