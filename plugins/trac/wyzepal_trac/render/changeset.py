"""Changeset messages: who committed what to which repository."""
from __future__ import annotations

from typing import Any, Mapping

from wyzepal_notifier import Configuration
from wyzepal_notifier.formatting import bold, link

from ..events.changeset import NUMBERED
from ..links import TracLinks
from .text import actor, paragraphs, quoted


def numbered(event: Mapping[str, Any]) -> bool:
    """A Subversion-style revision number; decided by the repository's type, never by the digits of a hash.

    Events held from before the type travelled with them (no ``repository_type``)
    fall back to the full revision being digits: a 40-character hash never is.
    """
    kind = event.get("repository_type")
    if kind is None or kind == "":
        return str(event["rev"]).isdigit()
    return kind in NUMBERED


def content(conf: Configuration, event: Mapping[str, Any], links: TracLinks) -> str:
    rev = event.get("display_rev") or event["rev"]
    label = f"r{rev}" if numbered(event) else str(rev)
    where = link(label, links.changeset(event["rev"], event.get("repository_path", "")))
    head = f"{actor(event)} committed {where}"
    if event.get("repository_path"):
        head += f" to {bold(event['repository_path'])}"
    message = event.get("message", "")
    return paragraphs(head + ":" if message else head, quoted(message, links))
