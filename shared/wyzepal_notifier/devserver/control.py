"""Unauthenticated /devserver/ endpoints so out-of-process tests can drive the server.

They exist only on this development server: never expose it beyond localhost.
Parameters come as query string, form or JSON body.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from aiohttp import web

from .params import Params, get_bool, get_float, get_int, get_str, read_params
from .responses import ApiError, json_success
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
    """Create a user: ``email``, optional ``api_key``, ``full_name``, ``bot`` (default true), ``role``.

    The user joins every channel unless ``subscribe_all=false``.
    """
    params = await read_params(request)
    realm = state_of(request).realm
    user = realm.add_user(
        get_str(params, "email"),
        params.get("api_key") or None,
        params.get("full_name") or None,
        get_bool(params, "bot", True),
        params.get("role") or "member",
    )
    if get_bool(params, "subscribe_all", True):
        for stream in realm.store.streams():
            realm.subscribe_users(stream, [user])
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


async def get_realm(request: web.Request) -> web.Response:
    """The editing/moving settings and the feature level, as ``POST /register`` names them."""
    realm = state_of(request).realm
    return json_success({"realm": realm.policy_data(), "zulip_feature_level": realm.feature_level})


async def set_realm(request: web.Request) -> web.Response:
    """Change settings: a JSON object of setting names (with or without ``realm_``) to values.

    Groups take ``everyone``/``members``/``admins``/``nobody``..., a group id or
    ``{"direct_members": [...], "direct_subgroups": [...]}``; limits take seconds or null.
    ``zulip_feature_level`` changes the API level served.
    """
    realm = state_of(request).realm
    changes = await _json_object(request)
    level = changes.pop("zulip_feature_level", changes.pop("feature_level", None))
    if level is not None:
        if isinstance(level, bool) or not str(level).isdigit():
            raise ApiError(f"Invalid zulip_feature_level: {level!r} (a whole number)")
        realm.settings.feature_level = int(level)
    data = realm.update_policy(**changes)
    return json_success({"realm": data, "zulip_feature_level": realm.feature_level})


async def _json_object(request: web.Request) -> Dict[str, Any]:
    """A JSON body, or form/query fields whose values are JSON (``null``, ``600``) or plain text."""
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError("Malformed JSON") from None
        if not isinstance(body, dict):
            raise ApiError("Expected a JSON object of realm settings")
        return body
    result: Dict[str, Any] = {}
    for key, raw in (await read_params(request)).items():
        try:
            result[key] = json.loads(raw)
        except ValueError:
            result[key] = raw
    return result


async def backdate_message(request: web.Request) -> web.Response:
    """Make message ``message_id`` ``seconds`` older (edit and move time limits, without waiting)."""
    params = await read_params(request)
    realm = state_of(request).realm
    message = realm.store.message(get_int(params, "message_id"))
    if message is None:
        raise ApiError("Invalid message(s)")
    timestamp = int(message.timestamp - get_float(params, "seconds"))
    realm.store.update_message(message.id, timestamp=timestamp)
    return json_success({"message_id": message.id, "timestamp": timestamp})
