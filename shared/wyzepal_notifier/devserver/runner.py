"""``DevServer``: the dev server on a background thread with its own event loop.

Tests, fixtures and the CLI use this.  Data lives in the ``DevServer`` (its
store and event queues), not in the aiohttp app, so ``restart()`` brings the
server back on the same port with the same users, channels, messages and queues.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, TypeVar, Union

from aiohttp import web

from .app import create_app
from .faults import FaultInjector
from .hostcheck import HostGuard
from .ratelimit import RateLimiter, RateSpec
from .realm import NOTIFICATION_BOT, Realm
from .requestlog import RequestLog, RequestRecord
from .settings import ZULIP_FEATURE_LEVEL, Settings
from .state import ServerState
from .store import Store

UserSpec = Union[str, Sequence[Any], Dict[str, Any]]
T = TypeVar("T")

#: Seconds aiohttp waits for in-flight requests (long-polls) when stopping.
SHUTDOWN_GRACE = 0.25


def parse_user_spec(spec: UserSpec) -> Dict[str, Any]:
    """``"email:key"``, ``"email"``, ``(email, key[, full_name])`` or a dict → add_user kwargs."""
    if isinstance(spec, str):
        email, _, key = spec.partition(":")
        return {"email": email, "api_key": key or None}
    if isinstance(spec, dict):
        return dict(spec)
    fields = list(spec) + [None, None]
    return {"email": fields[0], "api_key": fields[1], "full_name": fields[2]}


class DevServer:
    """A WyzePal (Zulip API) server for tests and local development.

    ``port=0`` picks a free port on the first start; later starts reuse it.
    Every user given here is subscribed to every channel given here.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        db: Optional[str] = None,
        users: Sequence[UserSpec] = (),
        streams: Sequence[str] = (),
        rate_limit: RateSpec = None,
        heartbeat_seconds: float = 50.0,
        queue_timeout: float = 600.0,
        realm_name: str = "WyzePal Dev",
        feature_level: int = ZULIP_FEATURE_LEVEL,
        realm: Optional[Dict[str, Any]] = None,
        allowed_hosts: Sequence[str] = (),
    ) -> None:
        self.host = host
        self.port = port
        #: Extra ``Host``/``Origin`` names accepted besides the addresses listened on.
        self.allowed_hosts = list(allowed_hosts)
        #: Emails whose key the caller supplied (the CLI banner does not echo those).
        self.given_keys: Set[str] = set()
        self.settings = Settings(
            realm_name=realm_name,
            heartbeat_seconds=heartbeat_seconds,
            queue_timeout=queue_timeout,
            feature_level=feature_level,
        )
        self.store = Store(db or ":memory:")
        self.realm = Realm(self.store, self.settings)
        if realm:
            self.realm.update_policy(**realm)
        self.faults = FaultInjector()
        self.state = ServerState(self.realm, self.faults, RateLimiter(rate_limit), RequestLog())
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._runner: Optional[web.AppRunner] = None
        for spec in users:
            self.add_user(**parse_user_spec(spec))
        for name in streams:
            self.add_stream(name)

    # --- lifecycle -------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether the server thread is up and listening."""
        return self._thread is not None and self._thread.is_alive() and self._runner is not None

    def start(self, timeout: float = 10.0) -> DevServer:
        """Start listening on a background thread; returns once connections are accepted."""
        if self.running:
            return self
        ready = threading.Event()
        errors: List[BaseException] = []
        self._thread = threading.Thread(target=self._serve, args=(ready, errors), name="wyzepal-devserver", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("dev server did not start in time")
        if errors:
            self._thread.join()
            self._thread = None
            raise errors[0]
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop listening and close every connection (clients then get connection refused)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = None

    def restart(self) -> DevServer:
        """Stop, then start again on the same port with the same data."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop and close the database."""
        self.stop()
        self.store.close()

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _serve(self, ready: threading.Event, errors: List[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._listen())
        except BaseException as exc:  # handed to start()'s caller
            errors.append(exc)
            loop.close()
            ready.set()
            return
        self._loop = loop
        ready.set()
        try:
            loop.run_forever()
        finally:
            runner, self._runner = self._runner, None
            if runner is not None:
                loop.run_until_complete(runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
            self._loop = None
            loop.close()

    async def _listen(self) -> None:
        runner = web.AppRunner(
            create_app(self.state, HostGuard(self.host, lambda: self.port, self.allowed_hosts)),
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=SHUTDOWN_GRACE,
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port, reuse_address=True).start()
        except BaseException:
            await runner.cleanup()
            raise
        self.port = runner.addresses[0][1]
        self.realm.site_url = self.site
        self._runner = runner

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the server loop (queues live there); directly when stopped."""
        loop = self._loop
        if loop is None or not self.running or threading.current_thread() is self._thread:
            return fn(*args, **kwargs)

        async def call() -> T:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(call(), loop).result(10)

    # --- addresses -------------------------------------------------------------------
    @property
    def site(self) -> str:
        """Base URL for clients, e.g. ``http://127.0.0.1:9991``."""
        wildcard = ("", "0.0.0.0")  # noqa: S104 - mapping a wildcard bind to a dialable address
        host = "127.0.0.1" if self.host in wildcard else self.host
        host = "[::1]" if host == "::" else (f"[{host}]" if ":" in host else host)
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """Same as :attr:`site`."""
        return self.site

    @property
    def api_url(self) -> str:
        """``{site}/api/v1``."""
        return self.site + "/api/v1"

    # --- users and channels ----------------------------------------------------------------
    def add_user(
        self,
        email: str,
        api_key: Optional[str] = None,
        full_name: Optional[str] = None,
        bot: bool = True,
        subscribe: bool = True,
        role: Any = "member",
    ) -> Tuple[str, str]:
        """Create (or update) a user, subscribed to every channel; returns ``(email, key)``.

        ``role``: ``owner``, ``admin``, ``moderator``, ``member`` (default) or ``guest``.
        """

        def add() -> Tuple[str, str]:
            user = self.realm.add_user(email, api_key, full_name, bot, role)
            if subscribe:
                for stream in self.store.streams():
                    self.realm.subscribe_users(stream, [user])
            return user.email, user.api_key

        return self._call(add)

    def add_stream(self, name: str, description: str = "", subscribe_all: bool = True) -> int:
        """Create a channel (every user subscribed unless told otherwise); returns its id."""

        def add() -> int:
            stream, _ = self.realm.ensure_stream(name, description)
            if subscribe_all:
                self.realm.subscribe_users(stream, self.store.users())
            return stream.stream_id

        return self._call(add)

    def subscribe(self, email: str, stream: str) -> None:
        """Subscribe a user to a channel, creating the channel if needed."""

        def sub() -> None:
            found, _ = self.realm.ensure_stream(stream)
            self.realm.subscribe_users(found, [self.realm.user(email)])

        self._call(sub)

    def deactivate_user(self, email: str, active: bool = False) -> None:
        """Deactivate (or, with ``active=True``, reactivate) a user."""
        self.store.set_active(self.realm.user(email).user_id, active)

    def api_key(self, email: str) -> str:
        """The API key of a user."""
        return self.realm.user(email).api_key

    def credentials(self) -> List[Tuple[str, str]]:
        """``(email, api_key)`` of every user (bar the Notification Bot, whose key nobody uses)."""
        return [(u.email, u.api_key) for u in self.store.users() if u.email != NOTIFICATION_BOT[0]]

    def wyzepalrc(self, email: Optional[str] = None) -> str:
        """A ready ``wyzepalrc`` ([api] email, key, site) for a user (default: the first)."""
        user = self.realm.user(email) if email else self.store.users()[0]
        return f"[api]\nemail={user.email}\nkey={user.api_key}\nsite={self.site}\n"

    def write_wyzepalrc(self, path: str, email: Optional[str] = None) -> str:
        """Write :meth:`wyzepalrc` to ``path`` and return the path."""
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.wyzepalrc(email))
        return path

    # --- messages --------------------------------------------------------------------
    def send_message(
        self,
        sender: str,
        to: Union[str, int, Sequence[Union[str, int]]],
        content: str,
        topic: Optional[str] = None,
        msg_type: str = "stream",
    ) -> int:
        """Post as ``sender`` (e.g. a human talking to the bot under test); returns the id."""
        target = to if isinstance(to, (str, int)) else list(to)

        def send() -> int:
            to_param = target if isinstance(target, str) else json.dumps(target)
            user = self.realm.user(sender)
            return self.realm.send_message(user, msg_type, to_param, content, topic, "devserver").id

        return self._call(send)

    def messages(self, stream: Optional[str] = None, topic: Optional[str] = None) -> List[Dict[str, Any]]:
        """Stored messages (raw content, API shape), optionally of one channel and topic."""
        return self.realm.stored_messages(stream, topic)

    def wait_for_messages(
        self,
        count: int = 1,
        timeout: float = 5.0,
        stream: Optional[str] = None,
        topic: Optional[str] = None,
    ) -> List[Dict[str, Any]]:
        """Poll until at least ``count`` messages are stored (for asynchronous senders).

        Returns what is stored at that point; raises ``AssertionError`` on timeout.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(stream, topic)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} message(s), found {len(found)}: {found!r}")
            time.sleep(0.01)

    def message(self, message_id: int, apply_markdown: bool = False) -> Dict[str, Any]:
        """One stored message in the API shape (raw content unless ``apply_markdown``)."""
        found = self.store.message(message_id)
        if found is None:
            raise KeyError(message_id)
        return self.realm.message_dict(found, apply_markdown=apply_markdown)

    def backdate_message(self, message_id: int, seconds: float) -> None:
        """Make a message ``seconds`` older (to test edit and move time limits without waiting)."""
        found = self.store.message(message_id)
        if found is None:
            raise KeyError(message_id)
        self.store.update_message(message_id, timestamp=int(found.timestamp - seconds))

    # --- organisation settings ------------------------------------------------------------
    def set_realm(self, **settings: Any) -> Dict[str, Any]:
        """Change editing/moving settings (e.g. ``message_content_edit_limit_seconds=None``,
        ``can_move_messages_between_topics_group="admins"``); queues get ``realm`` events.

        Returns every such setting as ``POST /register`` names them (without ``realm_``).
        """
        return self._call(lambda: self.realm.update_policy(**settings))

    @property
    def realm_settings(self) -> Dict[str, Any]:
        """The editing/moving settings as the served feature level reports them."""
        return self.realm.policy_data()

    @property
    def feature_level(self) -> int:
        """The API feature level served."""
        return self.settings.feature_level

    @feature_level.setter
    def feature_level(self, level: int) -> None:
        self.settings.feature_level = int(level)

    # --- events ------------------------------------------------------------------------
    def queue_ids(self) -> List[str]:
        """Ids of the live event queues."""
        return self._call(lambda: [q.queue_id for q in self.realm.queues.all()])

    def expire_queue(self, queue_id: str) -> bool:
        """Expire a queue as the server's collector would (its pollers get BAD_EVENT_QUEUE_ID)."""
        return self._call(self.realm.queues.expire, queue_id)

    def expire_all_queues(self) -> int:
        """Expire every event queue; returns how many there were."""
        return self._call(self.realm.queues.expire_all)

    def waiting_polls(self) -> int:
        """How many GET /events are parked waiting for an event right now."""
        return self._call(lambda: sum(len(q.waiters) for q in self.realm.queues.all()))

    def wait_for_polls(self, count: int = 1, timeout: float = 5.0) -> None:
        """Block until ``count`` long-polls are parked (e.g. a bot is listening)."""
        deadline = time.monotonic() + timeout
        while self.waiting_polls() < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} waiting poll(s), found {self.waiting_polls()}")
            time.sleep(0.01)

    # --- test knobs ----------------------------------------------------------------------
    @property
    def requests(self) -> List[RequestRecord]:
        """API requests so far: ``(method, path, status, email, time)``; status 0 = dropped."""
        return self.state.log.records()

    @property
    def request_count(self) -> int:
        """Number of API requests so far."""
        return len(self.state.log)

    def clear_requests(self) -> None:
        """Empty the request log."""
        self.state.log.clear()

    def set_rate_limit(self, spec: RateSpec) -> None:
        """``"N/SECONDS"``, ``(N, SECONDS)`` or None to switch rate limiting off."""
        self.state.limiter.configure(spec)

    def reset(self) -> None:
        """Forget messages, queues, faults, rate-limit history and requests; keep users and channels."""
        self._call(self.state.reset)
