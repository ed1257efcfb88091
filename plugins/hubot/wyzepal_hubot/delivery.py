"""Hubot's answers on their way to WyzePal: in order, retried, acknowledged.

One worker thread sends every answer in the order Hubot gave them. A server
that is down, slow or rate-limiting delays an answer (the client retries and
waits out 429s, and this worker tries again after that), it never drops it; an
answer the server refuses for good (unknown channel, bad recipient) is reported
back to the adapter as an ``error`` and the next one goes. Reactions (``res.react``)
take their turn in the same queue, so a script's "answer, then react" keeps its order;
reacting twice with the same emoji (a request resent after a bridge restart) is no error.

It keeps the library's one delivery contract (:class:`wyzepal_notifier.outbox.DeliveryOutbox`):
``put`` with a handle and the handle operations (edit, react, move, resolve) work as with any
outbox, with the same rules and fallbacks (``wyzepal_notifier.outbox.operations``). Unlike the
spool-backed outboxes it keeps nothing on disk: the adapter holds every request until it is
acknowledged and gives the unanswered ones to the next bridge, and handles live as long as
the bridge.
"""
from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Callable, Optional, TypeVar

from wyzepal_notifier import Client, Message, RetryPolicy
from wyzepal_notifier.errors import APIError, MessageRejected, WyzePalError
from wyzepal_notifier.outbox import HandleOperations, HandleState
from wyzepal_notifier.outbox.handles import FORGET, MemoryHandles
from wyzepal_notifier.outbox.operations import Operations, Unresolvable
from wyzepal_notifier.outbox.spool import SpooledMessage

from .outbound import ReactionChange, Work
from .protocol import LineWriter

log = logging.getLogger("wyzepal_hubot.delivery")

T = TypeVar("T")
_STOP = object()
#: One send's retries before this worker's own (endless, until stopped) next try.
SEND_RETRY = RetryPolicy(budget=30.0)
#: Codes that mean a reaction is already as asked (added twice, removed twice).
ALREADY_DONE = {"REACTION_ALREADY_EXISTS", "REACTION_DOES_NOT_EXIST"}


@dataclass(frozen=True)
class _Post:
    """A message put through the delivery contract (not an answer Hubot waits to hear about)."""

    message: Message
    handle: Optional[str] = None
    conversation: Optional[str] = None


