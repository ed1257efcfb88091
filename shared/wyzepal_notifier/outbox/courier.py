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

Rows of different ordering keys (channel and topic, or a handle's conversation)
go out concurrently, a few threads at once, each key's rows strictly in order;
one bot's clients share one rate-limit gate, so together they wait for the
server's reset instead of running into 429s. Operations on message handles
(edit, react, move, resolve) are applied by :mod:`.operations`.

The client gets a short retry budget per call so a worker stays responsive; the
spool provides the long-term retry.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

from ..client import RetryPolicy
from ..client.retry import RateLimitGate
from ..errors import APIError, MessageRejected, RateLimited, ServerUnreachable
from .alerts import Alerter
from .handles import POST
from .once import SendOnce
from .operations import Operations, Unresolvable
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
#: Ordering keys delivered at once. A few requests in flight are what a chat server
#: handles best; more only meet its rate limit sooner.
DEFAULT_CONCURRENCY = 4
#: Seconds between two looks for handles past their time.
HOUSEKEEPING_EVERY = 3600.0

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
    """Delivers claimed rows with one client per sender and thread; never raises for a delivery failure."""

    def __init__(self, spool: Spool, *, stop: Optional[threading.Event] = None, lease: float = DEFAULT_LEASE,
                 backoff: RetryPolicy = SPOOL_BACKOFF, call_retry: RetryPolicy = CALL_RETRY,
                 client_factory: Optional[ClientFactory] = None, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.spool = spool
        self.stop = stop or threading.Event()
        self.worker = worker_identity()
        self.lease = lease
        self.backoff = backoff
        self.call_retry = call_retry
        self.concurrency = max(1, int(concurrency))
        self.operations = Operations(spool)
        self.once = SendOnce(spool, self.worker)
        #: A post is not sent again inside one call: whether a try whose answer was lost arrived is
        #: checked first (``.once``), so its retries go through the spool.
        self.post_retry = dataclasses.replace(call_retry, budget=0.0)
        self.alerter = Alerter(spool)
        self._client_factory = client_factory or self._default_client
        self._local = threading.local()
        self._all_clients: list[Client] = []
        self._gates: dict[int, RateLimitGate] = {}
        self._lock = threading.Lock()
        self._lease_renewed = 0.0
        self._round = 0
        self._housekept = -HOUSEKEEPING_EVERY  # at the first round, then hourly
        self._pool: Optional[ThreadPoolExecutor] = None

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
        """This thread's client of the sender, rebuilt when its credentials in the spool changed (checked per round)."""
        clients: dict[int, tuple[Sender, Client, int]] = self._local.__dict__.setdefault("clients", {})
        cached = clients.get(sender_id)
        if cached is not None and cached[2] == self._round:
            return cached[1]
        sender = self.spool.sender(sender_id)
        if cached is not None and cached[0] == sender:
            clients[sender_id] = (sender, cached[1], self._round)
            return cached[1]
        if cached is not None:
            cached[1].close()
        client = self._client_factory(sender)
        with self._lock:
            gate = self._gates.setdefault(sender_id, client.rate_gate)
            self._all_clients.append(client)
        client.rate_gate = gate
        clients[sender_id] = (sender, client, self._round)
        return client

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        with self._lock:
            clients, self._all_clients = self._all_clients, []
        for client in clients:
            client.close()

    def deliver_round(self) -> RoundResult:
        """Claim what is due, deliver it key by key in order (keys side by side), give back what was not tried."""
        result = RoundResult()
        rows = self.spool.claim(self.worker, lease=self.lease)
        result.claimed = len(rows)
        self._round += 1
        self._lease_renewed = time.monotonic()
        held: set[int] = set()
        runs = _runs_by_key(rows)
        try:
            if len(runs) <= 1 or self.concurrency == 1:
                for run in runs:
                    self._deliver_run(run, held, result)
                    if self.stop.is_set():
                        break
            else:
                pool = self._thread_pool()
                for future in [pool.submit(self._deliver_run, run, held, result) for run in runs]:
                    future.result()
        finally:
            if rows:
                self.spool.release(self.worker)
        self.alerter.after_round(something_died=result.dead > 0)
        self._keep_house()
        return result

    def _keep_house(self) -> None:
        """Now and then: let go of handles past their time (90 days by default) whose conversations are done."""
        if time.monotonic() - self._housekept < HOUSEKEEPING_EVERY:
            return
        self._housekept = time.monotonic()
        try:
            forgotten = self.spool.forget_expired_handles()
        except Exception:  # housekeeping must never stop delivery
            log.exception("could not forget expired message handles")
            return
        if forgotten:
            log.info("forgot %d message handle(s) past their time", forgotten)

    def _thread_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="wyzepal-courier")
        return self._pool

    def _deliver_run(self, run: list[SpooledMessage], held: set[int], result: RoundResult) -> None:
        """Rows of one ordering key: stop at the first that must wait, so order holds."""
        for row in run:
            if row.sender_id in held or self.stop.is_set():
                return
            self._keep_lease()
            outcome = self._deliver(row, held)
            with self._lock:
                if outcome == "delivered":
                    result.delivered += 1
                elif outcome == "dead":
                    result.dead += 1
                elif outcome != "interrupted":
                    result.failed += 1
            if outcome not in ("delivered", "dead"):
                return

    def _keep_lease(self) -> None:
        """Renew the lease on the rows still to go once a third of it has passed."""
        with self._lock:
            due = time.monotonic() - self._lease_renewed > self.lease / 3
            if due:
                self._lease_renewed = time.monotonic()
        if due:
            self.spool.extend(self.worker, self.lease)

    def _deliver(self, row: SpooledMessage, held: set[int]) -> str:
        client = self.client_for(row.sender_id)
        met = client.answers_429
        try:
            return self._send(row, client)
        except Interrupted:
            return "interrupted"  # untried as far as we know; the round's end releases it
        except RateLimited as exc:
            if row.kind == POST:
                self.once.not_taken(row)  # refused or never sent: nothing to look for next time
            wait = exc.retry_after if exc.retry_after is not None else 1.0
            self.spool.hold_sender(row.sender_id, wait, failed=False)
            self.spool.retry_later(row, self.worker, str(exc), 0.0, count=False)
            held.add(row.sender_id)
            return "waiting"
        except Unresolvable as exc:
            log.error("outbox %s %d will not be retried: %s", row.kind, row.id, exc)
            self.spool.bury(row, self.worker, str(exc))
            return "dead"
        except (ServerUnreachable, MessageRejected, APIError) as exc:
            return self._failed(row, exc, held)
        except Exception as exc:  # a bug must not stop delivery of everything else
            log.exception("unexpected error delivering outbox %s %d", row.kind, row.id)
            self.spool.retry_later(row, self.worker, f"{type(exc).__name__}: {exc}",
                                   self._backoff(row.attempts))
            return "waiting"
        finally:
            if client.answers_429 != met:
                self.spool.count("rate_limited", client.answers_429 - met)

    def _send(self, row: SpooledMessage, client: Client) -> str:
        """One row to the server: a post (its id recorded for its handle) or an operation."""
        if row.kind == POST:
            message = self.operations.destination(row)
            message_id = self.once.arrived(row, message, client)  # an earlier try whose answer was lost
            if message_id is None:
                answer = client.send_message(self.once.params(row, message, client), retry=self.post_retry)
                message_id = _int_or_none(answer.get("id"))
            self.spool.delivered(row, message_id=message_id, topic=message.topic)
            return "delivered"
        refusal = self.operations.apply(row, client)
        if refusal is None:
            self.spool.delivered(row)
        else:
            log.warning("outbox %s of %s: %s", row.kind, row.handle, refusal)
            self.spool.refuse(row, refusal)
        return "delivered"

    def _backoff(self, failures: int) -> float:
        return self.backoff.backoff(failures)

    def _failed(self, row: SpooledMessage, exc: Exception, held: set[int]) -> str:
        if row.kind == POST and (isinstance(exc, MessageRejected) or (isinstance(exc, APIError) and exc.status)):
            self.once.not_taken(row)  # the server answered no: it did not take the message
        if getattr(exc, "permanent", False):
            log.error("outbox %s %d will not be retried: %s", row.kind, row.id, exc)
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
        log.warning("outbox %s %d failed (%s); retrying in %.0f s", row.kind, row.id, exc, delay)
        self.spool.retry_later(row, self.worker, str(exc), delay)
        return "waiting"


def _runs_by_key(rows: list[SpooledMessage]) -> list[list[SpooledMessage]]:
    """The claimed rows of each sender's ordering key together, oldest first (claim interleaves them)."""
    runs: dict[tuple[int, str], list[SpooledMessage]] = {}
    for row in rows:
        runs.setdefault((row.sender_id, row.key), []).append(row)
    return list(runs.values())


def _int_or_none(value: object) -> Optional[int]:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
