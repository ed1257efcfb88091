"""The bridge: WyzePal events in as ``message`` lines, Hubot's requests out as messages.

Three threads and one stop event: the event stream (library) writes ``message``
lines, the stdin reader turns request lines into queued answers, and the
delivery worker sends them in order. End of stdin (Hubot stopped), SIGTERM or
Ctrl-C set the stop event; the bridge then deletes its queue, sends what it can
within a few seconds and exits.
"""
from __future__ import annotations

import itertools
import json
import logging
import threading
from dataclasses import replace
from typing import Any, Optional, TextIO

from wyzepal_notifier import Client, RetryPolicy
from wyzepal_notifier.errors import WyzePalError
from wyzepal_notifier.events import EventStream, Stopped
from wyzepal_notifier.events.interruptible import InterruptibleCaller, sleep_unless_stopped

from .delivery import Delivery
from .inbound import Addressing, message_line
from .integration import HubotIntegration
from .outbound import Defaults, messages_for
from .protocol import BadLine, LineWriter, Person, parse_request

log = logging.getLogger("wyzepal_hubot.bridge")

#: Retries while looking up who the bot is: a server that is down at start is waited for.
STARTUP_BACKOFF = RetryPolicy(base=0.5, cap=30.0)
#: How long a stopping bridge waits for the server to delete its event queue.
QUEUE_DELETE_SECONDS = 3.0


