"""The aiohttp application: routes of the Zulip-compatible API and /devserver/ controls."""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator, Optional

from aiohttp import web

from . import api_channels, api_events, api_messages, api_users, control, webpage
from .hostcheck import HostGuard
from .middleware import authenticate_api, inject_faults, log_requests, record_responses, render_errors
from .state import STATE, ServerState


def _api_routes() -> list:
    v1 = "/api/v1"
    return [
        web.get(f"{v1}/server_settings", api_users.server_settings),
        web.get(f"{v1}/users/me", api_users.get_own_user),
        web.get(f"{v1}/users", api_users.list_users),
        web.post(f"{v1}/messages", api_messages.send_message),
        web.get(f"{v1}/messages", api_messages.get_messages, allow_head=False),
        web.get(f"{v1}/streams", api_channels.list_streams, allow_head=False),
        web.get(f"{v1}/get_stream_id", api_channels.get_stream_id, allow_head=False),
        web.get(f"{v1}/users/me/subscriptions", api_channels.list_subscriptions, allow_head=False),
        web.post(f"{v1}/users/me/subscriptions", api_channels.subscribe),
        web.delete(f"{v1}/users/me/subscriptions", api_channels.unsubscribe),
        web.get(f"{v1}/messages/{{message_id:\\d+}}", api_messages.get_message, allow_head=False),
        web.patch(f"{v1}/messages/{{message_id:\\d+}}", api_messages.update_message),
        web.get(f"{v1}/messages/{{message_id:\\d+}}/history", api_messages.message_history, allow_head=False),
        web.post(f"{v1}/messages/{{message_id:\\d+}}/reactions", api_messages.add_reaction),
        web.delete(f"{v1}/messages/{{message_id:\\d+}}/reactions", api_messages.remove_reaction),
        web.post(f"{v1}/messages/render", api_messages.render_message),
        web.get(f"{v1}/users/me/{{stream_id:\\d+}}/topics", api_channels.list_topics, allow_head=False),
        web.post(f"{v1}/register", api_events.register),
        web.get(f"{v1}/events", api_events.get_events, allow_head=False),
        web.delete(f"{v1}/events", api_events.delete_queue),
    ]


def _control_routes() -> list:
    return [
        web.get("/devserver/messages", control.list_messages, allow_head=False),
        web.post("/devserver/messages", control.send),
        web.post("/devserver/reset", control.reset),
        web.get("/devserver/requests", control.list_requests, allow_head=False),
        web.get("/devserver/faults", control.list_faults, allow_head=False),
        web.post("/devserver/faults/fail", control.fail),
        web.post("/devserver/faults/drop", control.drop),
        web.post("/devserver/faults/delay", control.delay),
        web.post("/devserver/faults/clear", control.clear_faults),
        web.post("/devserver/queues/expire", control.expire_queues),
        web.post("/devserver/users", control.add_user),
        web.post("/devserver/streams", control.add_stream),
        web.get("/devserver/realm", control.get_realm, allow_head=False),
        web.post("/devserver/realm", control.set_realm),
        web.post("/devserver/messages/backdate", control.backdate_message),
    ]


async def _collect_idle_queues(app: web.Application) -> AsyncIterator[None]:
    """Background task: expire queues idle longer than the queue timeout."""
    queues = app[STATE].realm.queues

    async def loop() -> None:
        while True:
            await asyncio.sleep(max(0.05, min(queues.queue_timeout / 4, 10.0)))
            queues.collect_idle()

    task = asyncio.ensure_future(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def create_app(state: ServerState, guard: Optional[HostGuard] = None) -> web.Application:
    """An application serving ``state``; several apps over time may share one state.

    ``guard`` (outermost) refuses foreign ``Host``/``Origin`` headers.
    """
    middlewares = [record_responses, log_requests, inject_faults, render_errors, authenticate_api]
    app = web.Application(middlewares=([guard.middleware] if guard else []) + middlewares)
    app[STATE] = state
    app.add_routes(_api_routes() + _control_routes() + webpage.routes())
    app.cleanup_ctx.append(_collect_idle_queues)
    return app
