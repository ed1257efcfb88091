"""``trac-admin ENV wyzepal listen``: the bot that hears chat beside Trac (see ``wyzepal_trac.listen``).

A long-running process (run it under systemd, see the README): it registers an
event queue as the config file's bot, turns replies in ticket topics into
comments and answers ``#123``/``[changeset]`` references. SIGTERM or Ctrl-C ends
it after the event under way; the queue is deleted on the way out.
"""
from __future__ import annotations

import threading
from typing import Any, Iterator, Optional

from trac.admin.api import AdminCommandError, IAdminCommandProvider
from trac.core import Component, implements
from trac.ticket.api import TicketSystem
from trac.util.text import printout

from .notifier import WyzePalNotifierBase

EVENT_TYPES = ["message", "update_message"]


class WyzePalListenCommandBase(Component):
    """The ``wyzepal listen`` admin command; abstract for the same reason as the notifier."""

    abstract = True
    implements(IAdminCommandProvider)

    def get_admin_commands(self) -> Iterator[tuple]:
        yield ("wyzepal listen", "",
               """Run the WyzePal bot beside Trac until stopped (SIGTERM, Ctrl-C).

               Replies in a ticket's topic from users mapped in TRAC_USERS become comments on
               the ticket (as that Trac user, if they have TICKET_APPEND); #123 and [changeset]
               references in the channels of TRAC_REFERENCE_STREAMS get a one-line answer.""",
               None, self._listen)

    def _listen(self) -> None:
        from wyzepal_notifier.events import call_on_each_event, stop_on_signals

        announcer = self._notifier().announcer
        integration = announcer.integration()
        if integration is None:
            raise AdminCommandError(f"WyzePal: nothing to listen with: {announcer.problem or 'no config file'}")
        current = _Current(self.env, announcer, integration)
        self._subscribe(current.bridge)
        stop = threading.Event()
        printout(f"WyzePal: listening as {integration.settings.credentials.email} on "
                 f"{integration.settings.credentials.site} (Ctrl-C or SIGTERM stops)")
        self.log.info("WyzePal listen: started as %s", integration.settings.credentials.email)
        with stop_on_signals(stop):
            call_on_each_event(current.client, current.on_event, EVENT_TYPES, stop=stop)
        integration.close(5)
        self.log.info("WyzePal listen: stopped")

    def _notifier(self) -> WyzePalNotifierBase:
        for listener in TicketSystem(self.env).change_listeners:
            if isinstance(listener, WyzePalNotifierBase):
                return listener
        raise AdminCommandError("WyzePal: the plugin's notifier is not enabled in [components]")

    def _subscribe(self, bridge: Any) -> None:
        """The bot hears only the channels it is subscribed to: the ticket and reference channels."""
        streams = sorted({conf.stream for conf in bridge.ticket_confs} | bridge.reference_streams)
        try:
            bridge.client.add_subscriptions(streams)
        except Exception as exc:  # the bot may lack the right; it may be subscribed already
            self.log.warning("WyzePal listen: could not subscribe the bot to %s (%s); subscribe it by hand",
                             ", ".join(streams), exc)


class _Current:
    """The bridge of the config in use: an edited config file takes effect at the next event."""

    def __init__(self, env: Any, announcer: Any, integration: Any) -> None:
        from ..listen import TicketBridge

        self.env = env
        self.announcer = announcer
        self.client = integration.client
        self.bridge = TicketBridge(env, integration, self.client)
        self._make = TicketBridge

    def on_event(self, event: dict) -> None:
        integration: Optional[Any] = self.announcer.integration()
        if integration is not None and integration is not self.bridge.integration:
            self.bridge = self._make(self.env, integration, self.client)
        self.bridge.on_event(event)
