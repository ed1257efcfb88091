"""Sending a post once: after an answer that was lost, find out whether the server took the message.

When the connection breaks after the server stored a message, when its answer
comes after the read timeout, or when the worker is killed between sending and
recording, sending again would show the message twice. The API has the means to
tell: each post is sent with the worker's event ``queue_id`` and a ``local_id``
unique to that try, and the server's message event to that queue carries the
``local_id`` back (``local_message_id``). So before a post that was tried
before goes out again:

1. the worker's own queue, if the earlier try used it, says whether the server
   took it (and its id);
2. otherwise (the try was made by a worker that was killed, or the queue
   expired), the bot's recent messages in that topic are read, and a message
   with the same content, sent since that try and not already recorded as
   another post of this spool, is taken to be it. Two identical notices queued
   on purpose both arrive: the first one's id is recorded, so it cannot stand
   for the second.

The one case left: a server that stores a message after its read timeout *and*
after the next try was checked. It is rare and documented.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from ..client.retry import NO_RETRY
from ..errors import APIError, WyzePalError
from ..message import Message
from .spool import Spool, SpooledMessage

if TYPE_CHECKING:
    from ..client.client import Client

log = logging.getLogger("wyzepal_notifier.outbox")

#: How many of the bot's recent messages in a topic are compared with a post whose answer was lost.
LOOK_BACK = 50
#: Clocks of the spool's host and the server may differ by this much.
CLOCK_SLACK = 5.0
#: Poll the queue (and so let the server forget acknowledged events) at least every this many sends.
ACK_EVERY = 100
#: How many local ids the worker remembers as having arrived.
REMEMBERED = 5000
#: After a failed registration, the queue is asked for again this many seconds later.
REREGISTER_AFTER = 60.0


@dataclass
class _Queue:
    """The worker's event queue for one bot: which of its local ids the server took, under which id."""

    queue_id: str
    last_event_id: int = -1
    arrived: dict[str, int] = field(default_factory=dict)
    unacknowledged: int = 0


