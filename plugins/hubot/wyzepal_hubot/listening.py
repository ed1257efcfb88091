"""Hearing WyzePal: the library's event stream, plus word of each new queue.

The adapter may only tell Hubot it is connected once the bot's event queue
exists (a message sent before that would be missed), and a replaced queue is
worth a log line. The library's EventStream registers queues through its
client, so a client that reports each registration tells us exactly when.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from wyzepal_notifier import Client

log = logging.getLogger("wyzepal_hubot.listening")

OnRegistered = Callable[[dict[str, Any]], None]


class ReportingClient(Client):
    """A Client that calls ``on_registered(state)`` after every successful ``register``."""

    on_registered: Optional[OnRegistered] = None

    def register(self, **options: Any) -> dict[str, Any]:
        state = super().register(**options)
        if self.on_registered is not None:
            try:
                self.on_registered(state)
            except Exception:  # a reporting bug must not cost the queue
                log.exception("could not handle the new event queue")
        return state
