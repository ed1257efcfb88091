"""The Trac integration: one config file, many configurations, one render per event.

One instance per (config file, Trac environment): each environment has its own
spool (see ``spools``) and its own trac.ini defaults for the topic switches.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional

from wyzepal_notifier import Integration, Message
from wyzepal_notifier.config import load_settings

from . import spools
from .render import render
from .render.batch import batch_message
from .settings import TRAC_FIELDS
from .ticket_topics import TicketTopics
from .users import UserMap


class TracIntegration(Integration):
    """Tickets, comments, wiki pages, changesets and milestones from Trac."""

    integration_id = "trac"
    name = "Trac"
    description = "Tickets, comments, wiki pages, changesets and milestones from a Trac environment"
    settings_fields = TRAC_FIELDS
    default_settings = {"STREAM_FOR_NOTIFICATIONS": "trac"}

    #: The Trac environment this instance serves (None: a config checked outside Trac).
    env_path: Optional[str] = None
    #: The old shared spool still being drained for this environment, if any.
    shared_spool: Optional[spools.SharedSpool] = None

    def initialize(self) -> None:
        self.users = UserMap(self.settings, self.log)
        self.ticket_topics = TicketTopics(self)

    @classmethod
    def for_environment(cls, path: Path, env_path: str, ini_defaults: Mapping[str, Any]) -> TracIntegration:
        """Load ``path`` for one environment; trac.ini's switches are defaults the file may override,
        and so is the environment's own spool for ``OUTBOX_PATH``."""
        defaults = {**cls.default_settings, **ini_defaults, "OUTBOX_PATH": str(spools.env_spool(env_path))}
        settings = load_settings(cls.integration_id, cls.settings_fields, explicit=path, defaults=defaults)
        integration = cls.contained(settings)  # building runs the file's objects: nothing may escape into Trac
        integration.env_path = env_path
        return integration

    @property
    def outbox(self) -> Any:
        """The environment's spool (``OUTBOX_PATH`` overrides it); the old shared one drained beside it."""
        if self._outbox is None and self.env_path is not None:
            self._outbox = self._process_outbox()
            self._outbox.status()  # opens the spool: its path is the one in use (or the fallback)
            if self.settings.get("OUTBOX_PATH") == str(spools.env_spool(self.env_path)):  # not set by the file
                self.shared_spool = spools.drain_shared_spool(self._outbox.path, self.settings.path,
                                                              self.settings.credentials, self._process_outbox)
            if self._outbox.status().pending:
                self._outbox.ensure_worker()  # left by an earlier run
        return super().outbox

    def _process_outbox(self, path: Any = None) -> Any:
        """Trac only appends; a delivery process of the environment's own sends (why: ``outbox.process``)."""
        from wyzepal_notifier.outbox import ProcessOutbox

        return ProcessOutbox(self.integration_id, self.settings, self.user_agent_name(), self.version, path=path)

    def announce(self, event: Mapping[str, Any]) -> int:
        """Queue one message per matching configuration (a direct message per recipient); never raises."""
        if event["kind"] == "direct":
            return self.send_direct(event)
        if event["type"] == "ticket_batch_modified":
            self.ticket_topics.batch_operations(event)  # closed tickets' topics resolved, as one by one
            return self.notify(event, batch_message)
        if event["kind"] == "ticket":  # one topic per ticket, moved and resolved with it
            return self.ticket_topics.announce(event, self.get_configs(event))
        return self.notify(event, render)

    def get_configs(self, event: Mapping[str, Any]):
        """A batch matches a configuration when one of its tickets does."""
        if event["type"] != "ticket_batch_modified":
            yield from super().get_configs(event)
            return
        matching = super().get_configs
        wanted = {id(conf) for ticket in event["tickets"] for conf in matching(ticket)}
        yield from (conf for conf in self.configurations if id(conf) in wanted)

    def send_direct(self, event: Mapping[str, Any]) -> int:
        """A direct message to each recipient mapped to a WyzePal user (see ``users``)."""
        sent = 0
        for sid, email in event["recipients"]:
            to = self.users.wyzepal_user(sid, email)
            if to is not None and self.send(Message.direct(to, event["content"])):
                sent += 1
        return sent

    def close(self, timeout: Optional[float] = None, **options: Any) -> None:
        super().close(timeout, **options)
        if self.shared_spool is not None:
            self.shared_spool.close(0)
