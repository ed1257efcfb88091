"""The shared outbox's store on Redis: the same rows, claims and records as the SQLite spool, site-wide.

Every machine of a site (Jenkins agents, git servers, Trac workers) appends to
one Redis; delivery services on any number of machines empty it with the very
:class:`~wyzepal_notifier.outbox.courier.Courier`, :class:`~.operations.Operations`
and :class:`~.once.SendOnce` the local spool uses: this class offers the methods
of :class:`~wyzepal_notifier.outbox.spool.Spool` they call, so failure handling,
handle operations and sending once are written once.

Layout (all names under one prefix, ``wyzepal:outbox`` by default):

- ``q:<sender>:<key>``: a *stream* per ordering key (a bot's channel and topic, or
  a handle's conversation). ``XADD`` keeps the rows in the order they were put;
  a delivered row is ``XDEL``-ed. A consumer group would hand consecutive rows of
  one topic to two workers at once, so ownership is per key instead:
- ``lease:<stream>``: ``SET NX PX`` by the worker delivering that key. A worker
  killed mid-delivery stops renewing it; after the lease another worker takes the
  key over, and ``SendOnce`` checks whether the killed worker's try arrived.
- ``due``: a sorted set of the streams with rows, scored by when they may next be
  tried (a row's backoff); ``sender:<id>`` holds a bot's backoff and failures.
- ``h:<handle>``: what is known of a handle (its order key, message id, topic).
- ``dead``, ``att`` (what each try of a post sent), ``sent:<sender>``, stats, alerts.

Every change that must be all-or-nothing is one Lua script or ``MULTI``; no
consensus of our own. API keys never reach Redis: a row names its bot by site
and email; the delivery service has the keys in its own config files.
"""
from __future__ import annotations

import json
import logging
import math
import threading
import time
import uuid
from typing import Any, Mapping, Optional, Sequence
from urllib.parse import urlsplit, urlunsplit

from ..config.credentials import Credentials
from ..errors import ConfigError
from ..message import Message
from .handles import DEFAULT_HANDLE_TTL, FORGET, POST, HandleInUse, HandleState, Refusal, check_handle, encode_args
from .spool import STATS_BUCKET, Sender, SpooledMessage, SpoolStatus, describe_row

log = logging.getLogger("wyzepal_notifier.outbox")

DEFAULT_PREFIX = "wyzepal:outbox"
#: A forwarded row's mark (so a forward retried after a lost answer is not queued twice) lives this long.
FORWARD_MEMORY = 7 * 24 * 3600
#: Seconds a Redis call may take before it counts as Redis being unreachable.
SOCKET_TIMEOUT = 5.0

#: One put: the handle claimed (or HandleInUse), the order key found, the row appended, the key made due.
_PUT = """
local p, sender, kind, handle, conv = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now, ttl, token = tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10]
if token ~= '' and redis.call('EXISTS', p .. ':fwd:' .. token) == 1 then return {'dup', 0} end
local key = ARGV[11]
local named = handle
if kind == 'post' then named = conv end
if named ~= '' then
  local known = redis.call('HGET', p .. ':h:' .. named, 'order_key')
  if known then key = known elseif kind ~= 'post' then key = 'handle:' .. named end
end
if kind == 'post' and handle ~= '' then
  local h = p .. ':h:' .. handle
  local expires = redis.call('HGET', h, 'expires')
  if expires and tonumber(expires) > now then return {'in_use', 0} end
  redis.call('DEL', h, p .. ':refusals:' .. handle)
  redis.call('HSET', h, 'sender', sender, 'order_key', key, 'stream', ARGV[12], 'topic', ARGV[13],
             'recipients', ARGV[14], 'created', ARGV[8], 'expires', tostring(now + ttl), 'post_state', 'pending')
  redis.call('EXPIREAT', h, math.floor(now + ttl + 604800))
end
local id = redis.call('INCR', p .. ':seq')
local q = p .. ':q:' .. sender .. ':' .. key
redis.call('XADD', q, '*', 'id', id, 'sender', sender, 'key', key, 'kind', kind, 'handle', handle,
           'body', ARGV[6], 'args', ARGV[7], 'created', ARGV[8])
redis.call('ZADD', p .. ':due', 'NX', now, q)
if token ~= '' then redis.call('SET', p .. ':fwd:' .. token, id, 'EX', ARGV[15]) end
return {'ok', id}
"""
#: A row is done: removed from its stream; a stream left empty is no longer due.
_REMOVE = """
redis.call('XDEL', KEYS[1], ARGV[1])
if redis.call('XLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], KEYS[1])
end
return 1
"""
#: A lease let go or renewed only by its holder.
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
_RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"
#: Before a post goes out: record the try, only while the key's lease is still this worker's (renewed).
_ATTEMPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if ARGV[3] == '' then redis.call('HDEL', KEYS[2], 'attempt') else redis.call('HSET', KEYS[2], 'attempt', ARGV[3]) end
return 1
"""
_SENDER = """
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then id = redis.call('INCR', KEYS[3]); redis.call('HSET', KEYS[1], ARGV[1], id) end
redis.call('HSET', KEYS[2], id, ARGV[2])
return id
"""


def redacted(url: str) -> str:
    """The URL without its password, for logs, status and alerts."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def is_redis_url(text: Optional[str]) -> bool:
    return bool(text) and str(text).split("://", 1)[0].lower() in ("redis", "rediss", "unix")


