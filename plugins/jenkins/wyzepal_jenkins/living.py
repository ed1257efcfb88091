"""One living message per build (LIVING_MESSAGE): posted at the start, edited in place to the result.

The first notice of a build (``--started`` from the step, or the watcher seeing
it run) posts the message under a handle every process derives the same way
(:func:`build_handle`: Jenkins' host and path, the channel, the job, the
number). Later notices edit it, and swap its status reaction. Any process may
send the end: one whose spool does not know the handle names where the message
is (``Locate``: its channel, topic and the build's address, which it carries),
and the outbox finds it among the bot's recent messages.

An edit marks nothing unread, so outcomes people must hear of (the FOLLOW_UP
kinds whose NOTIFY_* is on) also post one short message that follows the
living one's conversation. When the edit will fall back (past the server's edit
limit), that fallback post is the one new message instead. With
RESOLVE_TOPIC_WHEN_GREEN a green build resolves its topic and a failing one
unresolves it; the next build's message follows the previous one's topic
(``conversation=``), so a resolved job keeps one topic.

Whether a message exists is asked of the server (one look-back) only when this
spool does not know the handle. When the server cannot be asked, the watcher
defers the build to its next poll (:class:`Deferred`); the step, which cannot
wait, assumes the start message exists when it ends a build.
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import urlsplit

from wyzepal_notifier import Message, WyzePalError
from wyzepal_notifier.formatting import channel_link, plain
from wyzepal_notifier.formatting.markdown import safe_url
from wyzepal_notifier.integration import Configuration
from wyzepal_notifier.outbox import HandleInUse, Locate

from .api.client import display_name
from .build.model import Build
from .fields import notify_setting
from .message import content, topic
from .message.parts import MARKERS, Parts

if TYPE_CHECKING:
    from .integration import JenkinsIntegration

log = logging.getLogger("wyzepal_notifier.jenkins")

#: The status reaction of each state (names the dev server and Zulip both know).
IN_PROGRESS = "hourglass"
STATUS_EMOJI = {"SUCCESS": "check", "UNSTABLE": "warning", "FAILURE": "cross_mark", "ABORTED": "stop_sign",
                "NOT_BUILT": "zzz"}
#: Outcomes worth a new (unread) message besides the edit, when their NOTIFY_* is on.
FOLLOW_UP_KINDS = ("first_failure", "still_failing", "regression", "back_to_normal", "unstable")
GREEN = ("SUCCESS",)
RED = ("FAILURE", "UNSTABLE")
#: Seconds kept in hand before the edit limit (the library keeps the same margin).
LIMIT_MARGIN = 5.0
RULES_MAX_AGE = 300.0


class Deferred(Exception):
    """The server could not say whether the build's message exists: ask again at the next poll."""


def jenkins_server(build: Build, fallback: str = "") -> str:
    """``ci.example.com/jenkins``: Jenkins' host and path, from the build's address (no user, no scheme)."""
    address = build.url or fallback or ""
    parts = urlsplit(address)
    path = parts.path.split("/job/", 1)[0].rstrip("/")
    host = parts.hostname or "jenkins"
    if parts.port:
        host += f":{parts.port}"
    return host + path


def build_handle(server: str, stream: str, build: Build) -> str:
    """One handle per Jenkins server, channel, job and build: the step and the watcher derive the same."""
    return f"jenkins:{server}:{stream}:{build.job}#{build.number}"


def status_emoji(build: Build) -> str:
    return IN_PROGRESS if build.result is None else STATUS_EMOJI.get(build.result, "zzz")


