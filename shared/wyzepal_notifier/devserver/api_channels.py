"""Channels: GET /streams, GET /get_stream_id and /users/me/subscriptions."""

from __future__ import annotations

from typing import Any, Dict, List

from aiohttp import web

from .params import Params, get_bool, get_json, get_str, read_params
from .realm import Realm
from .responses import ApiError, json_success
from .state import state_of, user_of
from .store import User


async def list_streams(request: web.Request) -> web.Response:
    """Every channel the user can see."""
    realm = state_of(request).realm
    streams = realm.visible_streams(user_of(request))
    return json_success({"streams": [{**realm.stream_dict(s), "is_default": False} for s in streams]})


async def get_stream_id(request: web.Request) -> web.Response:
    """The id of the channel named by ``stream``."""
    params = await read_params(request)
    name = get_str(params, "stream")
    stream = state_of(request).realm.store.stream_by_name(name)
    if stream is None or not state_of(request).realm.can_access(user_of(request), stream):
        raise ApiError(f"Invalid channel name '{name}'")
    return json_success({"stream_id": stream.stream_id})


async def list_subscriptions(request: web.Request) -> web.Response:
    """Channels the user is subscribed to."""
    params = await read_params(request)
    realm = state_of(request).realm
    with_subscribers = get_bool(params, "include_subscribers")
    subs = [realm.subscription_dict(s, with_subscribers) for s in realm.subscriptions(user_of(request))]
    return json_success({"subscriptions": subs})


def _principals(realm: Realm, params: Params, me: User) -> List[User]:
    refs = get_json(params, "principals", None)
    if refs is None:
        return [me]
    if not isinstance(refs, list):
        raise ApiError("principals is not a list")
    return [realm.user(ref) for ref in refs]


def _specs(value: Any) -> List[Dict[str, Any]]:
    if not isinstance(value, list):
        raise ApiError("subscriptions is not a list")
    specs = [{"name": v} if isinstance(v, str) else v for v in value]
    if not all(isinstance(s, dict) and isinstance(s.get("name"), str) for s in specs):
        raise ApiError('subscriptions[0] is missing "name"')
    return specs


async def subscribe(request: web.Request) -> web.Response:
    """Subscribe users (default: oneself) to channels, creating the missing ones."""
    params = await read_params(request)
    realm = state_of(request).realm
    me = user_of(request)
    subscribed, already = realm.subscribe(
        me,
        _specs(get_json(params, "subscriptions")),
        _principals(realm, params, me),
        invite_only=get_bool(params, "invite_only"),
    )
    return json_success({"subscribed": subscribed, "already_subscribed": already})


async def unsubscribe(request: web.Request) -> web.Response:
    """Unsubscribe users (default: oneself) from channels named in ``subscriptions``."""
    params = await read_params(request)
    realm = state_of(request).realm
    names = get_json(params, "subscriptions")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ApiError("subscriptions is not a list of channel names")
    removed, not_removed = realm.unsubscribe(names, _principals(realm, params, user_of(request)))
    return json_success({"removed": removed, "not_removed": not_removed})


async def list_topics(request: web.Request) -> web.Response:
    """GET /users/me/{stream_id}/topics: topics with their newest message id, newest first."""
    params = await read_params(request)
    realm = state_of(request).realm
    allow_empty = get_bool(params, "allow_empty_topic_name", False)
    topics = realm.topics(user_of(request), int(request.match_info["stream_id"]), allow_empty)
    return json_success({"topics": topics})
