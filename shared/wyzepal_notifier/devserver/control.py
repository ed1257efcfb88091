"""Unauthenticated /devserver/ endpoints so out-of-process tests can drive the server.

They exist only on this development server: never expose it beyond localhost.
Parameters come as query string, form or JSON body.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from aiohttp import web

from .params import Params, get_bool, get_float, get_int, get_str, read_params
from .responses import json_success
from .state import state_of


def _path_and_method(params: Params) -> Dict[str, Optional[str]]:
    return {"path": params.get("path") or None, "method": params.get("method") or None}


async def list_messages(request: web.Request) -> web.Response:
    """Every stored message (raw content), optionally of one ``stream`` and ``topic``."""
    params = await read_params(request)
    realm = state_of(request).realm
    messages = realm.stored_messages(params.get("stream"), params.get("topic"))
    return json_success({"messages": messages})


async def reset(request: web.Request) -> web.Response:
    """Forget messages, queues, faults and the request log (users and channels stay)."""
    state_of(request).reset()
    return json_success()


async def list_requests(request: web.Request) -> web.Response:
    """The API request log: method, path, status (0 = dropped) and user."""
    records = state_of(request).log.records()
    return json_success({"requests": [r._asdict() for r in records]})


async def list_faults(request: web.Request) -> web.Response:
    """Faults still armed."""
    return json_success({"faults": state_of(request).faults.pending()})


async def fail(request: web.Request) -> web.Response:
    """Arm ``count`` failures with ``status`` (optional ``path``, ``method``, ``retry_after``, ``body``)."""
    params = await read_params(request)
    retry_after = get_float(params, "retry_after", None)
    fault = state_of(request).faults.fail_next(
        get_int(params, "count", 1),
        status=get_int(params, "status", 503),
        body=params.get("body"),
        retry_after=retry_after,
        **_path_and_method(params),
    )
    return json_success({"fault_id": fault.id})


async def drop(request: web.Request) -> web.Response:
    """Arm ``count`` dropped connections (``reset=true`` for a TCP RST)."""
    params = await read_params(request)
    fault = state_of(request).faults.drop_next(
        get_int(params, "count", 1), reset=get_bool(params, "reset"), **_path_and_method(params)
    )
    return json_success({"fault_id": fault.id})


async def delay(request: web.Request) -> web.Response:
    """Delay responses ``seconds`` (for ``count`` requests, or until cleared)."""
    params = await read_params(request)
    fault = state_of(request).faults.delay(
        get_float(params, "seconds"), get_int(params, "count", None), **_path_and_method(params)
    )
    return json_success({"fault_id": fault.id})


async def clear_faults(request: web.Request) -> web.Response:
    """Disarm every fault."""
    state_of(request).faults.clear()
    return json_success()


async def expire_queues(request: web.Request) -> web.Response:
    """Expire one event queue (``queue_id``) or, without it, all of them."""
    params = await read_params(request)
    queues = state_of(request).realm.queues
    queue_id = params.get("queue_id")
    expired = int(queues.expire(queue_id)) if queue_id else queues.expire_all()
    return json_success({"expired": expired})


async def add_user(request: web.Request) -> web.Response:
    """Create a user: ``email``, optional ``api_key``, ``full_name``, ``bot`` (default true)."""
    params = await read_params(request)
    realm = state_of(request).realm
    user = realm.add_user(
        get_str(params, "email"),
        params.get("api_key") or None,
        params.get("full_name") or None,
        get_bool(params, "bot", True),
    )
    return json_success({"user_id": user.user_id, "email": user.email, "api_key": user.api_key})


async def add_stream(request: web.Request) -> web.Response:
    """Create a channel ``name`` (subscribing every user unless ``subscribe_all=false``)."""
    params = await read_params(request)
    realm = state_of(request).realm
    stream, _ = realm.ensure_stream(get_str(params, "name"), params.get("description", ""))
    if get_bool(params, "subscribe_all", True):
        realm.subscribe_users(stream, realm.store.users())
    return json_success({"stream_id": stream.stream_id, "name": stream.name})


async def send(request: web.Request) -> web.Response:
    """Post a message as ``sender`` (an email), e.g. a human talking to a bot under test."""
    params = await read_params(request)
    realm = state_of(request).realm
    topic: Any = params.get("topic", params.get("subject"))
    message = realm.send_message(
        realm.user(get_str(params, "sender")),
        get_str(params, "type", "stream"),
        get_str(params, "to"),
        get_str(params, "content"),
        topic,
        params.get("client") or "devserver",
    )
    return json_success({"id": message.id})
