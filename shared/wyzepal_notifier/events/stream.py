"""An event queue as a Python iterator, with the tricky details of the events API handled.

What the real-time events guide asks of a client, done once here:

- register a queue (``event_types``, ``narrow``, ``all_public_streams``) and long-poll it;
- skip heartbeats; track ``last_event_id`` so no event is handed over twice;
- on ``BAD_EVENT_QUEUE_ID`` (queue collected, server restarted) register again and
  fetch the messages sent in between with ``GET /messages``, so none is lost and
  none repeats (message ids only grow, so anything at or below the last one seen
  is a repeat);
- ``reaction`` and ``update_message`` events pass through like any other (typed views:
  :mod:`.kinds`). Across a lost queue, what the fetched messages show is handed over:
  each caught-up message carries its latest content and topic, and its reactions come
  as ``reaction`` ``add`` events marked ``caught_up`` (the same reaction arriving again
  from the new queue is dropped). What no API can give back is *not* recovered:
  reactions, edits and moves made in the gap to messages older than the gap (and
  reactions added then removed in the gap). Catch-up needs ``message`` among the
  event types;
- back off exponentially with jitter while the server is down or erring, and
  wait as long as a 429 asks;
- stop promptly when asked (a stop event, :meth:`EventStream.stop`, or leaving
  the ``with`` block), deleting the queue on the way out.

No asyncio: bridges are plain processes, and the iterator works in any thread.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Iterator, Optional, TypeVar

from ..client import Client, RetryPolicy
from ..client.retry import NO_RETRY
from ..errors import APIError, RateLimited, ServerUnreachable, WyzePalError
from .catchup import as_event, message_narrow, missed_messages, reaction_events, reaction_key
from .interruptible import InterruptibleCaller, Stopped, sleep_unless_stopped

log = logging.getLogger("wyzepal_notifier.events")
T = TypeVar("T")

#: Waits between failed attempts: 0.5 s doubling up to 30 s, with jitter.
EVENTS_BACKOFF = RetryPolicy(base=0.5, cap=30.0)
BAD_QUEUE = "BAD_EVENT_QUEUE_ID"


class EventStream:
    """Events of one queue (re-registered as needed), as an iterator; a context manager deletes the queue."""

    def __init__(self, client: Client, event_types: Optional[list[str]] = None, narrow: Optional[list] = None, *,
                 all_public_streams: bool = False, stop: Optional[threading.Event] = None,
                 backoff: RetryPolicy = EVENTS_BACKOFF, catch_up: bool = True,
                 on_register: Optional[Callable[[dict[str, Any]], None]] = None,
                 resume_after: Optional[int] = None, interruptible: bool = True) -> None:
        self.client = client
        self.event_types = event_types
        self.narrow = narrow or []
        self.all_public_streams = all_public_streams
        self.backoff = backoff
        self.catch_up = catch_up and (event_types is None or "message" in event_types)
        self.stop_event = stop or threading.Event()
        #: Called with the server's answer to each ``POST /register`` (e.g. to say "connected").
        self.on_register = on_register
        self.queue_id: Optional[str] = None
        self.last_event_id = -1
        #: The newest message id handed over (or known when the first queue was made). Given
        #: (``resume_after``) before the first queue, the messages after it are caught up first:
        #: a bridge restarted with the last id it handled misses nothing.
        self.last_message_id: Optional[int] = resume_after
        self.registrations = 0
        self._failures = 0
        self._backlog: list[dict[str, Any]] = []
        self.wants_reactions = event_types is None or "reaction" in event_types
        #: Reactions handed over from caught-up messages, so the new queue's copy is not a repeat.
        self._caught_up_reactions: set[tuple] = set()
        #: False: API calls run on the iterating thread itself, one thread hand-off fewer per long
        #: poll (the biggest share of an event's latency here). A waiting long poll then cannot be
        #: cut short from that thread: only for a loop whose stopper waits elsewhere
        #: (``call_on_each_event`` runs it on a worker and abandons the worker on stop).
        self.interruptible = interruptible
        self._caller = InterruptibleCaller(self.stop_event)
        self._closing = threading.Lock()  # the loop's thread and a stopper may both close

    def __repr__(self) -> str:
        return f"EventStream(queue_id={self.queue_id!r}, last_event_id={self.last_event_id})"

    def __enter__(self) -> EventStream:
        self.open()
        return self

    def open(self) -> EventStream:
        """Register the queue now, so every event from here on is heard (iterating does it otherwise)."""
        if self.queue_id is None:
            try:
                self._backlog.extend(self._register_and_catch_up())
            except Stopped:
                pass
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.events()

    def stop(self) -> None:
        """Ask the iteration to end; a waiting long poll is abandoned at once."""
        self.stop_event.set()

    def close(self) -> None:
        """Stop and delete the queue on the server (best effort: it expires anyway)."""
        self.stop()
        self._caller.close()
        with self._closing:
            queue_id, self.queue_id = self.queue_id, None
        if queue_id is None:
            return
        try:
            self.client.deregister(queue_id, retry=NO_RETRY, timeout=(2.0, 2.0))
        except WyzePalError as exc:
            log.info("event queue %s not deleted (%s); the server will collect it", queue_id, exc)

    # -- the loop ---------------------------------------------------------------------

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event once, in order, heartbeats left out, until stopped."""
        try:
            while self._backlog:
                yield self._backlog.pop(0)
            while not self.stop_event.is_set():
                if self.queue_id is None:
                    yield from self._register_and_catch_up()
                    continue
                for event in self._poll():
                    if self._is_new(event):
                        yield event
        except Stopped:
            return
        finally:
            self.close()

    def messages(self) -> Iterator[dict[str, Any]]:
        """The ``message`` of each message event."""
        for event in self.events():
            if event.get("type") == "message":
                yield event["message"]

    def _register_and_catch_up(self) -> Iterator[dict[str, Any]]:
        state = self._retrying(lambda: self.client.register(
            event_types=self.event_types, narrow=self.narrow, all_public_streams=self.all_public_streams,
            retry=NO_RETRY))
        self.queue_id, self.last_event_id = state["queue_id"], int(state.get("last_event_id", -1))
        if self.on_register is not None:
            self.on_register(state)
        self.registrations += 1
        newest = state.get("max_message_id")
        if not self.catch_up:
            return
        if self.last_message_id is None:
            self.last_message_id = newest  # the first queue: nothing before it is owed
            return
        log.info("event queue replaced; fetching messages after %d", self.last_message_id)
        if self.event_types is None or {"reaction", "update_message"} & set(self.event_types):
            log.info("reactions and edits made meanwhile to messages up to %d cannot be recovered",
                     self.last_message_id)
        fetched = self._retrying(lambda: list(missed_messages(
            self.client, self.last_message_id or 0, newest, message_narrow(self.narrow, self.all_public_streams))))
        self._caught_up_reactions = set()
        for message in fetched:
            event = as_event(message)
            if self._is_new(event):
                yield event
                if self.wants_reactions:
                    yield from self._reactions_of(message)

    def _reactions_of(self, message: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for event in reaction_events(message):
            self._caught_up_reactions.add(reaction_key(event))
            yield event

    def _poll(self) -> list[dict[str, Any]]:
        """One long poll; an empty list after a handled error."""
        queue_id = self.queue_id
        try:
            answer = self._call(lambda: self.client.get_events(queue_id, self.last_event_id, retry=NO_RETRY))
        except APIError as exc:
            if exc.code == BAD_QUEUE:
                log.info("event queue %s is gone (%s); registering a new one", queue_id, exc)
                self.queue_id = None
                return []
            self._wait_after(exc)
            return []
        except ServerUnreachable as exc:
            self._wait_after(exc)
            return []
        self._failures = 0
        return list(answer.get("events", []))

    def _is_new(self, event: dict[str, Any]) -> bool:
        """Track ids; False for heartbeats and for anything already handed over."""
        event_id = event.get("id")
        if isinstance(event_id, int):
            if event_id <= self.last_event_id:
                return False
            self.last_event_id = event_id
        if event.get("type") == "heartbeat":
            return False
        if event.get("type") == "reaction" and self._caught_up_reactions and not event.get("caught_up"):
            key = reaction_key(event)
            if key in self._caught_up_reactions:
                self._caught_up_reactions.discard(key)
                return event.get("op") != "add"  # handed over already from the fetched message
        if event.get("type") == "message" and self.catch_up:
            message_id = int(event["message"]["id"])
            if self.last_message_id is not None and message_id <= self.last_message_id:
                return False
            self.last_message_id = message_id
        return True

    # -- waiting and retrying --------------------------------------------------------

    def _call(self, func: Callable[[], T]) -> T:
        if self.interruptible:
            return self._caller.call(func)
        if self.stop_event.is_set():
            raise Stopped()
        return func()

    def _retrying(self, func: Callable[[], T]) -> T:
        """``func`` until it works; permanent refusals (bad key, bad narrow) are raised."""
        while True:
            try:
                result = self._call(func)
            except (APIError, ServerUnreachable) as exc:
                self._wait_after(exc)
                continue
            self._failures = 0
            return result

    def _wait_after(self, exc: Exception) -> None:
        if self.stop_event.is_set():
            raise Stopped()  # an abandoned call failing after the stop is no news
        if isinstance(exc, RateLimited):
            wait = exc.retry_after if exc.retry_after is not None else 1.0
            log.info("rate limited; waiting %.1f s as the server asks", wait)
        elif getattr(exc, "permanent", False):
            raise exc
        else:
            wait = self.backoff.backoff(self._failures)
            self._failures += 1
            log.warning("%s; trying again in %.1f s", exc, wait)
        sleep_unless_stopped(wait, self.stop_event)