class Delivery(HandleOperations):
    """A FIFO of ``(ref, work)`` and the thread that empties it."""

    def __init__(self, client: Client, writer: LineWriter, *, retry: RetryPolicy = SEND_RETRY,
                 wait: Optional[Callable[[float], bool]] = None) -> None:
        self.client = client
        self.writer = writer
        self.retry = retry
        self.handles = MemoryHandles()
        self._operations = Operations(self.handles)
        self._queue: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        self._wait = wait or self._stopping.wait
        self._thread = threading.Thread(target=self._run, name="wyzepal-hubot-delivery", daemon=True)

    def start(self) -> Delivery:
        self._thread.start()
        return self

    def answer(self, ref: Optional[str], work: Work) -> None:
        """Hubot's request ``ref``: its messages (or reaction) are sent in turn, then acknowledged."""
        self._queue.put((ref, work))

    # -- the library's delivery contract ---------------------------------------------------

    def put(self, message: Message, *, handle: Optional[str] = None, conversation: Optional[str] = None) -> None:
        self._queue.put((None, _Post(message.checked(), handle, conversation)))

    def _operation(self, handle: str, kind: str, args: dict) -> None:
        row = SpooledMessage(id=0, sender_id=0, key=f"handle:{handle}", message=None, attempts=0, kind=kind,
                             handle=handle, args=args)
        self._queue.put((None, row))

    def handle_state(self, handle: str) -> Optional[HandleState]:
        return self.handles.handle_state(handle)

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Wait until everything queued so far was sent (or refused); False when ``timeout`` ran out first."""
        done = threading.Event()
        self._queue.put((None, done))
        return done.wait(timeout)

    def reject(self, ref: Optional[str], reason: str) -> None:
        """Answer a request that cannot become a message, in its turn."""
        self._queue.put((ref, reason))

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def close(self, timeout: float = 5.0) -> bool:
        """Send what can be sent within ``timeout``; True when nothing was left behind.

        Unanswered requests stay with the adapter, which gives them to the next bridge.
        """
        self._queue.put((None, _STOP))
        self._thread.join(timeout)
        self._stopping.set()
        self._thread.join(1.0)
        return not self._thread.is_alive() and self._queue.empty()

    def _run(self) -> None:
        while not self._stopping.is_set():
            ref, work = self._queue.get()
            if work is _STOP:
                return
            if isinstance(work, str):
                log.error("answer %s not sent: %s", ref, work)
                self.writer.error(ref, work, permanent=True)
                continue
            if isinstance(work, threading.Event):
                work.set()
                continue
            try:
                if isinstance(work, ReactionChange):
                    self._react(ref, work)
                elif isinstance(work, _Post):
                    self._post(work)
                elif isinstance(work, SpooledMessage):
                    self._apply(work)
                else:
                    self._deliver_all(ref, work)
            except Exception as exc:  # one answer that cannot be sent must not silence the ones after it
                log.exception("answer %s could not be sent", ref)
                self.writer.error(ref, f"could not be sent: {exc}", permanent=True)

    def _deliver_all(self, ref: Optional[str], messages: list[Message]) -> None:
        ids = []
        for message in messages:
            if self._stopping.is_set():
                return
            try:
                message_id = self._deliver(message)
            except (APIError, MessageRejected) as exc:
                where = message.stream or ",".join(message.to)
                log.error("answer %s to %s refused: %s", ref, where, exc)
                self.writer.error(ref, str(exc), permanent=True)
                return
            if message_id is None:  # stopping: the adapter keeps the request for the next bridge
                return
            ids.append(message_id)
        log.debug("answer %s sent as %s", ref, ids)
        self.writer.ack(ref, ids)

    def _react(self, ref: Optional[str], change: ReactionChange) -> None:
        verb = self.client.add_reaction if change.add else self.client.remove_reaction

        def apply() -> int:
            try:
                verb(change.message_id, change.emoji, retry=self.retry)
            except APIError as exc:
                if exc.code not in ALREADY_DONE:
                    raise
            return change.message_id

        try:
            done = self._attempt(apply)
        except APIError as exc:
            log.error("reaction %s (%s on message %d) refused: %s", ref, change.emoji, change.message_id, exc)
            self.writer.error(ref, str(exc), permanent=True)
            return
        if done is not None:
            self.writer.ack(ref, [done])

    def _post(self, post: _Post) -> None:
        message = post.message
        state = self.handles.handle_state(post.conversation) if post.conversation else None
        if state is not None and state.topic and not message.is_direct and state.stream == message.stream:
            message = Message.to_stream(message.stream or "", state.topic, message.content)
        try:
            message_id = self._deliver(message)
        except (APIError, MessageRejected) as exc:
            log.error("message to %s refused: %s", message.stream or ",".join(message.to), exc)
            return
        if message_id is not None and post.handle:
            self.handles.learn_handle(post.handle, 0, message_id, message.stream, message.topic, None,
                                      to=message.to)

    def _apply(self, row: SpooledMessage) -> None:
        """A handle operation, with the library's rules and fallbacks; refusals are kept on the handle."""
        if row.kind == FORGET:
            self.handles.forget(row.handle or "")
            return
        try:
            refusal = self._attempt(lambda: self._operations.apply(row, self.client) or "")
        except (Unresolvable, APIError, MessageRejected) as exc:
            log.error("%s of %s not applied: %s", row.kind, row.handle, exc)
            return
        if refusal:
            log.warning("%s of %s: %s", row.kind, row.handle, refusal)
            self.handles.refuse(row.handle or "", row.kind, refusal)

    def _deliver(self, message: Message) -> Optional[int]:
        return self._attempt(lambda: int(self.client.send_message(message, retry=self.retry)["id"]))

    def _attempt(self, action: Callable[[], T]) -> Optional[T]:
        """``action()`` until it works or is refused for good; None when stopping first."""
        attempt = 0
        while True:
            try:
                return action()
            except APIError as exc:
                if exc.permanent:
                    raise
                error: WyzePalError = exc
            except WyzePalError as exc:
                if getattr(exc, "permanent", False):
                    raise
                error = exc
            delay = self.retry.backoff(min(attempt, 6))
            log.warning("answer not delivered yet (%s); trying again in %.1f s", error, delay)
            attempt += 1
            if self._wait(delay):
                return None
