"""POST and GET /api/v1/messages."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .narrow import parse_narrow
from .params import Params, get_bool, get_int, get_json, get_str, read_params
from .responses import ApiError, json_success, missing_argument
from .state import state_of, user_of

_RANGE_PARAMS = ("anchor", "include_anchor", "use_first_unread_anchor", "num_before", "num_after")


def client_name(request: web.Request) -> str:
    """Zulip's ``client`` field: the User-Agent's product name (``ZulipPython``)."""
    agent = request.headers.get("User-Agent", "").strip()
    name = agent.split("/")[0].split(" ")[0] if agent else ""
    return name or "API"


async def send_message(request: web.Request) -> web.Response:
    """Send a channel or direct message; answers its new ``id``."""
    params = await read_params(request)
    msg_type = get_str(params, "type")
    to = get_str(params, "to")
    content = get_str(params, "content")
    topic = params.get("topic", params.get("subject"))
    realm = state_of(request).realm
    message = realm.send_message(user_of(request), msg_type, to, content, topic, client_name(request))
    return json_success({"id": message.id})


def parse_anchor(params: Params) -> Any:
    """``newest``/``oldest``/``first_unread`` or an integer id (raw or JSON-quoted)."""
    raw = params.get("anchor")
    if raw is None:
        if get_bool(params, "use_first_unread_anchor"):
            return "first_unread"
        raise missing_argument("anchor")
    if raw.startswith('"'):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ApiError("Invalid anchor") from None
    if raw in ("newest", "oldest", "first_unread"):
        return raw
    try:
        return int(raw)
    except ValueError:
        raise ApiError("Invalid anchor") from None


async def get_messages(request: web.Request) -> web.Response:
    """Fetch a window of messages around an anchor, or a list of ids, in a narrow."""
    params = await read_params(request)
    realm = state_of(request).realm
    user = user_of(request)
    terms = parse_narrow(get_json(params, "narrow", []))
    apply_markdown = get_bool(params, "apply_markdown", True)
    message_ids = get_json(params, "message_ids", None)
    if message_ids is not None:
        clash = [p for p in _RANGE_PARAMS if p in params]
        if clash:
            names = ", ".join(["message_ids", *clash])
            raise ApiError(f"Unsupported parameter combination: {names}", parameters=names)
        if not isinstance(message_ids, list):
            raise ApiError("message_ids is not a list")
        return json_success(realm.fetch_message_ids(user, terms, message_ids, apply_markdown))
    anchor = parse_anchor(params)
    result = realm.fetch_messages(
        user,
        terms,
        anchor,
        get_int(params, "num_before"),
        get_int(params, "num_after"),
        include_anchor=get_bool(params, "include_anchor", True),
        apply_markdown=apply_markdown,
    )
    return json_success(result)
