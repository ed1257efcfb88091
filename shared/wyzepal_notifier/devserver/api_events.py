"""POST /register, GET and DELETE /events: the real-time events API."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from aiohttp import web

from .narrow import parse_narrow
from .params import get_bool, get_int, get_json, get_str, read_params
from .responses import ApiError, json_success
from .state import state_of, user_of


def _string_list(value: Any, name: str) -> Optional[List[str]]:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(f"{name} is not a list of strings")
    return value


def _capabilities(value: Any) -> Optional[Dict[str, Any]]:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError("client_capabilities is not a dict")
    return value


async def register(request: web.Request) -> web.Response:
    """Create an event queue filtered by event types and narrow."""
    params = await read_params(request)
    realm = state_of(request).realm
    state = realm.register(
        user_of(request),
        _string_list(get_json(params, "event_types", None), "event_types"),
        parse_narrow(get_json(params, "narrow", [])),
        all_public_streams=get_bool(params, "all_public_streams"),
        apply_markdown=get_bool(params, "apply_markdown"),
        fetch_event_types=_string_list(get_json(params, "fetch_event_types", None), "fetch_event_types"),
        client_capabilities=_capabilities(get_json(params, "client_capabilities", None)),
    )
    return json_success(state)


async def get_events(request: web.Request) -> web.Response:
    """Long-poll: answer at once if events are pending, else on the next one or a heartbeat."""
    params = await read_params(request)
    realm = state_of(request).realm
    queue = realm.queues.get(get_str(params, "queue_id"), user_of(request).user_id)
    events = await realm.queues.wait(
        queue,
        get_int(params, "last_event_id", None),
        get_bool(params, "dont_block"),
        realm.settings.heartbeat_seconds,
    )
    return json_success({"events": events})


async def delete_queue(request: web.Request) -> web.Response:
    """Delete a queue; later polls of it get BAD_EVENT_QUEUE_ID."""
    params = await read_params(request)
    state_of(request).realm.queues.delete(get_str(params, "queue_id"), user_of(request).user_id)
    return json_success()
