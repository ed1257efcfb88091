"""A chat message in, a reply out: the Jenkins bot's commands as one plain function.

The bot answers a channel message that mentions it (in the channels it may act
in) and any direct message, in the same topic or conversation. It never
answers itself.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Mapping, Optional
from urllib.parse import unquote

from wyzepal_notifier import Message
from wyzepal_notifier.formatting import bold, bullet_list, link, plain

from ..api import JenkinsAPI, JenkinsError, JenkinsRefused, NotFound, item_path
from ..build import collect
from ..integration import JenkinsIntegration
from ..message import content
from ..message.durations import human_duration
from ..watch.state import FollowUp, WatchState
from .parse import Command, CommandError, parse, strip_mention
from .policy import Policy

log = logging.getLogger("wyzepal_notifier.jenkins.commands")

HELP = """I talk to Jenkins for you. Mention me with one of:
* `build <job> [NAME=value ...]`: start a build (I say here when it finishes)
* `status <job>`: is it green, running, queued?
* `last <job>`: the last finished build, in full
* `queue`: what waits for an executor
* `help`: this list"""


class CommandHandler:
    def __init__(self, integration: JenkinsIntegration, api: JenkinsAPI, state: WatchState, *,
                 bot_email: str, bot_id: Optional[int] = None, bot_name: str = "") -> None:
        self.integration = integration
        self.api = api
        self.state = state
        self.bot_email = bot_email.lower()
        self.bot_id = bot_id
        self.bot_name = bot_name
        streams = sorted({conf.stream for conf in integration.configurations})
        self.policy = Policy(integration.settings, streams)

    def handle(self, message: Mapping[str, Any]) -> Optional[Message]:
        """The reply to ``message``, or None when it is not for the bot."""
        if str(message.get("sender_email", "")).lower() == self.bot_email:
            return None
        if message.get("type") == "stream":
            stream = str(message.get("display_recipient"))
            if not self._mentions_me(message) or not self.policy.answers_in(stream):
                return None
            return Message.to_stream(stream, message.get("subject") or "(no topic)", self.answer(message))
        return Message.direct(message["sender_email"], self.answer(message))

    def _mentions_me(self, message: Mapping[str, Any]) -> bool:
        text = str(message.get("content", "")).lstrip()
        names = [self.bot_name] + ([f"{self.bot_name}|{self.bot_id}"] if self.bot_id is not None else [])
        return any(text.startswith(f"@**{name}**") or text.startswith(f"@_**{name}**") for name in names if name)

    def answer(self, message: Mapping[str, Any]) -> str:
        try:
            command = parse(strip_mention(str(message.get("content", ""))))
        except CommandError as exc:
            return f"Sorry, {exc}."
        if command.job and not self.policy.can_see(command.job):
            return f"Sorry, I don't watch a job called {bold(command.job)}."
        try:
            return getattr(self, f"_{command.name}")(command, message)
        except NotFound:
            return f"Sorry, Jenkins has no job {bold(command.job)}." if command.job else "Sorry, that is gone."
        except JenkinsRefused as exc:
            log.warning("Jenkins refused %s: %s", command.name, exc)
            return "Sorry, Jenkins refused me that; my Jenkins user lacks the permission."
        except JenkinsError as exc:
            log.warning("%s failed: %s", command.name, exc)
            return "Sorry, Jenkins cannot be reached right now; try again in a minute."

    # -- the commands --------------------------------------------------------------

    def _help(self, command: Command, message: Mapping[str, Any]) -> str:
        return HELP

    def _queue(self, command: Command, message: Mapping[str, Any]) -> str:
        items = [item for item in self.api.queue() if self._queued_job(item) and
                 self.policy.can_see(self._queued_job(item))]
        if not items:
            return "The queue is empty."
        lines = [f"{bold(self._queued_job(item))}: {plain(item.get('why') or 'waiting')}" for item in items]
        return f"{len(items)} waiting:\n" + bullet_list(lines)

    def _queued_job(self, item: Mapping[str, Any]) -> str:
        """The full name, from the task's URL (``.../job/team/job/app/``); its short name otherwise."""
        task = item.get("task") or {}
        url = str(task.get("url") or "")
        if url.startswith(self.api.shown_url):
            parts = url[len(self.api.shown_url):].strip("/").split("/")
            if len(parts) % 2 == 0 and set(parts[0::2]) == {"job"}:
                return "/".join(unquote(part) for part in parts[1::2])
        return str(task.get("name") or "")

    def _status(self, command: Command, message: Mapping[str, Any]) -> str:
        history = self.api.history(command.job, 5)
        if not history:
            return f"{bold(command.job)} has never been built."
        running = [entry for entry in history if entry.get("building")]
        done = next((entry for entry in history if not entry.get("building")), None)
        parts = []
        if done is not None:
            ago = human_duration(int(time.time() * 1000) - int(done["timestamp"]) - int(done["duration"] or 0))
            parts.append(f"last build #{int(done['number'])} {bold(str(done['result']))} {ago} ago")
        if running:
            parts.append("running: " + ", ".join(f"#{int(entry['number'])}" for entry in running))
        if self.api.job(command.job).get("inQueue"):
            parts.append("a build is queued")
        return f"{bold(command.job)}: " + "; ".join(parts) + "."

    def _last(self, command: Command, message: Mapping[str, Any]) -> str:
        history = self.api.history(command.job, 50)
        done = next((entry for entry in history if not entry.get("building")), None)
        if done is None:
            return f"{bold(command.job)} has no finished build yet."
        build = collect(self.api, command.job, int(done["number"]), history=history,
                        max_failed_tests=int(self.integration.settings["MAX_FAILED_TESTS"]))
        return content(self.integration.settings, build)

    def _build(self, command: Command, message: Mapping[str, Any]) -> str:
        refusal = self.policy.refuse_build(str(message.get("sender_email", "")), command.job)
        if refusal:
            return f"Sorry, {refusal}."
        defined = _parameter_names(self.api.job(command.job))
        unknown = sorted(set(command.parameters) - set(defined))
        if unknown:
            known = ", ".join(defined) if defined else "none"
            return f"Sorry, {bold(command.job)} has no parameter {plain(unknown[0])} (it has: {plain(known)})."
        values = {name: command.parameters[name] for name in defined if name in command.parameters}
        queue_id = self.api.start(command.job, values if defined else None)
        self.state.add_followup(self._followup(command.job, queue_id, message))
        where = "here" if message.get("type") == "stream" else "in this conversation"
        return (f"Queued {link(command.job, self._job_url(command.job))} (queue item {queue_id}); "
                f"I'll say {where} when it finishes.")

    def _job_url(self, job: str) -> str:
        return self.api.shown_url + item_path(job) + "/"

    def _followup(self, job: str, queue_id: int, message: Mapping[str, Any]) -> FollowUp:
        is_stream = message.get("type") == "stream"
        return FollowUp(job=job, queue_id=queue_id,
                        stream=str(message.get("display_recipient")) if is_stream else "",
                        topic=str(message.get("subject") or "") if is_stream else str(message["sender_email"]),
                        requester=str(message.get("sender_full_name") or message.get("sender_email")),
                        requester_id=message.get("sender_id"))


def _parameter_names(job: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for prop in job.get("property") or []:
        for definition in prop.get("parameterDefinitions") or []:
            names.append(str(definition["name"]))
    return names
