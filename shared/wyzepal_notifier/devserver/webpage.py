"""``GET /``: the dev server's own web page, to watch notifications arrive.

It shows the public channels, their topics and messages, rendered with the same
HTML the API gives (``Realm.message_dict(..., apply_markdown=True)``: mentions,
code, quotes, emoji, reactions, edits), and follows changes live: the page
long-polls ``/devserver/page/feed``, which waits on an event queue of its own
(``all_public_streams``, user id 0, so it belongs to nobody) and answers with a
fresh snapshot as soon as an event arrives.

The browser never holds an API key: the page and its feed answer only a
client on this machine (a loopback peer) whose ``Host`` names a loopback
address on the server's own port and whose ``Origin``, if sent, is that same
address.  Anything else gets a 403, so a web page elsewhere cannot read the
organisation through a browser on this machine (the server-wide ``HostGuard``
turns away DNS rebinding too; this check holds even without it).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Dict, List, Optional

from aiohttp import web

from .hostcheck import LOOPBACK_NAMES, split_host
from .realm import Realm
from .responses import json_error
from .state import state_of

STATIC = Path(__file__).with_name("static")
#: Files the page is made of, and their content types.
FILES = {"page.html": "text/html", "page.js": "text/javascript", "page.css": "text/css"}
#: Seconds a feed request waits for an event before answering "nothing new".
FEED_WAIT = 20.0
#: The newest messages a snapshot carries (a dev server holds few; a long test run may hold many).
SNAPSHOT_LIMIT = 500
#: The user id of the page's event queues: no user has it, so no user's queue list shows them.
PAGE_VIEWER = 0
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
}


def routes() -> List[web.RouteDef]:
    """The page, its two static files and its feed."""
    return [
        web.get("/", index, allow_head=False),
        web.get("/devserver/page/{name}", static_file, allow_head=False),
        web.get("/devserver/page-feed", feed, allow_head=False),
    ]


# --- who may see it ------------------------------------------------------------------------------
def refusal(request: web.Request) -> Optional[web.Response]:
    """The 403 for anyone but a browser on this machine talking to this server by a loopback name."""
    if not _is_loopback(request.remote):
        return _forbidden(f"the dev server page is served to this machine only, not to {request.remote}")
    host = request.headers.get("Host", "")
    name, port = split_host(host)
    if name not in LOOPBACK_NAMES or port != _local_port(request):
        return _forbidden(f"Host '{host}' is not this dev server's loopback address")
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/").lower() != f"http://{host}".lower():
        return _forbidden(f"Origin '{origin}' is not this dev server (http://{host})")
    return None


def _is_loopback(address: Optional[str]) -> bool:
    """127.0.0.0/8 or ::1, also as ``::ffff:127.0.0.1`` (an IPv4 client of a server bound to ``::``)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def _local_port(request: web.Request) -> Optional[int]:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return sockname[1] if sockname else None


def _forbidden(why: str) -> web.Response:
    return json_error(f"Forbidden: {why}.", "FORBIDDEN", 403, headers=HEADERS)


# --- the handlers --------------------------------------------------------------------------------
async def index(request: web.Request) -> web.StreamResponse:
    """The page itself."""
    return await _serve(request, "page.html")


async def static_file(request: web.Request) -> web.StreamResponse:
    """``page.js`` and ``page.css``; nothing else is served from the folder."""
    name = request.match_info["name"]
    if name not in FILES or name == "page.html":
        return json_error(f"No such file: {name}", "NOT_FOUND", 404, headers=HEADERS)
    return await _serve(request, name)


async def _serve(request: web.Request, name: str) -> web.StreamResponse:
    refused = refusal(request)
    if refused is not None:
        return refused
    body = (STATIC / name).read_bytes()
    return web.Response(body=body, content_type=FILES[name], charset="utf-8", headers=HEADERS)


async def feed(request: web.Request) -> web.Response:
    """A snapshot now (first call, or the page's queue is gone), else one after the next change.

    Query: ``queue_id`` and ``last_event_id`` from the previous answer.  The answer
    carries them anew, and ``snapshot`` (null when the wait ended without a change).
    """
    refused = refusal(request)
    if refused is not None:
        return refused
    realm = state_of(request).realm
    queue_id = request.query.get("queue_id", "")
    queue = next((q for q in realm.queues.all() if q.queue_id == queue_id and q.user_id == PAGE_VIEWER), None)
    if queue is None:
        queue = realm.queues.register(PAGE_VIEWER, None, [], all_public_streams=True)
        return _feed_answer(queue.queue_id, -1, snapshot(realm))
    try:
        last_event_id = int(request.query.get("last_event_id", "-1"))
    except ValueError:
        return json_error("last_event_id is not an integer", headers=HEADERS)
    events = await realm.queues.wait(queue, last_event_id, False, FEED_WAIT)
    newest = max([last_event_id] + [e["id"] for e in events])
    changed = any(e["type"] != "heartbeat" for e in events)
    return _feed_answer(queue.queue_id, newest, snapshot(realm) if changed else None)


def _feed_answer(queue_id: str, last_event_id: int, data: Optional[Dict[str, Any]]) -> web.Response:
    body = {"queue_id": queue_id, "last_event_id": last_event_id, "snapshot": data}
    return web.json_response(body, headers=HEADERS)


# --- what the page shows -------------------------------------------------------------------------
def snapshot(realm: Realm) -> Dict[str, Any]:
    """Public channels and their newest messages, each as the API renders it."""
    channels = [s for s in realm.store.streams() if not s.invite_only]
    public = {s.stream_id for s in channels}
    messages = [m for m in realm.store.messages() if m.type == "stream" and m.stream_id in public]
    return {
        "realm_name": realm.settings.realm_name,
        "channels": [{"id": s.stream_id, "name": s.name, "description": s.description} for s in channels],
        "users": {str(u.user_id): u.full_name for u in realm.store.users()},
        "messages": [_message(realm, m) for m in messages[-SNAPSHOT_LIMIT:]],
    }


def _message(realm: Realm, message: Any) -> Dict[str, Any]:
    view = realm.message_dict(message, apply_markdown=True)
    topic = view["subject"]
    show_topic = getattr(realm, "topic_for_client", None)
    return {
        "id": view["id"],
        "stream_id": view.get("stream_id"),
        "topic": show_topic(topic, "stream", False) if show_topic else topic,
        "empty_topic": topic == "",
        "sender": view["sender_full_name"],
        "sender_id": view["sender_id"],
        "timestamp": view["timestamp"],
        "content": view["content"],
        "reactions": view.get("reactions", []),
        "edited": "last_edit_timestamp" in view,
        "moved": "last_moved_timestamp" in view,
    }