def connect(url: str, *, timeout: float = SOCKET_TIMEOUT) -> Any:
    """A Redis client for ``url`` (``redis://``, ``rediss://`` with TLS, a password in the URL), not yet connected."""
    try:
        import redis
    except ImportError:
        raise ConfigError("needs the redis client library", path="OUTBOX_URL", key="OUTBOX_URL",
                          fix="pip install 'wyzepal-integrations[redis]'") from None
    if not is_redis_url(url):
        raise ConfigError(f"is {redacted(str(url))!r}, not a Redis URL", path="OUTBOX_URL", key="OUTBOX_URL",
                          expected="redis://host:6379/0 or rediss://:password@host:6380/0",
                          fix="set OUTBOX_URL (or $WYZEPAL_OUTBOX_URL) to the Redis the delivery service uses")
    try:
        return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                    decode_responses=True, health_check_interval=30)
    except ValueError as exc:
        raise ConfigError(f"cannot be used: {exc}", path="OUTBOX_URL", key="OUTBOX_URL",
                          expected="redis://host:6379/0", fix="correct the URL") from None


def redis_errors() -> tuple[type[BaseException], ...]:
    """What "Redis cannot be reached (now)" looks like to the client: the fallback's trigger."""
    import redis

    return (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, OSError,
            redis.exceptions.ReadOnlyError, redis.exceptions.ClusterDownError, redis.exceptions.TryAgainError,
            redis.ResponseError)


class LeaseLost(Exception):
    """This worker's lease on a key ran out before it sent: the row is another worker's now."""


