"""Hubot's answers on their way to WyzePal: in order, retried, acknowledged.

One worker thread sends every answer in the order Hubot gave them. A server
that is down, slow or rate-limiting delays an answer (the client retries and
waits out 429s, and this worker tries again after that), it never drops it; an
answer the server refuses for good (unknown channel, bad recipient) is reported
back to the adapter as an ``error`` and the next one goes.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Callable, Optional

from wyzepal_notifier import Client, Message, RetryPolicy
from wyzepal_notifier.errors import APIError, MessageRejected, WyzePalError

from .protocol import LineWriter

log = logging.getLogger("wyzepal_hubot.delivery")

_STOP = object()
#: One send's retries before this worker's own (endless, until stopped) next try.
SEND_RETRY = RetryPolicy(budget=30.0)


class Delivery:
    """A FIFO of ``(ref, messages)`` and the thread that empties it."""

    def __init__(self, client: Client, writer: LineWriter, *, retry: RetryPolicy = SEND_RETRY,
                 wait: Optional[Callable[[float], bool]] = None) -> None:
        self.client = client
        self.writer = writer
        self.retry = retry
        self._queue: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        self._wait = wait or self._stopping.wait
        self._thread = threading.Thread(target=self._run, name="wyzepal-hubot-delivery", daemon=True)

    def start(self) -> Delivery:
        self._thread.start()
        return self

    def put(self, ref: Optional[str], messages: list[Message]) -> None:
        self._queue.put((ref, messages))

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
            try:
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

    def _deliver(self, message: Message) -> Optional[int]:
        attempt = 0
        while True:
            try:
                return int(self.client.send_message(message, retry=self.retry)["id"])
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
