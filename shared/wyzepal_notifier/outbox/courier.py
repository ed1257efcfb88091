"""One round of delivery: claim rows from the spool, send them, record what happened.

Shared by the background thread of :class:`~wyzepal_notifier.outbox.Outbox`, the
detached worker process and ``wyzepal-integrations outbox flush``, so all three
treat failures alike:

- delivered: the row is deleted (and counted);
- a permanent refusal (4xx other than 408/429: unknown channel, bad key): the row
  becomes ``dead`` with the server's reason and the rows behind it go on;
- server down, 5xx, timeout: the sender is held back with exponential backoff
  (shared by every process using the spool) and the row keeps its place;
- 429: the sender is held until the server's ``Retry-After``; no attempt is counted.

The client gets a short retry budget per call so a worker stays responsive; the
spool provides the long-term retry.
"""
from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

from ..client import RetryPolicy
from ..errors import APIError, MessageRejected, RateLimited, ServerUnreachable
from .spool import Sender, Spool, SpooledMessage, worker_identity

if TYPE_CHECKING:  # requests is imported only when a message is really sent
    from ..client.client import Client

log = logging.getLogger("wyzepal_notifier.outbox")

#: Per HTTP call: a few quick retries, then the spool takes over.
CALL_RETRY = RetryPolicy(budget=5.0, base=0.25, cap=2.0)
#: Between attempts of a row, and while a server stays down: 1 s doubling up to 5 min.
SPOOL_BACKOFF = RetryPolicy(base=1.0, cap=300.0)
DEFAULT_LEASE = 60.0
READ_TIMEOUT = 20.0

ClientFactory = Callable[[Sender], "Client"]


class Interrupted(Exception):
    """The courier was asked to stop while a call was waiting to retry."""


@dataclass
class RoundResult:
    """What one :meth:`Courier.deliver_round` did."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0


class Courier:
    """Delivers claimed rows with one client per sender; never raises for a delivery failure."""

    def __init__(self, spool: Spool, *, stop: Optional[threading.Event] = None, lease: float = DEFAULT_LEASE,
                 backoff: RetryPolicy = SPOOL_BACKOFF, call_retry: RetryPolicy = CALL_RETRY,
                 client_factory: Optional[ClientFactory] = None) -> None:
        self.spool = spool
        self.stop = stop or threading.Event()
        self.worker = worker_identity()
        self.lease = lease
        self.backoff = backoff
        self.call_retry = call_retry
        self._client_factory = client_factory or self._default_client
        self._clients: dict[int, tuple[Sender, Client]] = {}
        self._lease_renewed = 0.0
        self._checked: set[int] = set()

    def _default_client(self, sender: Sender) -> Client:
        from ..client.client import Client

        return Client.from_credentials(sender.credentials, client_name=sender.client_name,
                                       client_version=sender.client_version or "0",
                                       retry=self.call_retry, read_timeout=READ_TIMEOUT, sleep=self._sleep)

    def _sleep(self, seconds: float) -> None:
        """The client's wait between retries, cut short (by an exception) when asked to stop."""
        if self.stop.wait(seconds):
            raise Interrupted()

    def client_for(self, sender_id: int) -> Client:
        """The sender's client, rebuilt when its credentials changed in the spool (checked once a round)."""
        cached = self._clients.get(sender_id)
        if cached is not None and sender_id in self._checked:
            return cached[1]
        sender = self.spool.sender(sender_id)
        self._checked.add(sender_id)
        if cached is not None and cached[0] == sender:
            return cached[1]
        if cached is not None:
            cached[1].close()
        client = self._client_factory(sender)
        self._clients[sender_id] = (sender, client)
        return client

    def close(self) -> None:
        for _, client in self._clients.values():
            client.close()
        self._clients.clear()

    def deliver_round(self) -> RoundResult:
        """Claim what is due, deliver it key by key in order, give back what was not tried."""
        result = RoundResult()
        rows = self.spool.claim(self.worker, lease=self.lease)
        result.claimed = len(rows)
        self._checked.clear()
        self._lease_renewed = time.monotonic()
        held: set[int] = set()
        try:
            for _, run in itertools.groupby(rows, key=lambda row: row.key):
                self._deliver_run(list(run), held, result)
                if self.stop.is_set():
                    break
        finally:
            if rows:
                self.spool.release(self.worker)
        return result

    def _deliver_run(self, run: list[SpooledMessage], held: set[int], result: RoundResult) -> None:
        """Rows of one ordering key: stop at the first that must wait, so order holds."""
        for row in run:
            if row.sender_id in held or self.stop.is_set():
                return
            self._keep_lease()
            outcome = self._deliver(row, held)
            if outcome == "delivered":
                result.delivered += 1
            elif outcome == "dead":
                result.dead += 1
            elif outcome == "interrupted":
                return
            else:
                result.failed += 1
                return

    def _keep_lease(self) -> None:
        """Renew the lease on the rows still to go once a third of it has passed."""
        if time.monotonic() - self._lease_renewed > self.lease / 3:
            self.spool.extend(self.worker, self.lease)
            self._lease_renewed = time.monotonic()

    def _deliver(self, row: SpooledMessage, held: set[int]) -> str:
        try:
            self.client_for(row.sender_id).send_message(row.message)
        except Interrupted:
            return "interrupted"  # untried as far as we know; the round's end releases it
        except RateLimited as exc:
            wait = exc.retry_after if exc.retry_after is not None else 1.0
            self.spool.hold_sender(row.sender_id, wait, failed=False)
            self.spool.retry_later(row, self.worker, str(exc), 0.0, count=False)
            held.add(row.sender_id)
            return "waiting"
        except (ServerUnreachable, MessageRejected, APIError) as exc:
            return self._failed(row, exc, held)
        except Exception as exc:  # a bug must not stop delivery of everything else
            log.exception("unexpected error delivering outbox message %d", row.id)
            self.spool.retry_later(row, self.worker, f"{type(exc).__name__}: {exc}",
                                   self._backoff(row.attempts))
            return "waiting"
        self.spool.delivered(row)
        return "delivered"

    def _backoff(self, failures: int) -> float:
        return self.backoff.backoff(failures)

    def _failed(self, row: SpooledMessage, exc: Exception, held: set[int]) -> str:
        if getattr(exc, "permanent", False):
            log.error("outbox message %d will not be retried: %s", row.id, exc)
            self.spool.bury(row, self.worker, str(exc))
            return "dead"
        if isinstance(exc, ServerUnreachable) or (isinstance(exc, APIError) and exc.status is None):
            delay = self._backoff(self.spool.sender_failures(row.sender_id))
            self.spool.hold_sender(row.sender_id, delay, failed=True)
            held.add(row.sender_id)
            log.warning("%s; outbox retries in %.0f s", exc, delay)
            self.spool.retry_later(row, self.worker, str(exc), 0.0)
            return "waiting"
        delay = self._backoff(row.attempts)
        log.warning("outbox message %d failed (%s); retrying in %.0f s", row.id, exc, delay)
        self.spool.retry_later(row, self.worker, str(exc), delay)
        return "waiting"
