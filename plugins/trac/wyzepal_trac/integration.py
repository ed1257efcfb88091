"""The Trac integration: one config file, many configurations, one render per event."""
from __future__ import annotations

from typing import Any, Mapping

from wyzepal_notifier import Integration

from .render import render
from .settings import TRAC_FIELDS


class TracIntegration(Integration):
    """Tickets, comments, wiki pages, changesets and milestones from Trac."""

    integration_id = "trac"
    name = "Trac"
    description = "Tickets, comments, wiki pages, changesets and milestones from a Trac environment"
    settings_fields = TRAC_FIELDS
    default_settings = {"STREAM_FOR_NOTIFICATIONS": "trac"}

    def announce(self, event: Mapping[str, Any]) -> int:
        """Queue one message per matching configuration; never raises."""
        return self.notify(event, render)
