"""``call_on_each_event`` and ``call_on_each_message``, as the events API guide describes them."""
from __future__ import annotations

import threading
from typing import Any, Callable, Optional

from ..client import Client
from .stream import EventStream

EventCallback = Callable[[dict[str, Any]], None]


def call_on_each_event(client: Client, callback: EventCallback, event_types: Optional[list[str]] = None,
                       narrow: Optional[list] = None, *, stop: Optional[threading.Event] = None,
                       **options: Any) -> None:
    """Call ``callback(event)`` for every event until ``stop`` is set; blocks meanwhile.

    An exception from the callback ends the loop (the queue is deleted) and
    reaches the caller. ``options``: ``all_public_streams``, ``backoff``, ``catch_up``.
    """
    with EventStream(client, event_types, narrow, stop=stop, **options) as stream:
        for event in stream:
            callback(event)


def call_on_each_message(client: Client, callback: EventCallback, narrow: Optional[list] = None, *,
                         stop: Optional[threading.Event] = None, **options: Any) -> None:
    """Call ``callback(message)`` for every message the bot receives (or the narrow selects)."""
    with EventStream(client, ["message"], narrow, stop=stop, **options) as stream:
        for message in stream.messages():
            callback(message)