class RedisStore:
    """The rows of a whole site in one Redis, with the methods of ``Spool`` the courier uses.

    ``credentials`` (the delivery service's side) maps ``(site, email)`` to the
    bot's credentials; rows of a bot this process has no key for are left to a
    service that has. Producers pass none: they only append.
    """

    def __init__(self, url: str, *, credentials: Optional[Mapping[tuple[str, str], Credentials]] = None,
                 prefix: str = DEFAULT_PREFIX, timeout: float = SOCKET_TIMEOUT) -> None:
        self.url = url
        self.path = redacted(url)
        self.prefix = prefix
        self.redis = connect(url, timeout=timeout)
        self.credentials = {(site.rstrip("/"), email.lower()): c for (site, email), c in (credentials or {}).items()}
        self._put = self.redis.register_script(_PUT)
        self._remove = self.redis.register_script(_REMOVE)
        self._release = self.redis.register_script(_RELEASE)
        self._renew = self.redis.register_script(_RENEW)
        self._sender_script = self.redis.register_script(_SENDER)
        self._attempt = self.redis.register_script(_ATTEMPT)
        self._lease_ms = 60_000
        self._where: dict[int, tuple[str, str]] = {}
        self._held: dict[str, set[str]] = {}
        self._senders: dict[int, dict[str, Any]] = {}
        self._unserved: set[int] = set()
        self._lock = threading.Lock()

    def _k(self, *parts: object) -> str:
        return ":".join([self.prefix, *map(str, parts)])

    def close(self) -> None:
        self.redis.close()

    def ping(self) -> None:
        self.redis.ping()

    # -- the producer side -----------------------------------------------------------

    def save_sender(self, credentials: Credentials, client_name: str, client_version: str,
                    alerts: Optional[dict[str, Any]] = None) -> int:
        """Record which bot (site and email: never its key) sends, and its alert settings; returns its id."""
        site, email = credentials.site.rstrip("/"), credentials.email.lower()
        record = json.dumps({"site": site, "email": email, "client_name": client_name,
                             "client_version": client_version, "alerts": alerts})
        return int(self._sender_script(keys=[self._k("sender_ids"), self._k("senders"), self._k("sender_seq")],
                                       args=[f"{site}\n{email}", record]))

    def append(self, sender_id: int, message: Message, *, handle: Optional[str] = None,
               conversation: Optional[str] = None, handle_ttl: float = DEFAULT_HANDLE_TTL,
               token: str = "", args: Optional[dict[str, Any]] = None) -> int:
        """Append a post (already checked); durable once Redis answered (per its ``appendfsync``)."""
        extra = dict(args or {})
        if conversation:
            extra["conversation"] = check_handle(conversation)
        return self._append(sender_id, POST, check_handle(handle) if handle else "", conversation or "",
                            message.to_json(), extra, message, handle_ttl, token)

    def append_operation(self, sender_id: int, handle: str, kind: str, args: dict[str, Any], *,
                         token: str = "") -> int:
        """Queue an operation behind everything queued before in the handle's conversation."""
        return self._append(sender_id, kind, check_handle(handle), "", "{}", args, None, DEFAULT_HANDLE_TTL, token)

    def append_alert(self, sender_id: int, message: Message) -> int:
        """An alert is a post marked as one, so a dead alert is not alerted about again."""
        return self.append(sender_id, message.checked(), args={"alert": True})

    def _append(self, sender_id: int, kind: str, handle: str, conversation: str, body: str, args: dict[str, Any],
                message: Optional[Message], ttl: float, token: str) -> int:
        key = message.key if message is not None else f"handle:{handle}"
        answer = self._put(args=[
            self.prefix, sender_id, kind, handle, conversation, body, encode_args(args) if args else "",
            repr(time.time()), repr(float(ttl)), token, key,
            message.stream or "" if message else "", message.topic or "" if message else "",
            json.dumps(list(message.to)) if message else "[]", FORWARD_MEMORY])
        if answer[0] == "in_use":
            raise HandleInUse(f"the message handle {handle!r} already names a message; use an operation "
                              "(edit, react, move) on it, or forget it first")
        return int(answer[1])

    # -- the worker side ------------------------------------------------------------------

    def claim(self, worker: str, *, lease: float, max_keys: int = 20, per_key: int = 25) -> list[SpooledMessage]:
        """Lease up to ``max_keys`` due ordering keys nobody holds (``SET NX PX``) and read their first rows."""
        now = time.time()
        self._lease_ms = int(lease * 1000)
        streams = self.redis.zrangebyscore(self._k("due"), "-inf", now, start=0, num=max_keys * 4)
        held_senders: dict[int, bool] = {}
        rows: list[SpooledMessage] = []
        taken = self._held.setdefault(worker, set())
        for stream in streams:
            if len(taken) >= max_keys:
                break
            sender_id = int(stream[len(self._k("q")) + 1:].split(":", 1)[0])
            if not self._serves(sender_id) or stream in taken:
                continue
            if sender_id not in held_senders:
                held_senders[sender_id] = float(self.redis.hget(self._k("sender", sender_id), "not_before") or 0) > now
            if held_senders[sender_id]:
                continue
            if not self.redis.set(self._k("lease", stream), worker, nx=True, px=int(lease * 1000)):
                continue
            entries = self.redis.xrange(stream, count=per_key)
            if not entries:
                self._remove(keys=[stream, self._k("due")], args=["0-0"])
                self._release(keys=[self._k("lease", stream)], args=[worker])
                continue
            with self._lock:
                taken.add(stream)
            rows.extend(self._row(stream, entry_id, fields) for entry_id, fields in entries)
        return rows

    def _row(self, stream: str, entry_id: str, fields: dict[str, str]) -> SpooledMessage:
        row_id = int(fields["id"])
        with self._lock:
            self._where[row_id] = (stream, entry_id)
        state = self.redis.hmget(self._k("row", row_id), "attempts", "attempt")
        kind = fields.get("kind") or POST
        return SpooledMessage(
            row_id, int(fields["sender"]), fields["key"], Message.from_json(fields["body"]) if kind == POST else None,
            int(state[0] or 0), kind, fields.get("handle") or None,
            json.loads(fields["args"]) if fields.get("args") else {}, json.loads(state[1]) if state[1] else {})

    def _serves(self, sender_id: int) -> bool:
        if sender_id in self._senders:
            return True
        if sender_id in self._unserved:
            return False
        record = json.loads(self.redis.hget(self._k("senders"), sender_id) or "null")
        if record is None or (record["site"], record["email"]) not in self.credentials:
            self._unserved.add(sender_id)
            log.warning("outbox rows of %s at %s are left to a delivery service that has this bot's key",
                        (record or {}).get("email", sender_id), (record or {}).get("site", "?"))
            return False
        self._senders[sender_id] = record
        return True

    def sender(self, sender_id: int) -> Sender:
        """The bot's credentials, from this service's own config files (never from Redis)."""
        if not self._serves(sender_id):
            raise ConfigError(f"has rows of sender {sender_id} but this service has no key for it",
                              path=self.path, key="senders", fix="add the bot's config with --config")
        record = self._senders[sender_id]
        credentials = self.credentials[(record["site"], record["email"])]
        return Sender(sender_id, credentials, record.get("client_name") or "WyzePalIntegrations",
                      record.get("client_version") or "")

    def extend(self, worker: str, lease: float) -> None:
        """Renew this worker's leases (the service's heartbeat does it while a request is under way)."""
        with self._lock:
            streams = list(self._held.get(worker, ()))
        for stream in streams:
            self._renew(keys=[self._k("lease", stream)], args=[worker, int(lease * 1000)])

    def release(self, worker: str) -> None:
        """Give back every key this worker holds (its round is over, or it stops)."""
        with self._lock:
            streams = list(self._held.pop(worker, ()))
        for stream in streams:
            self._release(keys=[self._k("lease", stream)], args=[worker])

    def release_orphans(self) -> int:
        return 0  # a dead worker's leases run out by themselves (PX)

    def _stream_of(self, row: SpooledMessage) -> str:
        with self._lock:
            return self._where.get(row.id, (self._k("q", row.sender_id, row.key), ""))[0]

    def _done(self, row: SpooledMessage, pipe: Any) -> None:
        """The row leaves its stream (in ``pipe``); never skipped, or a delivered post would be sent again."""
        with self._lock:
            stream, entry_id = self._where.pop(row.id, (None, None))
        if stream is None:
            stream = self._k("q", row.sender_id, row.key)
            entry_id = next((eid for eid, fields in self.redis.xrange(stream, count=1000)
                             if fields.get("id") == str(row.id)), None)
        if entry_id is not None:
            self._remove(keys=[stream, self._k("due")], args=[entry_id], client=pipe)
        pipe.delete(self._k("row", row.id))

    def delivered(self, row: SpooledMessage, *, message_id: Optional[int] = None,
                  topic: Optional[str] = None) -> None:
        now = time.time()
        pipe = self.redis.pipeline(transaction=True)
        self._done(row, pipe)
        if row.kind == POST and message_id is not None:
            pipe.zadd(self._k("sent", row.sender_id), {str(message_id): now})
            if row.handle:
                handle = self._k("h", row.handle)
                pipe.hset(handle, mapping={"message_id": message_id, "sent_at": repr(now), "post_state": ""})
                if topic is not None:
                    pipe.hset(handle, "topic", topic)
        if row.kind == FORGET and row.handle:
            pipe.delete(self._k("h", row.handle), self._k("refusals", row.handle))
        pipe.hincrby(self._k("counters"), "delivered", 1)
        self._count_in(pipe, "delivered")
        pipe.hset(self._k("sender", row.sender_id), "failures", 0)
        pipe.execute()

    def note_attempt(self, row: SpooledMessage, attempt: dict[str, Any]) -> None:
        """Before a post goes out: what this try sends (``SendOnce`` looks for it after a lost answer).

        Only while this worker still holds the key (its lease renewed at once): a
        worker whose lease ran out (stalled, cut off from Redis) must not send what
        another worker may be sending now. It raises instead; the row stays.
        """
        new_try = attempt != row.attempt  # else: a refused try leaves what earlier tries left unsure
        stream = self._stream_of(row)
        with self._lock:
            owner = next((w for w, streams in self._held.items() if stream in streams), None)
        if stream is None or owner is None:
            if new_try:
                raise LeaseLost(f"outbox row {row.id} is no longer held by this worker")
            return
        if not self._attempt(keys=[self._k("lease", stream), self._k("row", row.id)],
                             args=[owner, self._lease_ms, encode_args(attempt) if attempt else ""]):
            with self._lock:
                self._held.get(owner, set()).discard(stream)  # its retry_later must not touch the key now
            if new_try:
                raise LeaseLost(f"the lease on outbox row {row.id} ran out; another worker delivers it")

    def sent_ids(self, sender_id: int, since: float) -> set[int]:
        key = self._k("sent", sender_id)
        self.redis.zremrangebyscore(key, "-inf", time.time() - 7 * 24 * 3600)
        return {int(m) for m in self.redis.zrangebyscore(key, since, "+inf")}

    def _count_in(self, pipe: Any, name: str, n: int = 1) -> None:
        bucket = self._k("stats", int(time.time() // STATS_BUCKET))
        pipe.hincrby(bucket, name, n)
        pipe.expire(bucket, 25 * 3600)

    def count(self, name: str, n: int = 1) -> None:
        pipe = self.redis.pipeline(transaction=True)
        self._count_in(pipe, name, n)
        pipe.execute()

    def figures(self, seconds: float = 3600.0) -> dict[str, int]:
        last = int(time.time() // STATS_BUCKET)
        first = int((time.time() - seconds) // STATS_BUCKET) + 1
        pipe = self.redis.pipeline(transaction=False)
        for bucket in range(first, last + 1):
            pipe.hgetall(self._k("stats", bucket))
        totals: dict[str, int] = {}
        for counts in pipe.execute():
            for name, value in counts.items():
                totals[name] = totals.get(name, 0) + int(value)
        return totals

    def retry_later(self, row: SpooledMessage, worker: str, error: str, delay: float, *, count: bool = True) -> None:
        """The row keeps its place; its key is due again after ``delay``; the key's lease is let go."""
        now = time.time()
        stream = self._stream_of(row)
        with self._lock:
            if stream is not None and stream not in self._held.get(worker, ()):
                return  # the key is another worker's now (this one's lease ran out)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hincrby(self._k("row", row.id), "attempts", int(count))
        pipe.hset(self._k("last_error"), mapping={"error": error, "at": repr(now)})
        if stream is not None:
            pipe.zadd(self._k("due"), {stream: now + delay}, xx=True)
        pipe.execute()
        if stream is not None:
            self._release(keys=[self._k("lease", stream)], args=[worker])
            with self._lock:
                self._held.get(worker, set()).discard(stream)

    def bury(self, row: SpooledMessage, worker: str, reason: str) -> None:
        """A permanent failure: the row is kept as dead with its reason; the rows behind it go on."""
        now = time.time()
        stream = self._stream_of(row)
        record = {"id": row.id, "sender": row.sender_id, "key": row.key, "kind": row.kind, "handle": row.handle,
                  "body": row.message.to_json() if row.message else "{}", "args": row.args, "reason": reason,
                  "failed_at": now, "attempts": row.attempts + 1, "stream": stream}
        pipe = self.redis.pipeline(transaction=True)
        self._done(row, pipe)
        pipe.hset(self._k("dead"), row.id, json.dumps(record))
        pipe.hset(self._k("last_error"), mapping={"error": reason, "at": repr(now)})
        if row.kind == POST and row.handle:
            pipe.hset(self._k("h", row.handle), "post_state", "dead")
        pipe.execute()

    def hold_sender(self, sender_id: int, delay: float, *, failed: bool) -> int:
        """Nobody on the site sends as this bot for ``delay`` s (its server is down, or a 429)."""
        key = self._k("sender", sender_id)
        until = time.time() + delay
        pipe = self.redis.pipeline(transaction=True)
        pipe.hget(key, "not_before")
        pipe.hincrby(key, "failures", int(failed))
        before, failures = pipe.execute()
        if float(before or 0) < until:
            self.redis.hset(key, "not_before", repr(until))
        return int(failures)

    def sender_failures(self, sender_id: int) -> int:
        return int(self.redis.hget(self._k("sender", sender_id), "failures") or 0)

    # -- handles ----------------------------------------------------------------------------

    def handle_state(self, handle: str) -> Optional[HandleState]:
        data = self.redis.hgetall(self._k("h", handle))
        if not data:
            return None
        refusals = [Refusal(*json.loads(r)) for r in self.redis.lrange(self._k("refusals", handle), 0, -1)]
        message_id = data.get("message_id")
        return HandleState(handle=handle, message_id=int(message_id) if message_id else None,
                           stream=data.get("stream") or None, topic=data.get("topic"),
                           to=tuple(json.loads(data.get("recipients") or "[]")),
                           sent_at=float(data["sent_at"]) if data.get("sent_at") else None,
                           expires=float(data.get("expires") or 0), refusals=refusals)

    def handle_post_state(self, handle: str) -> Optional[str]:
        return self.redis.hget(self._k("h", handle), "post_state") or None

    def learn_handle(self, handle: str, sender_id: int, message_id: int, stream: Optional[str],
                     topic: Optional[str], sent_at: Optional[float], ttl: float = DEFAULT_HANDLE_TTL) -> None:
        key, now = self._k("h", handle), time.time()
        pipe = self.redis.pipeline(transaction=True)
        pipe.hsetnx(key, "order_key", f"handle:{handle}")
        pipe.hsetnx(key, "expires", repr(now + ttl))
        pipe.hset(key, mapping={"sender": sender_id, "message_id": message_id, "stream": stream or "",
                                "topic": topic or "", "sent_at": repr(sent_at or now)})
        pipe.execute()

    def move_handles(self, sender_id: int, stream: str, old_topic: str, new_topic: str, *,
                     from_message_id: Optional[int] = None, only: Optional[str] = None) -> None:
        """The handles a move took along: the one named, or those of this bot in the old topic (scanned)."""
        if only is not None:
            self.set_handle_topic(only, new_topic)
            return
        for key in self.redis.scan_iter(match=self._k("h", "*"), count=500):
            data = self.redis.hmget(key, "sender", "stream", "topic", "message_id")
            if (data[0] == str(sender_id) and data[1] == stream and data[2] == old_topic
                    and (data[3] is None or data[3] == "" or int(data[3]) >= (from_message_id or 0))):
                self.redis.hset(key, "topic", new_topic)

    def set_handle_topic(self, handle: str, topic: str) -> None:
        self.redis.hset(self._k("h", handle), "topic", topic)

    def refuse(self, row: SpooledMessage, reason: str) -> None:
        now = time.time()
        entry = json.dumps([row.kind, reason, now])
        pipe = self.redis.pipeline(transaction=True)
        self._done(row, pipe)
        pipe.rpush(self._k("refusals", row.handle or ""), entry)
        pipe.ltrim(self._k("refusals", row.handle or ""), -20, -1)
        pipe.lpush(self._k("refusals"), json.dumps([row.handle or "", row.kind, reason, now]))
        pipe.ltrim(self._k("refusals"), 0, 199)
        self._count_in(pipe, "refused")
        pipe.execute()

    def forget_expired_handles(self) -> int:
        return 0  # each handle's hash has its own EXPIREAT (its time plus a week)

    def forget_handle(self, handle: str) -> None:
        self.redis.delete(self._k("h", handle), self._k("refusals", handle))

    # -- health, alerts, status ------------------------------------------------------------------

    def _queues(self) -> list[tuple[str, float]]:
        return [(name, float(score)) for name, score in self.redis.zrange(self._k("due"), 0, -1, withscores=True)]

    def _dead(self) -> list[dict[str, Any]]:
        return sorted((json.loads(v) for v in self.redis.hvals(self._k("dead"))), key=lambda r: r["id"])

    def _sender_of(self, stream: str) -> int:
        return int(stream[len(self._k("q")) + 1:].split(":", 1)[0])

    def alerting_senders(self) -> list[tuple[int, Optional[dict[str, Any]]]]:
        ids = {self._sender_of(s) for s, _ in self._queues()} | {int(r["sender"]) for r in self._dead()}
        out = []
        for sender_id in sorted(ids):
            record = json.loads(self.redis.hget(self._k("senders"), sender_id) or "{}")
            out.append((sender_id, record.get("alerts")))
        return out

    def health(self, sender_id: int) -> dict[str, Any]:
        dead = [r for r in self._dead() if int(r["sender"]) == sender_id and not r.get("args", {}).get("alert")]
        pending, oldest = 0, None
        for stream, _ in self._queues():
            if self._sender_of(stream) == sender_id:
                pending += self.redis.xlen(stream)
                first = self.redis.xrange(stream, count=1)
                if first:
                    created = float(first[0][1]["created"])
                    oldest = created if oldest is None else min(oldest, created)
        last = self.redis.hget(self._k("last_error"), "error")
        return {"dead": len(dead), "last_dead_reason": dead[-1]["reason"] if dead else None, "pending": pending,
                "oldest_pending": oldest, "last_error": last if pending else None,
                "failing": self.sender_failures(sender_id) > 0}

    def alert_due(self, name: str, repeat_after: float, text: str = "") -> bool:
        """Told now unless told within ``repeat_after`` by any service of the site (``SET NX EX``)."""
        now = time.time()
        if not self.redis.set(self._k("alert", name), repr(now), nx=True, ex=max(1, math.ceil(repeat_after))):
            return False
        self.redis.hset(self._k("alerts"), name, repr(now))
        return True

    def pending_count(self, up_to_id: Optional[int] = None) -> int:
        pipe = self.redis.pipeline(transaction=False)
        for stream, _ in self._queues():
            pipe.xlen(stream)
        return sum(pipe.execute())

    def last_id(self) -> int:
        return int(self.redis.get(self._k("seq")) or 0)

    def next_due(self) -> Optional[float]:
        first = self.redis.zrange(self._k("due"), 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    def status(self, *, dead_limit: int = 20) -> SpoolStatus:
        """``outbox status`` for the whole site: every bot's queues in this Redis."""
        now = time.time()
        pending = in_flight = waiting = 0
        oldest: Optional[float] = None
        for stream, score in self._queues():
            length = self.redis.xlen(stream)
            pending += length
            if self.redis.exists(self._k("lease", stream)):
                in_flight += min(length, 25)
            elif score > now:
                waiting += length
            first = self.redis.xrange(stream, count=1)
            if first:
                created = float(first[0][1]["created"])
                oldest = created if oldest is None else min(oldest, created)
        dead = self._dead()
        last = self.redis.hgetall(self._k("last_error"))
        figures = self.figures()
        refusals = [json.loads(r) for r in self.redis.lrange(self._k("refusals"), 0, dead_limit - 1)]
        alerts = sorted(self.redis.hgetall(self._k("alerts")).items(), key=lambda kv: -float(kv[1]))[:dead_limit]
        return SpoolStatus(
            path=self.path, pending=pending, in_flight=in_flight, waiting=waiting, dead=len(dead),
            delivered=int(self.redis.hget(self._k("counters"), "delivered") or 0), oldest_pending=oldest,
            last_error=last.get("error"), last_error_at=float(last["at"]) if last.get("at") else None,
            dead_messages=[{"id": r["id"], "to": describe_row(r["kind"], r.get("handle"), r["body"]),
                            "reason": r["reason"], "failed_at": r["failed_at"], "attempts": r["attempts"]}
                           for r in dead[:dead_limit]],
            oldest_age=None if oldest is None else max(0.0, now - oldest),
            delivered_last_hour=figures.get("delivered", 0), rate_limited_last_hour=figures.get("rate_limited", 0),
            refused_last_hour=figures.get("refused", 0),
            refusals=[{"handle": r[0], "operation": r[1], "reason": r[2], "at": r[3]} for r in refusals],
            alerts=[{"name": name.split(":", 1)[-1], "at": float(at)} for name, at in alerts])

    def requeue_dead(self, ids: Sequence[int] = (), *, sender_id: Optional[int] = None) -> int:
        """Dead rows (all, or those named) are queued again at the end of their key, to be tried at once."""
        count = 0
        for record in self._dead():
            if ids and record["id"] not in ids:
                continue
            sender = sender_id if sender_id is not None else int(record["sender"])
            stream = self._k("q", sender, record["key"])
            pipe = self.redis.pipeline(transaction=True)
            pipe.xadd(stream, {"id": record["id"], "sender": sender, "key": record["key"], "kind": record["kind"],
                               "handle": record.get("handle") or "", "body": record["body"],
                               "args": encode_args(record["args"]) if record.get("args") else "",
                               "created": repr(time.time())})
            pipe.zadd(self._k("due"), {stream: time.time()})
            pipe.hdel(self._k("dead"), record["id"])
            if record["kind"] == POST and record.get("handle"):
                pipe.hset(self._k("h", record["handle"]), "post_state", "pending")
            pipe.execute()
            count += 1
        self.wake_senders()
        return count

    def wake_senders(self) -> None:
        """Forget every bot's backoff and every key's: someone asked for delivery now."""
        for key in self.redis.scan_iter(match=self._k("sender", "*")):
            self.redis.hset(key, mapping={"not_before": 0, "failures": 0})
        due = self._queues()
        if due:
            self.redis.zadd(self._k("due"), {stream: 0 for stream, _ in due}, xx=True)

    def rate_gate(self, sender_id: int, *, limit: int, window: float) -> RedisRateGate:
        return RedisRateGate(self, sender_id, default_limit=limit, default_window=window)


#: A place in the bot's window, taken only when one is free (a log of send times, as the server keeps).
_GATE_START = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local nb = tonumber(redis.call('HGET', KEYS[2], 'not_before') or '0')
if nb > now then return tostring(nb - now) end
local limit = tonumber(redis.call('HGET', KEYS[2], 'limit') or ARGV[1])
local window = tonumber(redis.call('HGET', KEYS[2], 'window') or ARGV[2]) + tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if limit <= 0 or redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(math.max(0.001, tonumber(oldest[2]) + window - now))
"""


class RedisRateGate:
    """One rate limit per bot for every worker of the site, kept in Redis; the client's ``rate_gate``.

    The server (Zulip) limits with a sliding window: at most ``limit`` requests
    in any ``window`` seconds. So the gate keeps the same: a sorted set of the
    send times of the bot's requests (Redis' clock, so machines' clocks do not
    matter); a request goes when fewer than ``limit`` were sent in the last
    ``window`` (plus a small margin for the request's way to the server). A
    continuously refilled token bucket would not do: after a full burst it
    refills while the server's window still holds the burst, and meets 429s.
    ``limit`` comes from ``X-RateLimit-Limit`` as answers are seen (the
    configured default before the first); ``window`` from the answer of a
    request that was alone in its window (``Reset`` minus its start); after a
    429, ``not_before`` holds every worker until the server's ``Retry-After``.
    """

    def __init__(self, store: RedisStore, sender_id: int, *, default_limit: int = 0, default_window: float = 60.0,
                 margin: float = 0.25, max_wait: float = 3600.0) -> None:
        self.store = store
        self.log_key = store._k("rl", sender_id, "log")
        self.state_key = store._k("rl", sender_id)
        self.default_limit = default_limit
        self.default_window = default_window
        self.margin = margin
        self.max_wait = max_wait
        self._script = store.redis.register_script(_GATE_START)
        self._mine = threading.local()

    def start(self) -> float:
        member = uuid.uuid4().hex
        try:
            wait = float(self._script(keys=[self.log_key, self.state_key],
                                      args=[self.default_limit, self.default_window, self.margin, member]))
        except redis_errors():
            return 0.0  # Redis gone: the server's own 429s still hold the bot back
        if wait <= 0:
            self._mine.started = time.time()
        return min(wait, self.max_wait)

    def finish(self, headers: Optional[Mapping[str, str]] = None, started: Optional[float] = None) -> None:
        started = getattr(self._mine, "started", None) if started is None else started
        self._mine.started = None
        if not headers or started is None:
            return
        try:
            remaining = int(float(headers["X-RateLimit-Remaining"]))
            reset = float(headers["X-RateLimit-Reset"])
            limit = int(float(headers["X-RateLimit-Limit"]))
        except (KeyError, TypeError, ValueError):
            return
        try:
            state = self.store.redis.hmget(self.state_key, "limit", "window", "widened")
            update: dict[str, Any] = {}
            if str(limit) != state[0]:
                update["limit"] = limit
            # Alone in its window: the window is at most Reset minus when this request left.
            if remaining == limit - 1 and reset > started:
                candidate = min(reset - started, self.max_wait)
                if state[1] is None or (candidate < float(state[1]) and not state[2]):
                    update["window"] = repr(candidate)
            if update:
                self.store.redis.hset(self.state_key, mapping=update)
        except redis_errors():
            return

    def observe(self, headers: Optional[Mapping[str, str]]) -> None:
        self.finish(headers, started=time.time())

    def hold_until(self, wall_time: float) -> None:
        """A 429: no worker of the site sends as this bot before ``wall_time``.

        The first 429 also makes the learned window a second longer: a server that
        rounds ``X-RateLimit-Reset`` down to whole seconds (Zulip does) made it look
        up to a second short, and it would meet a 429 every window otherwise.
        """
        wall_time = min(wall_time, time.time() + self.max_wait)
        try:
            before = float(self.store.redis.hget(self.state_key, "not_before") or 0)
            if wall_time > before:
                self.store.redis.hset(self.state_key, "not_before", repr(wall_time))
            if self.store.redis.hget(self.state_key, "window") is not None \
                    and self.store.redis.hsetnx(self.state_key, "widened", 1):
                self.store.redis.hincrbyfloat(self.state_key, "window", 1.0)
        except redis_errors():
            return

    def wait_needed(self) -> float:
        try:
            before = float(self.store.redis.hget(self.state_key, "not_before") or 0)
        except redis_errors():
            return 0.0
        return max(0.0, before - time.time())
