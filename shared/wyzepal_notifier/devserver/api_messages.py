"""POST and GET /api/v1/messages."""

from __future__ import annotations

import json
from typing import Any, Dict

from aiohttp import web

from . import reactions
from .editing import EditRequest, MessageEditor
from .narrow import parse_narrow
from .params import Params, get_bool, get_int, get_json, get_str, read_params
from .realm import Realm
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
    queue_id = params.get("queue_id")
    local_id = params.get("local_id")
    if queue_id is not None and local_id is None:
        raise missing_argument("local_id")
    realm = state_of(request).realm
    message = realm.send_message(
        user_of(request), msg_type, to, content, topic, client_name(request), queue_id=queue_id, local_id=local_id
    )
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
    allow_empty = get_bool(params, "allow_empty_topic_name", False)
    message_ids = get_json(params, "message_ids", None)
    if message_ids is not None:
        clash = [p for p in _RANGE_PARAMS if p in params]
        if clash:
            names = ", ".join(["message_ids", *clash])
            raise ApiError(f"Unsupported parameter combination: {names}", parameters=names)
        if not isinstance(message_ids, list):
            raise ApiError("message_ids is not a list")
        found = realm.fetch_message_ids(user, terms, message_ids, apply_markdown)
        return json_success(_topics_for_client(realm, found, allow_empty))
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
    return json_success(_topics_for_client(realm, result, allow_empty))


def _topics_for_client(realm: Realm, result: Dict[str, Any], allow_empty: bool) -> Dict[str, Any]:
    """The empty topic as ``allow_empty_topic_name`` asks (after narrow matching saw the real one)."""
    for view in result["messages"]:
        view["subject"] = realm.topic_for_client(view["subject"], view["type"], allow_empty)
    return result


def _message_id(request: web.Request) -> int:
    return int(request.match_info["message_id"])


async def get_message(request: web.Request) -> web.Response:
    """GET /messages/{id}: one message (rendered unless ``apply_markdown=false``) and ``raw_content``."""
    params = await read_params(request)
    realm = state_of(request).realm
    user = user_of(request)
    message = realm.visible_message(user, _message_id(request))
    apply_markdown = get_bool(params, "apply_markdown", True)
    view = realm.message_dict(message, user.user_id, apply_markdown=apply_markdown)
    allow_empty = get_bool(params, "allow_empty_topic_name", False)
    view["subject"] = realm.topic_for_client(view["subject"], message.type, allow_empty)
    for entry in view.get("edit_history", []):
        for key in ("topic", "prev_topic"):
            if key in entry:
                entry[key] = realm.topic_for_client(entry[key], "stream", allow_empty)
    return json_success({"raw_content": message.content, "message": view})


async def update_message(request: web.Request) -> web.Response:
    """PATCH /messages/{id}: edit content, move topic/channel, resolve (see ``editing``)."""
    params = await read_params(request)
    stream_id = get_json(params, "stream_id", None)
    if stream_id is not None and (not isinstance(stream_id, int) or isinstance(stream_id, bool)):
        raise ApiError("stream_id is not an integer")
    edit = EditRequest(
        message_id=_message_id(request),
        content=params.get("content"),
        topic=params.get("topic", params.get("subject")),
        stream_id=stream_id,
        propagate_mode=get_str(params, "propagate_mode", "change_one"),
        send_notification_to_old_thread=get_bool(params, "send_notification_to_old_thread", False),
        send_notification_to_new_thread=get_bool(params, "send_notification_to_new_thread", True),
    )
    extra = MessageEditor(state_of(request).realm).update(user_of(request), edit)
    return json_success(extra)


async def message_history(request: web.Request) -> web.Response:
    """GET /messages/{id}/history: every version of the message, oldest first."""
    params = await read_params(request)
    realm = state_of(request).realm
    message = realm.visible_message(user_of(request), _message_id(request))
    if not realm.policy.allow_edit_history:
        raise ApiError("Message edit history is disabled in this organization")
    allow_empty = get_bool(params, "allow_empty_topic_name", False)
    return json_success({"message_history": realm.message_history(message, allow_empty)})


async def render_message(request: web.Request) -> web.Response:
    """POST /messages/render: what the server would make of ``content``."""
    params = await read_params(request)
    content = get_str(params, "content")
    if not content.strip():
        raise ApiError("Message must not be empty")
    return json_success({"rendered": state_of(request).realm.render(content)})


def _emoji_params(params: Params) -> tuple:
    return params.get("emoji_name"), params.get("emoji_code"), params.get("reaction_type")


async def add_reaction(request: web.Request) -> web.Response:
    """POST /messages/{id}/reactions."""
    params = await read_params(request)
    reactions.add_reaction(state_of(request).realm, user_of(request), _message_id(request), *_emoji_params(params))
    return json_success()


async def remove_reaction(request: web.Request) -> web.Response:
    """DELETE /messages/{id}/reactions."""
    params = await read_params(request)
    reactions.remove_reaction(state_of(request).realm, user_of(request), _message_id(request), *_emoji_params(params))
    return json_success()
