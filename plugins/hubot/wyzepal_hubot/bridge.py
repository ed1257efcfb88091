"""The bridge: WyzePal events in as ``message``, ``reaction`` and ``update`` lines, Hubot's requests out.

Three threads and one stop event: the event stream (library) writes ``message``
lines, the stdin reader turns request lines into queued answers, and the
delivery worker sends them in order. End of stdin (Hubot stopped), SIGTERM or
Ctrl-C set the stop event; the bridge then deletes its queue, sends what it can
within a few seconds and exits. What bots (other than this one) say or do is not
passed on unless IGNORE_BOTS is off: two bots answering each other never stop.
"""
from __future__ import annotations

import itertools
import json
import logging
import threading
from dataclasses import replace
from typing import Any, Optional, TextIO

from wyzepal_notifier import Client, RetryPolicy
from wyzepal_notifier.client.rules import EMPTY_TOPIC_FEATURE_LEVEL
from wyzepal_notifier.errors import WyzePalError
from wyzepal_notifier.events import EventStream, MessageUpdate, Reaction, Stopped
from wyzepal_notifier.events.interruptible import InterruptibleCaller, sleep_unless_stopped

from .delivery import Delivery
from .directory import LOOKUP_RETRY, Directory
from .inbound import Addressing, message_line, reaction_line, update_line
from .integration import HubotIntegration
from .outbound import Defaults, work_for
from .protocol import BadLine, LineWriter, Person, parse_request
from .rooms import ChannelRoom

#: What the bridge listens to: messages, reactions, and edits and moves of messages.
EVENT_TYPES = ["message", "reaction", "update_message"]

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
        self.ignore_bots = bool(settings["IGNORE_BOTS"])
        self.addressing: Optional[Addressing] = None
        self.directory: Optional[Directory] = None
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
            self.directory = Directory(self.events_client, bot.email)
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
        assert self.directory is not None
        people = self.directory.load()
        if people:
            self.writer.users(people)

    def _learn_rules(self) -> None:
        """The realm's name for the empty topic (and whether it has one), for answers said there.

        Asked once the event queue exists: the short-lived queue this makes must not be
        mistaken (by a watcher of the server's queues) for the bridge listening.
        """
        try:
            rules = self.events_client.get_realm_settings(retry=LOOKUP_RETRY)
        except WyzePalError as exc:
            log.info("the organisation's settings are not available (%s); the empty topic is 'general chat'", exc)
            return
        empty = rules.empty_topic_display_name if rules.empty_topic_allowed else None
        self.defaults = replace(self.defaults, empty_topic=empty)

    def _on_register(self, state: dict[str, Any]) -> None:
        self.defaults = replace(self.defaults,
                                max_content=int(state.get("max_message_length") or self.defaults.max_content),
                                max_topic=int(state.get("max_topic_length") or self.defaults.max_topic))
        if int(state.get("zulip_feature_level") or 0) < EMPTY_TOPIC_FEATURE_LEVEL:
            self.defaults = replace(self.defaults, empty_topic=None)
        if self.stream is not None and self.stream.registrations == 0:
            assert self.addressing is not None
            self.writer.ready(self.addressing.bot, self.events_client.site, state.get("max_message_id"))
            log.info("listening as %s on %s", self.addressing.bot.email, self.events_client.site)
            self._learn_rules()  # after ready: a bridge killed now must already have said where to resume
        else:
            log.info("listening again on a new event queue")

    # -- the threads --------------------------------------------------------------------

    def _listen(self) -> None:
        settings = self.integration.settings
        self.stream = EventStream(self.events_client, EVENT_TYPES, stop=self.stop_event,
                                  all_public_streams=bool(settings["ALL_PUBLIC_STREAMS"]),
                                  on_register=self._on_register, resume_after=self.resume_after)
        handlers = {"message": self._hear, "reaction": self._hear_reaction, "update_message": self._hear_update}
        try:
            for event in self.stream:
                handler = handlers.get(str(event.get("type")))
                if handler is not None:
                    handler(event)
        except BaseException as exc:  # a refusal for good: the bridge exits and the adapter restarts it
            if not self.stop_event.is_set():
                log.error("listening stopped: %s", exc)
                self.failure = exc
        finally:
            self.stop_event.set()

    def _hear(self, event: dict[str, Any]) -> None:
        assert self.addressing is not None and self.directory is not None
        message = event["message"]
        sender = self.directory.saw(message).sender
        if self._ignored(sender, f"message {message.get('id')}"):
            return
        line = message_line(message, event.get("flags") or [], self.addressing, sender)
        if line is not None:
            log.debug("heard message %s in %s", line["id"], line["room"])
            self._tell(self.writer.message(**line))

    def _hear_reaction(self, event: dict[str, Any]) -> None:
        assert self.directory is not None
        reaction = Reaction.from_event(event)
        if reaction is None:
            return
        user = self.directory.person(reaction.user_id, reaction.full_name, reaction.email)
        if self._ignored(user, f"reaction to {reaction.message_id}"):
            return
        seen = self.directory.where(reaction.message_id)
        log.debug("heard reaction %s %s on %d", reaction.op, reaction.emoji_name, reaction.message_id)
        self._tell(self.writer.reaction(**reaction_line(reaction, user, seen.room if seen else None,
                                                        seen.sender if seen else None)))

    def _hear_update(self, event: dict[str, Any]) -> None:
        assert self.directory is not None
        update = MessageUpdate.from_event(event)
        if update is None or update.rendering_only or update.user_id is None:
            return  # a link preview the server rendered, not something a person did
        user = self.directory.person(update.user_id)
        stream = event.get("stream_name")
        old_room = ChannelRoom(stream, update.orig_topic) if stream and update.orig_topic is not None else None
        if update.topic_changed or update.channel_changed:
            room = self.directory.room_after_move(stream, update.topic, update.message_id, update.channel_changed)
            if room is not None:
                self.directory.moved(update.message_ids, room)
        else:
            seen = self.directory.where(update.message_id)
            room = seen.room if seen else None
            old_room = None
        if self._ignored(user, f"edit of {update.message_id}"):
            return
        self._tell(self.writer.update(**update_line(update, user, room, old_room)))

    def _ignored(self, person: Person, what: str) -> bool:
        """The bot's own doings, and other bots' unless IGNORE_BOTS is off: no loops."""
        assert self.addressing is not None
        if str(person.id) == str(self.addressing.bot.id):
            return True
        if person.bot and self.ignore_bots:
            log.debug("ignored %s by the bot %s (IGNORE_BOTS)", what, person.email or person.id)
            return True
        return False

    def _tell(self, written: bool) -> None:
        if not written:
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
            work = work_for(request, self.defaults)
        except Exception as exc:  # a bug in turning one answer into messages must not stop the others
            log.exception("answer %s could not be prepared", request.ref)
            self.delivery.reject(request.ref, f"could not prepare the answer: {exc}")
            return
        self.delivery.answer(request.ref, work)


def _ref_of(line: str) -> Optional[str]:
    """The ``ref`` of a line that is JSON but not a valid request, so its sender hears back."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    ref = data.get("ref") if isinstance(data, dict) else None
    return None if ref is None else str(ref)