class Bridge:
    """One bridge process's work, between ``stdin``/``stdout`` and one WyzePal server."""

    def __init__(self, integration: HubotIntegration, stdin: TextIO, stdout: TextIO, *, robot_name: str = "Hubot",
                 robot_alias: Optional[str] = None, resume_after: Optional[int] = None,
                 stop: Optional[threading.Event] = None, drain_seconds: float = 5.0) -> None:
        self.integration = integration
        self.stdin = stdin
        self.writer = LineWriter(stdout)
        self.robot_name = robot_name
        self.robot_alias = robot_alias
        self.resume_after = resume_after
        self.stop_event = stop or threading.Event()
        self.drain_seconds = drain_seconds
        settings = integration.settings
        self.defaults = Defaults(settings["STREAM_FOR_NOTIFICATIONS"], settings["TOPIC"] or "hubot",
                                 bool(settings["ALLOW_WILDCARD_MENTIONS"]))
        self.events_client = self._client(Client)
        self.delivery = Delivery(self._client(Client), self.writer)
        self.addressing: Optional[Addressing] = None
        self.stream: Optional[EventStream] = None
        self.failure: Optional[BaseException] = None
        self._listener: Optional[threading.Thread] = None

    def _client(self, cls: type[Client]) -> Client:
        return cls.from_credentials(self.integration.settings.credentials,
                                    client_name=self.integration.user_agent_name(),
                                    client_version=self.integration.version)

    # -- running ----------------------------------------------------------------------

    def run(self) -> None:
        """Serve until stopped; raises APIError when the server refuses the bot for good."""
        reader = threading.Thread(target=self._read_requests, name="wyzepal-hubot-stdin", daemon=True)
        self._listener = threading.Thread(target=self._listen, name="wyzepal-hubot-events", daemon=True)
        reader.start()  # first: end of input must stop a bridge still waiting for its server
        try:
            bot = self._who_am_i()
            self.addressing = Addressing(bot, self.robot_name, self.robot_alias)
            self._announce_users()
            self.delivery.start()
            self._listener.start()
            self.stop_event.wait()
        except Stopped:
            pass
        finally:
            self.shutdown()
        if self.failure is not None:
            raise self.failure

    def shutdown(self) -> None:
        self.stop_event.set()
        if self._listener is not None and self._listener.is_alive():
            self._listener.join(QUEUE_DELETE_SECONDS)  # its stream deletes the queue on the way out
        if self.delivery.running:
            if not self.delivery.close(self.drain_seconds):
                log.warning("stopping with answers not yet delivered; Hubot gives them to the next bridge")

    def _who_am_i(self) -> Person:
        """The bot's own user; waits (interruptibly) for a server that is down at start."""
        caller = InterruptibleCaller(self.stop_event, "wyzepal-hubot-profile")
        attempts = itertools.count()
        try:
            while True:
                try:
                    profile = caller.call(self.events_client.get_profile)
                    return Person(profile["user_id"], profile.get("full_name", ""), profile["email"])
                except WyzePalError as exc:
                    if getattr(exc, "permanent", False):
                        raise
                    delay = STARTUP_BACKOFF.backoff(min(next(attempts), 6))
                    log.warning("cannot reach WyzePal yet (%s); trying again in %.1f s", exc, delay)
                    sleep_unless_stopped(delay, self.stop_event)
        finally:
            caller.close()

    def _announce_users(self) -> None:
        try:
            members = self.events_client.call("GET", "users").get("members", [])
        except WyzePalError as exc:
            log.warning("the list of users is not available (%s); Hubot learns people as they speak", exc)
            return
        self.writer.users(Person(m.get("user_id"), m.get("full_name", ""), m.get("email", ""))
                          for m in members if m.get("is_active", True))

    def _on_register(self, state: dict[str, Any]) -> None:
        self.defaults = replace(self.defaults,
                                max_content=int(state.get("max_message_length") or self.defaults.max_content),
                                max_topic=int(state.get("max_topic_length") or self.defaults.max_topic))
        if self.stream is not None and self.stream.registrations == 0:
            assert self.addressing is not None
            self.writer.ready(self.addressing.bot, self.events_client.site, state.get("max_message_id"))
            log.info("listening as %s on %s", self.addressing.bot.email, self.events_client.site)
        else:
            log.info("listening again on a new event queue")

    # -- the threads --------------------------------------------------------------------

    def _listen(self) -> None:
        settings = self.integration.settings
        self.stream = EventStream(self.events_client, ["message"], stop=self.stop_event,
                                  all_public_streams=bool(settings["ALL_PUBLIC_STREAMS"]),
                                  on_register=self._on_register, resume_after=self.resume_after)
        try:
            for event in self.stream:
                if event.get("type") == "message":
                    self._hear(event)
        except BaseException as exc:  # a refusal for good: the bridge exits and the adapter restarts it
            if not self.stop_event.is_set():
                log.error("listening stopped: %s", exc)
                self.failure = exc
        finally:
            self.stop_event.set()

    def _hear(self, event: dict[str, Any]) -> None:
        assert self.addressing is not None
        line = message_line(event["message"], event.get("flags") or [], self.addressing)
        if line is not None:
            log.debug("heard message %s in %s", line["id"], line["room"])
        if line is not None and not self.writer.message(**line):
            log.info("Hubot is gone (stdout closed); stopping")
            self.stop_event.set()

    def _read_requests(self) -> None:
        for line in self.stdin:
            if self.stop_event.is_set():
                return
            if line.strip():
                self._handle(line)
        log.info("Hubot closed the pipe; stopping")
        self.stop_event.set()

    def _handle(self, line: str) -> None:
        try:
            request = parse_request(line)
        except BadLine as exc:
            log.warning("ignored a line from the adapter (%s): %.200s", exc, line.strip())
            self.writer.error(_ref_of(line), f"bad request: {exc}", permanent=True)
            return
        try:
            messages = messages_for(request, self.defaults)
        except Exception as exc:  # a bug in turning one answer into messages must not stop the others
            log.exception("answer %s could not be prepared", request.ref)
            self.delivery.reject(request.ref, f"could not prepare the answer: {exc}")
            return
        self.delivery.put(request.ref, messages)


def _ref_of(line: str) -> Optional[str]:
    """The ``ref`` of a line that is JSON but not a valid request, so its sender hears back."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    ref = data.get("ref") if isinstance(data, dict) else None
    return None if ref is None else str(ref)