class LivingMessages:
    """The living messages of one integration; one instance per process (it caches the realm's rules)."""

    def __init__(self, integration: JenkinsIntegration) -> None:
        self.integration = integration
        self._rules: Any = None
        self._rules_at = 0.0
        self._client: Any = None

    # -- names -----------------------------------------------------------------------

    def handle(self, conf: Configuration, build: Build) -> str:
        return build_handle(jenkins_server(build, self.integration.settings.get("JENKINS_URL") or ""),
                            conf.stream, build)

    def locate(self, conf: Configuration, build: Build) -> Optional[Locate]:
        """Where another process finds the message: its topic and the build's address as the message shows it."""
        address = safe_url(build.url) if build.url else None
        return Locate(conf.stream, topic(conf, build), address) if address else None

    # -- the two moments ---------------------------------------------------------------

    def exists(self, conf: Configuration, build: Build, *, may_defer: bool, assume: bool) -> bool:
        """Whether the build's message was posted: the spool knows it, or the server shows it.

        When the server cannot be asked: Deferred if ``may_defer``, else ``assume``.
        """
        if self.integration.outbox.handle_state(self.handle(conf, build)) is not None:
            return True
        where = self.locate(conf, build)
        if where is None:
            return False  # no address to find it by: nobody else could have posted a findable one
        from wyzepal_notifier.outbox.operations import find_message

        try:
            return find_message(self.client(), where) is not None
        except WyzePalError as exc:
            if may_defer:
                raise Deferred(str(exc)) from None
            log.info("%s #%d: could not ask the server for its message (%s); assuming %s", build.job,
                     build.number, exc, "it was posted" if assume else "there is none")
            return assume

    def start(self, conf: Configuration, build: Build, exists: bool) -> bool:
        """Post the build's message and its in-progress reaction, unless someone did already."""
        if exists:
            return False
        return self._post(conf, build)

    def finish(self, conf: Configuration, build: Build, exists: bool) -> bool:
        """Edit the message to the result and swap its reaction; post it when there was none (per NOTIFY_*)."""
        if not exists:
            return self._post(conf, build) if conf.get(notify_setting(build.kind)) else False
        outbox, handle, where = self.integration.outbox, self.handle(conf, build), self.locate(conf, build)
        past_limit = self._past_edit_limit(handle, build) if self._wants_follow_up(conf, build) else False
        outbox.edit(handle, content(conf, build), fallback="follow_up", locate=where)
        outbox.remove_reaction(handle, IN_PROGRESS, locate=where)
        outbox.add_reaction(handle, status_emoji(build), locate=where)
        self._topic_health(conf, build, handle, where)
        if self._wants_follow_up(conf, build) and not past_limit:
            self._put_follow_up(conf, build, handle)
        return True

    def _put_follow_up(self, conf: Configuration, build: Build, handle: str) -> None:
        """The one short line; named too, so a second end notice from this spool (step and watcher) adds none."""
        message = Message.to_stream(conf.stream, topic(conf, build), self.follow_up(conf, build, handle))
        try:
            self.integration.outbox.put(message, handle=handle + ":follow-up", conversation=handle)
        except HandleInUse:
            log.info("%s #%d: its follow-up was posted already", build.job, build.number)

    # -- pieces ------------------------------------------------------------------------

    def _post(self, conf: Configuration, build: Build) -> bool:
        outbox, handle = self.integration.outbox, self.handle(conf, build)
        previous = self.previous_handle(conf, build)
        try:
            outbox.put(Message.to_stream(conf.stream, topic(conf, build), content(conf, build)), handle=handle,
                       conversation=previous)
        except HandleInUse:
            return False  # posted already by this spool (a restart, the step and the watcher on one machine)
        outbox.add_reaction(handle, status_emoji(build))
        if build.result is not None:
            self._topic_health(conf, build, handle, None)
        return True

    def previous_handle(self, conf: Configuration, build: Build) -> Optional[str]:
        """The job's previous build's message, when this spool knows it: the new one follows its topic.

        After RESOLVE_TOPIC_WHEN_GREEN renamed the topic to ``✔ job``, the next
        build posts there instead of opening a second ``job`` topic.
        """
        if build.number <= 1:
            return None
        earlier = Build(build.job, build.number - 1, url=build.url)
        handle = self.handle(conf, earlier)
        state = self.integration.outbox.handle_state(handle)
        return handle if state is not None and (state.stream or "").lower() == conf.stream.lower() else None

    def _wants_follow_up(self, conf: Configuration, build: Build) -> bool:
        return build.kind in FOLLOW_UP_KINDS and bool(conf.get(notify_setting(build.kind)))

    def follow_up(self, conf: Configuration, build: Build, handle: str) -> str:
        """A short line that marks the topic unread and points at the living message (never its address,
        which must stay the living message's own mark for the look-back)."""
        parts = Parts(conf, build)
        state = self.integration.outbox.handle_state(handle)
        label = plain(f"{display_name(build.job)} #{build.number}")
        where = channel_link(conf.stream, state.topic if state and state.topic else topic(conf, build))
        if state is not None and state.message_id and where.startswith("#**"):
            where = where[:-2] + f"@{state.message_id}**"
        return f"{MARKERS[build.kind]} **{label}** {parts.headline()}: see the build's message {where}"

    def _topic_health(self, conf: Configuration, build: Build, handle: str, where: Optional[Locate]) -> None:
        if not conf.get("RESOLVE_TOPIC_WHEN_GREEN"):
            return
        if build.result in GREEN:
            self.integration.outbox.resolve_topic(handle, True, locate=where)
        elif build.result in RED:
            self.integration.outbox.resolve_topic(handle, False, locate=where)

    def _past_edit_limit(self, handle: str, build: Build) -> bool:
        """Will the edit fall back to a new message? Then that message is the one follow-up."""
        rules = self._realm_rules()
        if rules is None:
            return False
        if not rules.editing_allowed:
            return True
        limit = rules.edit_limit_seconds
        if limit is None:
            return False
        state = self.integration.outbox.handle_state(handle)
        sent = state.sent_at if state is not None and state.sent_at else (build.timestamp_ms or 0) / 1000 or None
        return sent is not None and time.time() - sent > limit - LIMIT_MARGIN

    def _realm_rules(self) -> Any:
        if self._rules is None or time.monotonic() - self._rules_at > RULES_MAX_AGE:
            try:
                self._rules = self.client().get_realm_settings()
                self._rules_at = time.monotonic()
            except WyzePalError as exc:
                log.info("the realm's edit rules could not be read (%s); the server decides", exc)
                return None
        return self._rules

    def client(self) -> Any:
        """A client that gives up quickly: the step must not hold up the build, the watcher its poll."""
        if self._client is None:
            from wyzepal_notifier import Client, RetryPolicy

            integration = self.integration
            self._client = Client.from_credentials(integration.settings.credentials,
                                                   client_name=integration.user_agent_name(),
                                                   client_version=integration.version,
                                                   connect_timeout=2.0, read_timeout=3.0,
                                                   retry=RetryPolicy(budget=2.0, base=0.2, cap=1.0))
        return self._client