class SendOnce:
    """The courier's helper for posts: stamp each try, and check an earlier try before sending again."""

    def __init__(self, spool: Spool, worker: str) -> None:
        self.spool = spool
        self.worker = worker
        self._queues: dict[int, tuple[Optional[_Queue], float]] = {}
        self._lock = threading.Lock()
        self._registering: dict[int, threading.Lock] = {}
        self._tries = 0

    def params(self, row: SpooledMessage, message: Message, client: Client) -> dict[str, Any]:
        """The form of ``POST /messages`` for this try, recorded in the spool before it is sent."""
        queue = self._queue(row.sender_id, client)
        with self._lock:
            self._tries += 1
            local_id = f"{row.id}.{self._tries}.{self.worker.rsplit(':', 1)[-1]}"
        earlier = row.attempt.get("local_ids", [])
        attempt = {"since": row.attempt.get("since", time.time()), "local_ids": [*earlier, local_id][-20:],
                   "queue_id": queue.queue_id if queue else None}
        self.spool.note_attempt(row, attempt)
        params = message.to_params()
        if queue is not None:
            params.update(queue_id=queue.queue_id, local_id=local_id)
        return params

    def arrived(self, row: SpooledMessage, message: Message, client: Client) -> Optional[int]:
        """The server's id of this post if an earlier try reached it, else None (send it)."""
        if not row.attempt:
            return None
        queue = self._queue(row.sender_id, client)
        if queue is not None and queue.queue_id == row.attempt.get("queue_id"):
            found = self._from_queue(queue, row, client)
            if found is not None or queue.queue_id in self._live_queues():
                return found
        return self._from_history(row, message, client)

    # -- the queue ------------------------------------------------------------------------------

    def _live_queues(self) -> set[str]:
        with self._lock:
            return {q.queue_id for q, _ in self._queues.values() if q is not None}

    def not_taken(self, row: SpooledMessage) -> None:
        """The server answered this try with a refusal (a 429, a 4xx), or it never left: it is not there.

        What earlier tries left unsure stays recorded, so they are still looked for.
        """
        self.spool.note_attempt(row, row.attempt)

    def _queue(self, sender_id: int, client: Client) -> Optional[_Queue]:
        """The bot's queue (registered on first use, again a minute after a failed try); acknowledged now and then."""
        with self._registering.setdefault(sender_id, threading.Lock()):  # one registration per bot, not per thread
            return self._queue_of(sender_id, client)

    def _queue_of(self, sender_id: int, client: Client) -> Optional[_Queue]:
        with self._lock:
            queue, registered_at = self._queues.get(sender_id, (None, None))
            due = False
            if queue is not None:
                queue.unacknowledged += 1
                due = queue.unacknowledged >= ACK_EVERY
        if queue is None:
            if registered_at is not None and time.monotonic() - registered_at < REREGISTER_AFTER:
                return None
            return self._register(sender_id, client)
        if due:
            try:
                self._poll(queue, client)
            except APIError:
                return self._register(sender_id, client)
        return queue

    def _register(self, sender_id: int, client: Client) -> Optional[_Queue]:
        try:
            # One try: a server that is down fails the post anyway, and the queue is asked for again later.
            state = client.register(event_types=["message"], narrow=[{"operator": "sender", "operand": client.email}],
                                    retry=NO_RETRY)
            queue: Optional[_Queue] = _Queue(str(state["queue_id"]), int(state.get("last_event_id", -1)))
        except (WyzePalError, KeyError, TypeError, ValueError) as exc:
            log.info("no event queue for telling lost answers (%s); the topic's history is read instead", exc)
            queue = None
        with self._lock:
            self._queues[sender_id] = (queue, time.monotonic())
        return queue

    def _poll(self, queue: _Queue, client: Client) -> None:
        """Read what the queue has (without waiting): the local ids that arrived, and acknowledge them."""
        try:
            events = client.get_events(queue.queue_id, queue.last_event_id, dont_block=True)["events"]
        except APIError as exc:
            if exc.code == "BAD_EVENT_QUEUE_ID":
                with self._lock:
                    for sender, (known, _) in list(self._queues.items()):
                        if known is queue:
                            del self._queues[sender]  # registered again on the next try
            raise
        with self._lock:
            for event in events:
                queue.last_event_id = max(queue.last_event_id, int(event.get("id", -1)))
                local_id = event.get("local_message_id")
                if event.get("type") == "message" and local_id:
                    queue.arrived[str(local_id)] = int(event["message"]["id"])
            while len(queue.arrived) > REMEMBERED:
                queue.arrived.pop(next(iter(queue.arrived)))
            queue.unacknowledged = 0

    def _from_queue(self, queue: _Queue, row: SpooledMessage, client: Client) -> Optional[int]:
        try:
            self._poll(queue, client)
        except APIError:
            return None
        for local_id in row.attempt.get("local_ids", []):
            if local_id in queue.arrived:
                log.info("outbox message %d had arrived (its answer was lost); not sent again", row.id)
                return queue.arrived[local_id]
        return None

    # -- the topic's history -----------------------------------------------------------------------

    def _from_history(self, row: SpooledMessage, message: Message, client: Client) -> Optional[int]:
        since = float(row.attempt.get("since", 0)) - CLOCK_SLACK
        if message.is_direct:
            narrow = [{"operator": "dm", "operand": list(message.to)}]
        else:
            narrow = [{"operator": "channel", "operand": message.stream},
                      {"operator": "topic", "operand": message.topic or ""}]
        narrow.append({"operator": "sender", "operand": client.email})
        recent = client.get_messages(anchor="newest", num_before=LOOK_BACK, narrow=narrow)["messages"]
        taken = self.spool.sent_ids(row.sender_id, since)
        wanted = message.checked().content.strip()
        for candidate in recent:  # oldest first: the earliest unclaimed copy is this post's
            if (int(candidate["id"]) not in taken and float(candidate.get("timestamp", 0)) >= since
                    and str(candidate.get("content", "")).strip() == wanted):
                log.info("outbox message %d had arrived as %s (found in the topic); not sent again",
                         row.id, candidate["id"])
                return int(candidate["id"])
        return None
