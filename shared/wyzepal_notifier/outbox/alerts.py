"""Delivery you can watch: dead messages and old backlogs are told to a person or channel (``ALERTS_TO``).

A channel that was removed or a permission that was lost makes messages dead
without anyone looking at ``outbox status``. With ``ALERTS_TO`` in a plugin's
config, the delivery worker says so in chat within a minute of the first dead
message (or of a backlog older than ``ALERT_BACKLOG_AFTER``), then at most once
an hour for the same problem.

When what fails is the bot's key or the server itself, chat cannot carry the
alert: it goes to the host's log instead (Trac's log, the hook's stderr, the
Jenkins console: the host's side checks the spool when it opens and closes it),
and ``outbox status`` shows what was said where. No ``ALERTS_TO``: no chat alerts.
"""
from __future__ import annotations

import logging
import re
import time
from typing import Any, NamedTuple, Optional

from ..errors import ConfigError
from ..formatting import inline_code, plain
from ..message import Message
from .spool import Spool, host_name

log = logging.getLogger("wyzepal_notifier.outbox")

#: A backlog whose oldest message waits longer than this is reported (seconds).
DEFAULT_BACKLOG_AFTER = 900.0
#: The same problem is told again at most this often.
REPEAT_AFTER = 3600.0
#: The worker looks at the spool's health at most this often (the first dead message is told at once).
CHECK_EVERY = 20.0
ALERT_TOPIC = "outbox alerts"
_KEY_OR_SERVER = re.compile(r"api key|unauthori[sz]ed|deactivated|could not be reached|answered HTTP 5\d\d",
                            re.IGNORECASE)


class AlertTarget(NamedTuple):
    """Where alerts go: a channel and topic, or a person (direct message)."""

    stream: Optional[str] = None
    topic: str = ALERT_TOPIC
    person: Optional[str] = None

    @classmethod
    def parse(cls, text: str, *, source: str = "configuration") -> AlertTarget:
        """``alice@example.com``, ``ops``, ``#ops``, or ``ops > outbox`` (channel and topic)."""
        value = (text or "").strip()
        if not value:
            raise ConfigError("is empty", path=source, key="ALERTS_TO", expected="a channel, 'channel > topic' or "
                              "an email", fix="set ALERTS_TO = 'ops' or ALERTS_TO = 'alice@example.com', or remove it")
        if "@" in value and ">" not in value and " " not in value:
            return cls(person=value)
        stream, _, topic = value.lstrip("#").partition(">")
        if not stream.strip():
            raise ConfigError(f"names no channel: {value!r}", path=source, key="ALERTS_TO",
                              expected="'channel' or 'channel > topic'", fix="for example ALERTS_TO = 'ops > outbox'")
        return cls(stream=stream.strip(), topic=topic.strip() or ALERT_TOPIC)

    def to_dict(self) -> dict[str, Any]:
        return {"stream": self.stream, "topic": self.topic, "person": self.person}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlertTarget:
        return cls(stream=data.get("stream"), topic=data.get("topic") or ALERT_TOPIC, person=data.get("person"))

    def message(self, content: str) -> Message:
        if self.person:
            return Message.direct(self.person, content)
        return Message.to_stream(self.stream or "", self.topic, content)


def alert_settings(settings: Any) -> Optional[dict[str, Any]]:
    """What a sender's config says about alerts, as the spool keeps it (None: alerts are off)."""
    target = settings.get("ALERTS_TO")
    if not target:
        return None
    parsed = AlertTarget.parse(str(target), source=getattr(settings, "path", "configuration"))
    backlog = settings.get("ALERT_BACKLOG_AFTER") or DEFAULT_BACKLOG_AFTER
    return {"to": parsed.to_dict(), "backlog_after": float(backlog)}


class Problem(NamedTuple):
    """Something about a sender's messages people should hear of."""

    name: str  # "dead" or "backlog"
    text: str
    chat_can_carry: bool


class Alerter:
    """Looks at the spool's health and tells people; used by the worker (chat) and the host (its log)."""

    def __init__(self, spool: Spool, *, repeat_after: float = REPEAT_AFTER, check_every: float = CHECK_EVERY) -> None:
        self.spool = spool
        self.repeat_after = repeat_after
        self.check_every = check_every
        self._checked = 0.0

    def after_round(self, *, something_died: bool) -> None:
        """The worker's call after each round: a death is looked at at once, the rest every ``check_every``."""
        now = time.monotonic()
        if not something_died and now - self._checked < self.check_every:
            return
        self._checked = now
        try:
            self.check(via_chat=True)
        except Exception:  # watching must never stop delivery
            log.exception("could not check the outbox's health")

    def check(self, *, via_chat: bool, host_log: Optional[logging.Logger] = None) -> list[Problem]:
        """Tell what is due: in chat where chat can carry it (``via_chat``), else in ``host_log``."""
        told = []
        for sender_id, settings in self.spool.alerting_senders():
            for problem in self.problems(sender_id, settings):
                if via_chat and problem.chat_can_carry and settings:
                    if self.spool.alert_due(f"{sender_id}:{problem.name}:chat", self.repeat_after):
                        target = AlertTarget.from_dict(settings["to"])
                        self.spool.append_alert(sender_id, target.message(problem.text))
                        told.append(problem)
                elif host_log is not None and (not problem.chat_can_carry or not settings):
                    if self.spool.alert_due(f"{sender_id}:{problem.name}:log", self.repeat_after):
                        host_log.error("%s%s", problem.text.replace("`", ""),
                                       "" if problem.chat_can_carry else " (chat cannot carry this alert)")
                        told.append(problem)
        return told

    def problems(self, sender_id: int, settings: Optional[dict[str, Any]]) -> list[Problem]:
        health = self.spool.health(sender_id)
        where = f"{host_name()}: {self.spool.path}"
        found = []
        if health["dead"]:
            reason = str(health["last_dead_reason"] or "")
            found.append(Problem("dead", (
                f"**WyzePal outbox alert** ({plain(where)}): {health['dead']} message(s) could not be delivered "
                f"and will not be retried. Latest reason: {inline_code(reason[:300])}. Fix the cause, then run "
                f"{inline_code('wyzepal-integrations outbox retry --outbox ' + str(self.spool.path))}."),
                not _KEY_OR_SERVER.search(reason)))
        backlog_after = float((settings or {}).get("backlog_after") or DEFAULT_BACKLOG_AFTER)
        oldest = health["oldest_pending"]
        if oldest is not None and time.time() - oldest > backlog_after:
            error = str(health["last_error"] or "no error recorded")
            found.append(Problem("backlog", (
                f"**WyzePal outbox alert** ({plain(where)}): {health['pending']} message(s) are waiting, the "
                f"oldest for {int(time.time() - oldest)} s. Last error: {inline_code(error[:300])}."),
                not health["failing"] and not _KEY_OR_SERVER.search(error)))
        return found


def tell_host(spool: Spool, host_log: logging.Logger) -> None:
    """The host's side: what chat cannot carry (or nobody asked chat to carry) goes to the host's log."""
    try:
        Alerter(spool).check(via_chat=False, host_log=host_log)
    except Exception:  # a health check must never cost the host its notice
        log.debug("outbox health check failed", exc_info=True)
