"""The topic of a message: ``TOPIC`` if the configuration sets one, else the kind's template."""
from __future__ import annotations

import logging
import string
from typing import Any, Mapping

from wyzepal_notifier import Configuration

from ..settings import DEFAULT_TOPICS

log = logging.getLogger("wyzepal_notifier.trac")


def topic_for(conf: Configuration, event: Mapping[str, Any]) -> str:
    """Filled from the event; a placeholder the event lacks falls back to the default topic."""
    kind = event["kind"]
    template = conf.get("TOPIC") or conf.get(f"TRAC_{kind.upper()}_TOPIC") or DEFAULT_TOPICS[kind]
    try:
        return _fill(template, event)
    except (KeyError, IndexError, ValueError) as exc:
        log.warning("topic %r of %s cannot be filled for a %s event (%s); using %r", template,
                    conf.description, event["type"], exc, DEFAULT_TOPICS[kind])
        return _fill(DEFAULT_TOPICS[kind], event)


def _fill(template: str, event: Mapping[str, Any]) -> str:
    values = {name: _one_line(event[name]) for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format_map(values).strip() or "trac"  # a topic cannot be empty


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())
