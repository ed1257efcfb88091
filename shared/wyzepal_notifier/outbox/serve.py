"""The delivery service of the shared outbox: ``wyzepal-integrations outbox serve --outbox-url redis://...``.

Run it on as many machines as you like. Each runs the local spool's
:class:`~wyzepal_notifier.outbox.courier.Courier` over the site's
:class:`~.redis_store.RedisStore`: order per ordering key comes from the key's
lease, a killed service's keys are taken over when its leases run out, and one
:class:`~.redis_store.RedisRateGate` per bot keeps every service of the site
within the bot's rate limit. The bots' API keys come from the config files
given with ``--config`` (never from Redis); rows of a bot no config names wait
for a service that has it.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Mapping, Optional, Sequence

from ..config import resolve_credentials
from ..config.credentials import Credentials
from .courier import DEFAULT_CONCURRENCY, DEFAULT_LEASE, Courier
from .redis_store import RedisStore, redis_errors
from .spool import Sender

if TYPE_CHECKING:
    from ..client.client import Client

log = logging.getLogger("wyzepal_notifier.outbox")

#: Before the server's first answer tells the bot's limit: this many requests per window (0: no limit).
DEFAULT_RATE = (0, 60.0)
#: The longest an idle service sleeps before it looks for due rows again.
IDLE_POLL = 0.5


class SharedCourier(Courier):
    """The courier, with each bot's clients behind the site-wide rate gate in Redis."""

    def __init__(self, store: RedisStore, *, rate: tuple[int, float] = DEFAULT_RATE, **options: object) -> None:
        super().__init__(store, **options)  # type: ignore[arg-type]
        self.rate = rate

    def _default_client(self, sender: Sender) -> Client:
        client = super()._default_client(sender)
        client.rate_gate = self.spool.rate_gate(sender.id, limit=self.rate[0], window=self.rate[1])  # type: ignore
        return client


def load_credentials(configs: Sequence[str]) -> dict[tuple[str, str], Credentials]:
    """The bots this service may send as: one plugin config or wyzepalrc each."""
    found = {}
    for path in configs:
        credentials = resolve_credentials(path)
        found[(credentials.site.rstrip("/"), credentials.email.lower())] = credentials
    return found


def serve(url: str, credentials: Mapping[tuple[str, str], Credentials], *, stop: Optional[threading.Event] = None,
          lease: float = DEFAULT_LEASE, concurrency: int = DEFAULT_CONCURRENCY,
          rate: tuple[int, float] = DEFAULT_RATE, until_empty: bool = False) -> int:
    """Deliver until ``stop`` is set (or, ``until_empty``, nothing is left); returns how many were delivered.

    Redis going away (a restart, a failover) pauses the service; it goes on when Redis is back.
    """
    stop = stop or threading.Event()
    store = RedisStore(url, credentials=credentials)
    courier = SharedCourier(store, stop=stop, lease=lease, concurrency=concurrency, rate=rate)
    delivered, pause = 0, 0.1
    heartbeat = threading.Thread(target=_keep_leases, args=(store, courier, stop), daemon=True,
                                 name="wyzepal-outbox-lease")
    heartbeat.start()
    log.info("delivering from %s as %s", store.path, ", ".join(email for _, email in credentials) or "nobody")
    try:
        while not stop.is_set():
            try:
                result = courier.deliver_round()
                pause = 0.1
            except redis_errors() as exc:
                log.warning("the shared outbox %s cannot be reached (%s); trying again in %.1f s",
                            store.path, exc, pause)
                stop.wait(pause)
                pause = min(5.0, pause * 2)
                continue
            except Exception:  # a bug must not end the service: the leases run out, another round tries again
                log.exception("outbox delivery round failed; trying again in %.1f s", pause)
                stop.wait(pause)
                pause = min(5.0, pause * 2)
                continue
            delivered += result.delivered
            if not result.claimed:
                if until_empty and not _has_work(store):
                    break
                stop.wait(_sleep_until(store))
    finally:
        try:
            store.release(courier.worker)
        except redis_errors():
            pass  # the leases run out by themselves
        courier.close()
        store.close()
    return delivered


def _keep_leases(store: RedisStore, courier: Courier, stop: threading.Event) -> None:
    """While this process lives, its leases are renewed, even during a request slower than the lease.

    So a key changes hands only when its worker is gone (killed, cut off from
    Redis), never while it still waits for the server's answer: that would send twice.
    """
    while not stop.wait(courier.lease / 3):
        try:
            store.extend(courier.worker, courier.lease)
        except redis_errors():
            pass


def _has_work(store: RedisStore) -> bool:
    try:
        return store.pending_count() > 0
    except redis_errors():
        return True


def _sleep_until(store: RedisStore) -> float:
    try:
        due = store.next_due()
    except redis_errors():
        return IDLE_POLL
    if due is None:
        return IDLE_POLL
    return min(IDLE_POLL, max(0.02, due - time.time()))
