"""``call_on_each_event`` and ``call_on_each_message``, as the events API guide describes them.

The loop (long poll, parse, dispatch) runs on one worker thread with the callback, the
way ``zulip.Client`` runs it on the caller's: an event reaches its callback without a
hand-off between threads. The calling thread only waits for ``stop`` (or the end) and
then deletes the queue, so a long poll still never delays a stop: it is abandoned to
the daemon worker, whose late answer is dropped. When the call returns, no callback is
running and none will run.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterator, Optional

from ..client import Client
from .interruptible import STOP_CHECK_SECONDS
from .stream import EventStream

EventCallback = Callable[[dict[str, Any]], None]


def call_on_each_event(client: Client, callback: EventCallback, event_types: Optional[list[str]] = None,
                       narrow: Optional[list] = None, *, stop: Optional[threading.Event] = None,
                       **options: Any) -> None:
    """Call ``callback(event)`` for every event until ``stop`` is set; blocks meanwhile.

    An exception from the callback ends the loop (the queue is deleted) and
    reaches the caller. ``options``: ``all_public_streams``, ``backoff``, ``catch_up``.
    The callback runs on a worker thread (``wyzepal-events``), one event at a time, in order.
    Event shapes: :mod:`wyzepal_notifier.events.kinds` (``Reaction``, ``MessageUpdate``).
    """
    stream = EventStream(client, event_types, narrow, stop=stop, interruptible=False, **options)
    _dispatch(stream, stream.events(), callback)


def call_on_each_message(client: Client, callback: EventCallback, narrow: Optional[list] = None, *,
                         stop: Optional[threading.Event] = None, **options: Any) -> None:
    """Call ``callback(message)`` for every message the bot receives (or the narrow selects)."""
    stream = EventStream(client, ["message"], narrow, stop=stop, interruptible=False, **options)
    _dispatch(stream, stream.messages(), callback)


def _dispatch(stream: EventStream, items: Iterator[dict[str, Any]], callback: EventCallback) -> None:
    """Run ``items`` into ``callback`` on a worker until it ends or ``stream`` is stopped."""
    finished = threading.Event()
    dispatching = threading.Lock()  # held while a callback runs: stopping waits for it
    failure: list[BaseException] = []

    def work() -> None:
        try:
            for item in items:
                with dispatching:
                    if stream.stop_event.is_set():
                        return
                    callback(item)
        except BaseException as exc:  # handed to the caller, whatever it is
            failure.append(exc)
        finally:
            items.close()  # type: ignore[attr-defined]  # a generator: its cleanup deletes the queue
            finished.set()

    worker = threading.Thread(target=work, name="wyzepal-events", daemon=True)
    worker.start()
    try:
        while not finished.wait(STOP_CHECK_SECONDS):
            if stream.stop_event.is_set():
                with dispatching:  # the callback under way ends first; no other starts after this
                    break
    finally:
        stream.close()
    if failure:
        raise failure[0]
