"""Request pipeline, outermost first: log → faults → errors → auth and rate limit."""

from __future__ import annotations

import asyncio
import math
import socket
import struct
from typing import Awaitable, Callable

from aiohttp import web

from .auth import CHALLENGE, authenticate
from .faults import Fault
from .responses import ApiError, json_error
from .state import USER_KEY, state_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC_PATHS = {"/api/v1/server_settings"}


def is_api(path: str) -> bool:
    """API paths get auth, faults, JSON errors and logging; /devserver/ ones do not."""
    return path.startswith("/api/")


@web.middleware
async def log_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record (method, path, status) of API requests; status 0 when dropped."""
    if not is_api(request.path):
        return await handler(request)
    status = 0
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        user = request.get(USER_KEY)
        state_of(request).log.add(request.method, request.path, status, user and user.email)


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply armed faults: delay, then fail with a status or drop the connection."""
    if not is_api(request.path):
        return await handler(request)
    delay, fault = state_of(request).faults.take(request.method, request.path)
    if delay:
        await asyncio.sleep(delay)
    if fault is None:
        return await handler(request)
    if fault.kind == "drop":
        _drop(request, fault.reset)
        raise asyncio.CancelledError  # nothing is written; the client sees a dead socket
    return failure_response(fault)


def _drop(request: web.Request, reset: bool) -> None:
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if reset and sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()


def failure_response(fault: Fault) -> web.Response:
    """The response of an injected failure, shaped like Zulip's own for that status."""
    if fault.body is not None:
        return web.Response(status=fault.status, text=fault.body, content_type="text/html")
    if fault.status == 429:
        retry = fault.retry_after if fault.retry_after is not None else 1
        return json_error(
            "API usage exceeded rate limit",
            "RATE_LIMIT_HIT",
            429,
            headers={"Retry-After": str(max(0, math.ceil(retry)))},
            **{"retry-after": retry},
        )
    if fault.status == 401:
        return json_error("Invalid API key", "INVALID_API_KEY", 401, headers=CHALLENGE)
    return json_error(f"Injected fault (HTTP {fault.status})", "BAD_REQUEST", fault.status)


@web.middleware
async def render_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """ApiError and aiohttp's 404/405 on API paths become Zulip JSON errors."""
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status < 400 or not (is_api(request.path) or request.path.startswith("/devserver/")):
            raise
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return json_error(exc.reason, "BAD_REQUEST", exc.status, headers=allow)


@web.middleware
async def authenticate_api(request: web.Request, handler: Handler) -> web.StreamResponse:
    """HTTP Basic auth for /api/ (bar server_settings), then the per-user rate limit."""
    if not is_api(request.path) or request.path.rstrip("/") in PUBLIC_PATHS:
        return await handler(request)
    state = state_of(request)
    user = authenticate(state.realm, request.headers.get("Authorization"))
    request[USER_KEY] = user
    decision = state.limiter.hit(str(user.user_id))
    headers = decision.headers() if decision else {}
    if decision is not None and not decision.allowed:
        return json_error(
            "API usage exceeded rate limit",
            "RATE_LIMIT_HIT",
            429,
            headers=headers,
            **{"retry-after": decision.retry_after_seconds},
        )
    try:
        response = await handler(request)
    except ApiError as exc:
        response = exc.response()
    response.headers.update(headers)
    return response
