"""Request pipeline, outermost first: record → log → faults → errors → auth and rate limit."""

from __future__ import annotations

import asyncio
import json
import math
import os
import socket
import struct
import threading
from typing import Any, Awaitable, Callable, Dict, Optional

from aiohttp import web

from .auth import CHALLENGE, authenticate
from .faults import Fault
from .responses import ApiError, json_error
from .state import USER_KEY, state_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC_PATHS = {"/api/v1/server_settings"}
#: Set to a file name, every API response is appended to it as one JSON line (contract tests).
RECORD_ENV = "WYZEPAL_DEVSERVER_RECORD"
# aiohttp >= 3.13 wants typed request keys; older versions take a plain string.
INJECTED_KEY: Any = (
    web.RequestKey("wyzepal_devserver_injected", str) if hasattr(web, "RequestKey") else "wyzepal_devserver_injected"
)
_RECORD_LOCK = threading.Lock()


def is_api(path: str) -> bool:
    """API paths get auth, faults, JSON errors and logging; /devserver/ ones do not."""
    return path.startswith("/api/")


@web.middleware
async def record_responses(request: web.Request, handler: Handler) -> web.StreamResponse:
    """With $WYZEPAL_DEVSERVER_RECORD set, append each API response to that file.

    The test suite sets it and validates every line against the OpenAPI spec at
    the end, so any response a test provokes is held to the contract.  A crash
    in a handler is recorded too (status 500), then re-raised.
    """
    target = os.environ.get(RECORD_ENV)
    if not target or not is_api(request.path):
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _record(target, request, exc.status, None, exc.text or "")
        raise
    except Exception as exc:
        _record(target, request, 500, None, f"unhandled {type(exc).__name__}: {exc}")
        raise
    _record(target, request, response.status, response)
    return response


def _record(
    target: str, request: web.Request, status: int, response: Optional[web.StreamResponse], text: str = ""
) -> None:
    """One JSON line: method, path, matched route, status, body (parsed JSON, else a text excerpt)."""
    resource = request.match_info.route.resource
    entry: Dict[str, Any] = {
        "pid": os.getpid(),
        "method": request.method,
        "path": request.path,
        "route": resource.canonical if resource is not None else None,
        "status": status,
        "injected": request.get(INJECTED_KEY),
        # A server imitating an older Zulip answers as that version did, not as the current spec says.
        "feature_level": getattr(state_of(request).realm.settings, "feature_level", None),
        "content_type": response.content_type if response is not None else None,
        "body": None,
        "text": text,
    }
    raw = getattr(response, "body", None)
    if isinstance(raw, (bytes, bytearray)):
        try:
            entry["body"] = json.loads(raw)
        except ValueError:
            entry["text"] = raw[:500].decode("utf-8", "replace")
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    # One O_APPEND write per line: lines of servers in other processes never interleave.
    with _RECORD_LOCK:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


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
    request[INJECTED_KEY] = fault.kind
    if fault.kind == "drop":
        _drop(request, fault.reset)
        raise asyncio.CancelledError  # nothing is written; the client sees a dead socket
    if fault.kind == "delay_answer":
        response = await handler(request)
        await asyncio.sleep(fault.seconds)
        return response
    if fault.kind == "lose_answer":
        await handler(request)  # the server acts (stores the message) ...
        _drop(request, fault.reset)
        raise asyncio.CancelledError  # ... and the answer never reaches the client
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
        # Whole seconds in header and body alike: the spec's RateLimitedError says integer.
        retry = max(0, math.ceil(fault.retry_after if fault.retry_after is not None else 1))
        return json_error(
            "API usage exceeded rate limit",
            "RATE_LIMIT_HIT",
            429,
            headers={"Retry-After": str(retry)},
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
