"""The topic of a message: ``TOPIC`` if the configuration sets one, else the kind's template."""
from __future__ import annotations

import logging
import string
from typing import Any, Mapping

from wyzepal_notifier import Configuration

from ..settings import DEFAULT_BATCH_TOPIC, DEFAULT_TOPICS

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


def batch_topic(conf: Configuration, event: Mapping[str, Any]) -> str:
    """``TOPIC``, else ``TRAC_BATCH_TOPIC`` filled with ``author``, ``count`` and ``ids`` (``#1, #2``)."""
    template = conf.get("TOPIC") or conf.get("TRAC_BATCH_TOPIC") or DEFAULT_BATCH_TOPIC
    values = {**event, "ids": ", ".join(f"#{ticket_id}" for ticket_id in event.get("ids", ()))}
    try:
        return _fill(template, values)
    except (KeyError, IndexError, ValueError) as exc:
        log.warning("topic %r of %s cannot be filled for a batch modify (%s); using %r", template,
                    conf.description, exc, DEFAULT_BATCH_TOPIC)
        return DEFAULT_BATCH_TOPIC


def _fill(template: str, event: Mapping[str, Any]) -> str:
    values = {name: _one_line(event[name]) for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format_map(values).strip() or "trac"  # a topic cannot be empty


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())
