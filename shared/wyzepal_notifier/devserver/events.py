"""Event queues for POST /register and the GET /events long-poll.

Waiting clients are asyncio futures on the server's loop, never threads, so a
thousand idle bots cost a thousand small objects.  Every method here must run
on that loop (the runner routes calls from other threads through it).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Optional, Set

from .narrow import Term
from .responses import ApiError


def bad_queue(queue_id: str) -> ApiError:
    """The spec's BadEventQueueIdError."""
    return ApiError(f"Bad event queue ID: {queue_id}", "BAD_EVENT_QUEUE_ID", queue_id=queue_id)


@dataclass
class EventQueue:
    """One client's queue: its filters, its pending events and who waits on it."""

    queue_id: str
    user_id: int
    event_types: Optional[FrozenSet[str]]
    narrow: List[Term]
    all_public_streams: bool
    apply_markdown: bool
    #: The ``empty_topic_name`` client capability: "" topics are sent as they are.
    empty_topic_name: bool = False
    events: List[Dict[str, Any]] = field(default_factory=list)
    next_id: int = 0
    last_access: float = field(default_factory=time.monotonic)
    waiters: Set[asyncio.Future[None]] = field(default_factory=set)

    def wants(self, event_type: str) -> bool:
        """Whether the client registered for this event type."""
        return self.event_types is None or event_type in self.event_types

    def push(self, event: Dict[str, Any]) -> None:
        """Append an event with the next id and wake whoever is waiting."""
        self.events.append({**event, "id": self.next_id})
        self.next_id += 1
        self.wake()

    def wake(self) -> None:
        """Release every waiting GET /events of this queue."""
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)

    def prune(self, last_event_id: Optional[int]) -> None:
        """Drop events the client acknowledged (id <= last_event_id)."""
        if last_event_id is not None:
            self.events = [e for e in self.events if e["id"] > last_event_id]


class EventQueues:
    """All live queues, their long-poll waits and their idle collection."""

    def __init__(self, queue_timeout: float) -> None:
        self.queue_timeout = queue_timeout
        self._queues: Dict[str, EventQueue] = {}

    def register(
        self,
        user_id: int,
        event_types: Optional[List[str]],
        narrow: List[Term],
        all_public_streams: bool = False,
        apply_markdown: bool = False,
    ) -> EventQueue:
        """Create a queue; ``event_types`` None means every type."""
        queue = EventQueue(
            queue_id=str(uuid.uuid4()),
            user_id=user_id,
            event_types=None if event_types is None else frozenset(event_types),
            narrow=narrow,
            all_public_streams=all_public_streams,
            apply_markdown=apply_markdown,
        )
        self._queues[queue.queue_id] = queue
        return queue

    def get(self, queue_id: str, user_id: int) -> EventQueue:
        """The caller's queue, or BAD_EVENT_QUEUE_ID when gone or idle too long."""
        self.collect_idle()
        queue = self._queues.get(queue_id)
        if queue is None:
            raise bad_queue(queue_id)
        if queue.user_id != user_id:
            raise ApiError("You are not authorized to get events from this queue")
        queue.last_access = time.monotonic()
        return queue

    def delete(self, queue_id: str, user_id: int) -> None:
        """DELETE /events: forget the queue (its waiters get BAD_EVENT_QUEUE_ID)."""
        self.get(queue_id, user_id)
        self.expire(queue_id)

    def expire(self, queue_id: str) -> bool:
        """Drop a queue as the server's garbage collector would; False if unknown."""
        queue = self._queues.pop(queue_id, None)
        if queue is not None:
            queue.wake()
        return queue is not None

    def expire_all(self) -> int:
        """Drop every queue; returns how many there were."""
        ids = list(self._queues)
        for queue_id in ids:
            self.expire(queue_id)
        return len(ids)

    def all(self) -> List[EventQueue]:
        """Live queues (a snapshot, safe to iterate while pushing)."""
        return list(self._queues.values())

    def collect_idle(self) -> int:
        """Expire queues nobody polled for ``queue_timeout`` seconds."""
        cutoff = time.monotonic() - self.queue_timeout
        idle = [q.queue_id for q in self._queues.values() if not q.waiters and q.last_access < cutoff]
        for queue_id in idle:
            self.expire(queue_id)
        return len(idle)

    async def wait(
        self, queue: EventQueue, last_event_id: Optional[int], dont_block: bool, heartbeat: float
    ) -> List[Dict[str, Any]]:
        """Events newer than ``last_event_id``; blocks until one arrives or a heartbeat."""
        queue.prune(last_event_id)
        if not queue.events and not dont_block:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            queue.waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, heartbeat)
            except asyncio.TimeoutError:
                queue.push({"type": "heartbeat"})
            finally:
                queue.waiters.discard(waiter)
                queue.last_access = time.monotonic()
            if self._queues.get(queue.queue_id) is not queue:
                raise bad_queue(queue.queue_id)
        return list(queue.events)
