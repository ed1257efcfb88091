"""Milestone events: created and completed."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from .common import base_event, text


def _milestone_event(env: Any, milestone: Any, event_type: str) -> dict[str, Any]:
    event = base_event(env, "milestone", event_type, None)
    event.update(milestone=milestone.name, due=_date(milestone.due), completed=_date(milestone.completed),
                 description=text(milestone.description).strip())
    return event


def created(env: Any, milestone: Any) -> dict[str, Any]:
    return _milestone_event(env, milestone, "milestone_created")


def completed(env: Any, milestone: Any, old_values: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    """An event when this change completed the milestone; None for other changes."""
    if "completed" not in old_values or old_values["completed"] or not milestone.completed:
        return None
    return _milestone_event(env, milestone, "milestone_completed")


def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if value else ""
