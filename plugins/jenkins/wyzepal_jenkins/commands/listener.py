"""The command handler on the events API (messages and reactions): a thread beside the watcher's poll loop.

``wyzepal_notifier.events`` registers the queue, long-polls, catches up after a
queue expiry and backs off while the server is away; replies go out through
the integration's outbox like every other message.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Optional

from wyzepal_notifier import WyzePalError
from wyzepal_notifier.events import Reaction, call_on_each_event

from ..api import JenkinsAPI
from ..integration import JenkinsIntegration
from ..watch.state import WatchState
from .handler import CommandHandler

log = logging.getLogger("wyzepal_notifier.jenkins.commands")
RETRY_WAIT = 10.0


def start_listener(integration: JenkinsIntegration, api: JenkinsAPI, state: WatchState,
                   stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=listen, args=(integration, api, state, stop),
                              name="wyzepal-jenkins-commands", daemon=True)
    thread.start()
    return thread


def listen(integration: JenkinsIntegration, api: JenkinsAPI, state: WatchState, stop: threading.Event) -> None:
    """Answer commands until ``stop`` is set; a refused API key is logged, then tried again later."""
    handler: Optional[CommandHandler] = None
    while not stop.is_set():
        try:
            if handler is None:
                profile = integration.client.get_profile()
                handler = CommandHandler(integration, api, state, bot_email=profile["email"],
                                         bot_id=profile.get("user_id"), bot_name=profile.get("full_name", ""))
                log.info("answering commands as %s", profile.get("full_name"))
            call_on_each_event(integration.client, _replier(integration, handler), ["message", "reaction"], stop=stop)
        except WyzePalError as exc:
            log.error("chat commands paused: %s", exc)
            stop.wait(RETRY_WAIT)


def _replier(integration: JenkinsIntegration, handler: CommandHandler):
    """Messages get answers; reactions on an input's announcement answer the input."""
    def reply(event: dict[str, Any]) -> None:
        try:
            if event.get("type") == "message":
                answer = handler.handle(event["message"])
            else:
                reaction = Reaction.from_event(event)
                answer = handler.handle_reaction(reaction) if reaction is not None else None
        except Exception:  # one odd message must not stop the bot
            log.exception("could not answer event %s", event.get("id"))
            return
        if answer is not None:
            integration.send(answer)

    return reply
