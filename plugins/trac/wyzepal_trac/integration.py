"""The Trac integration: one config file, many configurations, one render per event."""
from __future__ import annotations

from typing import Any, Iterator, Mapping

from wyzepal_notifier import Configuration, Integration

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

    def get_configs(self, event: Mapping[str, Any]) -> Iterator[Configuration]:
        """As the library's, but a condition function that raises costs only its own configuration.

        Conditions are the admin's code (``lambda milestone: float(milestone) >= 1``
        meets a ticket without a milestone); the other configurations still get
        the event.
        """
        for conf in self.configurations:
            try:
                matched = conf.matches(event)
            except Exception:
                self.log.exception("the conditions of configuration %r failed on a %s event; it gets no message",
                                   conf.description, event.get("type", "event"))
                continue
            if matched:
                yield conf
