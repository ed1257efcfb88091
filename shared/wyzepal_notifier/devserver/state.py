"""Everything a request handler may touch, kept on the aiohttp application."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .faults import FaultInjector
from .ratelimit import RateLimiter
from .realm import Realm
from .requestlog import RequestLog
from .store import User


@dataclass
class ServerState:
    """The realm plus the test knobs (faults, rate limits, request log)."""

    realm: Realm
    faults: FaultInjector
    limiter: RateLimiter
    log: RequestLog

    def reset(self) -> None:
        """Forget messages, queues, faults, rate-limit history and the request log.

        Users and channels stay.  Runs on the server loop (it touches queues).
        """
        self.realm.store.clear_messages()
        self.realm.queues.expire_all()
        self.faults.clear()
        self.limiter.reset()
        self.log.clear()


STATE = web.AppKey("wyzepal_devserver_state", ServerState)
# aiohttp >= 3.13 wants typed request keys; older versions take a plain string.
USER_KEY: Any = (
    web.RequestKey("wyzepal_devserver_user", User) if hasattr(web, "RequestKey") else "wyzepal_devserver_user"
)


def state_of(request: web.Request) -> ServerState:
    """The server state of the application handling ``request``."""
    return request.app[STATE]


def user_of(request: web.Request) -> User:
    """The authenticated user (set by the auth middleware)."""
    return request[USER_KEY]
