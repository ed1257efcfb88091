"""A chat message in, a reply out: the Jenkins bot's commands as one plain function.

The bot answers a channel message that mentions it (in the channels it may act
in) and any direct message, in the same topic or conversation. It never
answers itself.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Mapping, Optional
from urllib.parse import quote, unquote

from wyzepal_notifier import Message, WyzePalError
from wyzepal_notifier.events import Reaction
from wyzepal_notifier.formatting import bold, bullet_list, inline_code, link, plain

from ..api import JenkinsAPI, JenkinsError, JenkinsRefused, JenkinsRejected, NotFound, item_url_path
from ..api.client import display_name
from ..build import collect
from ..build.parse import json_text
from ..build.parse import parameters as build_parameters
from ..integration import JenkinsIntegration
from ..message import content
from ..message.durations import human_duration
from ..message.inputs import input_defaults
from ..watch.inputs import APPROVE_EMOJI, REJECT_EMOJI, find_input, settled
from ..watch.state import FollowUp, WatchState
from .parse import Command, CommandError, parse, strip_mention
from .policy import Policy

log = logging.getLogger("wyzepal_notifier.jenkins.commands")

HELP = """I talk to Jenkins for you. Mention me with one of:
* `build <job> [NAME=value ...]`: start a build (I say here when it finishes)
* `rebuild <job> [#N]`: the same build again, with the same parameters (default: the last build)
* `abort <job> [#N]`: stop a running build (default: the one running)
* `approve <job> #N [input] [NAME=value ...]` / `reject <job> #N [input]`: answer a build waiting at an input
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

    def handle_reaction(self, reaction: Reaction) -> Optional[Message]:
        """:check: or :cross_mark: on an input's announcement answers it, as ``approve``/``reject`` would.

        The same permissions apply (BUILD_USERS, BUILD_JOBS, the input's submitter);
        the answer goes to the announcement's topic. Other reactions, removals,
        the bot's own and those on other messages are not for the bot.
        """
        approve = reaction.emoji_name in APPROVE_EMOJI
        if not reaction.added or reaction.caught_up or reaction.user_id == self.bot_id \
                or not (approve or reaction.emoji_name in REJECT_EMOJI):
            return None
        waiting = find_input(self.integration, self.state, reaction.message_id)
        if waiting is None:
            return None
        person = self._person(reaction)
        if person is None or str(person.get("sender_email", "")).lower() == self.bot_email:
            return None
        message = {"type": "stream", "display_recipient": waiting.stream, "subject": waiting.topic, **person}
        command = Command("approve" if approve else "reject", waiting.job, number=waiting.number,
                          input_id=waiting.input_id)
        try:
            text = self._answer_input(command, message, approve=approve)
        except JenkinsError as exc:
            log.warning("answering %s #%d from a reaction failed: %s", waiting.job, waiting.number, exc)
            text = "Sorry, Jenkins cannot be reached right now; try again in a minute."
        if not text.startswith("Sorry"):
            settled(self.state, waiting.job, waiting.number, waiting.input_id)
        return Message.to_stream(waiting.stream, waiting.topic or "(no topic)", text)

    def _person(self, reaction: Reaction) -> Optional[dict[str, Any]]:
        """Who reacted, as a message's sender fields (older servers say in the event; else ``GET /users``)."""
        if reaction.email:
            return {"sender_email": reaction.email, "sender_full_name": reaction.full_name,
                    "sender_id": reaction.user_id}
        try:
            members = self.integration.client.call("GET", "users").get("members") or []
        except WyzePalError as exc:
            log.warning("could not learn who reacted: %s", exc)
            return None
        found = next((m for m in members if m.get("user_id") == reaction.user_id), None)
        if found is None or found.get("is_bot"):
            return None
        return {"sender_email": found.get("email", ""), "sender_full_name": found.get("full_name", ""),
                "sender_id": reaction.user_id}

    def _mentions_me(self, message: Mapping[str, Any]) -> bool:
        text = str(message.get("content", "")).lstrip()
        names = [self.bot_name] + ([f"{self.bot_name}|{self.bot_id}"] if self.bot_id is not None else [])
        return any(text.startswith(f"@**{name}**") or text.startswith(f"@_**{name}**") for name in names if name)

    def answer(self, message: Mapping[str, Any]) -> str:
        try:
            command = parse(strip_mention(str(message.get("content", ""))))
        except CommandError as exc:
            return f"Sorry, {exc}."
        try:
            command.job = self._resolve(command.job) if command.job else command.job
        except JenkinsError:
            pass  # the command itself will say what is wrong
        if command.job and not self.policy.can_see(command.job):
            return f"Sorry, I don't watch a job called {bold(command.job)}."
        try:
            return getattr(self, f"_{command.name}")(command, message)
        except NotFound:
            if command.number is not None:
                return f"Sorry, Jenkins has no build {bold(f'{command.job} #{command.number}')} (or it is gone)."
            return f"Sorry, Jenkins has no job {bold(command.job)}." if command.job else "Sorry, that is gone."
        except JenkinsRefused as exc:
            log.warning("Jenkins refused %s: %s", command.name, exc)
            return "Sorry, Jenkins refused me that; my Jenkins user lacks the permission."
        except JenkinsRejected as exc:
            log.warning("Jenkins rejected %s: %s", command.name, exc)
            said = f": {plain(exc.said)}" if exc.said else ""
            return f"Sorry, Jenkins refused that (HTTP {exc.status}{said})."
        except JenkinsError as exc:
            log.warning("%s failed: %s", command.name, exc)
            return "Sorry, Jenkins cannot be reached right now; try again in a minute."

    def _resolve(self, typed: str) -> str:
        """The job's full name, also when typed as shown: ``team/app/feature/login`` is ``team/app/feature%2Flogin``.

        Messages show multibranch names decoded; a name Jenkins does not know is
        tried with its last parts joined as one branch name (a request each).
        """
        parts = typed.split("/")
        if len(parts) < 3 or "%2F" in typed:
            return typed
        try:
            self.api.job(typed)
            return typed
        except NotFound:
            pass
        for cut in range(len(parts) - 1, 0, -1):
            candidate = "/".join(parts[:cut]) + "/" + quote("/".join(parts[cut:]), safe="")
            try:
                self.api.job(candidate)
                return candidate
            except NotFound:
                continue
        return typed

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
        defaults = _parameter_defaults(self.api.job(command.job))
        unknown = sorted(set(command.parameters) - set(defaults))
        if unknown:
            known = ", ".join(defaults) if defaults else "none"
            return f"Sorry, {bold(command.job)} has no parameter {plain(unknown[0])} (it has: {plain(known)})."
        # A parameterized job takes buildWithParameters only (Jenkins answers /build with 400): defaults filled in.
        values = {name: command.parameters.get(name, default) for name, default in defaults.items()}
        return self._queue_build(command.job, values if defaults else None, message)

    def _queue_build(self, job: str, values: Optional[dict[str, str]], message: Mapping[str, Any],
                     note: str = "") -> str:
        queue_id = self.api.start(job, values)
        self.state.add_followup(self._followup(job, queue_id, message))
        where = "here" if message.get("type") == "stream" else "in this conversation"
        return (f"Queued {link(display_name(job), self._job_url(job))} (queue item {queue_id}){note}; "
                f"I'll say {where} when it finishes.")

    def _rebuild(self, command: Command, message: Mapping[str, Any]) -> str:
        """The build again with its parameters (its ``ParametersAction``), as Jenkins' Rebuild button."""
        refusal = self.policy.refuse_build(str(message.get("sender_email", "")), command.job, "rebuild")
        if refusal:
            return f"Sorry, {refusal}."
        number = command.number or self._last_number(command.job)
        if number is None:
            return f"Sorry, {bold(command.job)} has no build to rebuild."
        old = build_parameters(self.api.build(command.job, number))
        defaults = _parameter_defaults(self.api.job(command.job))
        values = {name: old.get(name, default) for name, default in defaults.items()}
        shown = ", ".join(f"{name}={value}" for name, value in values.items())
        note = f", again as #{number}" + (f" with {inline_code(shown)}" if shown else "")
        return self._queue_build(command.job, values if defaults else None, message, note)

    def _abort(self, command: Command, message: Mapping[str, Any]) -> str:
        refusal = self.policy.refuse_build(str(message.get("sender_email", "")), command.job, "abort builds")
        if refusal:
            return f"Sorry, {refusal}."
        number = command.number or self._running_number(command.job)
        if number is None:
            return f"Sorry, {bold(command.job)} has no running build to abort."
        data = self.api.build(command.job, number)
        label = self._build_link(command.job, number, data)
        if not data.get("building"):
            return f"Sorry, {label} is not running (it ended {bold(str(data.get('result')))})."
        self.api.stop(command.job, number)
        noted = self._record(command.job, number, data, f"Aborted by {_who(message)} via WyzePal")
        return f":stop_sign: Aborting {label} for {plain(_who(message))}{noted}."

    def _approve(self, command: Command, message: Mapping[str, Any]) -> str:
        return self._answer_input(command, message, approve=True)

    def _reject(self, command: Command, message: Mapping[str, Any]) -> str:
        return self._answer_input(command, message, approve=False)

    def _answer_input(self, command: Command, message: Mapping[str, Any], *, approve: bool) -> str:
        """Proceed or abort an ``input`` step: BUILD_USERS/BUILD_JOBS, then the input's own ``submitter``.

        Jenkins sees only the bot's account, so the input's submitter list is
        checked here, against the Jenkins user the chat user is in USERS.
        """
        verb = "approve" if approve else "reject"
        refusal = self.policy.refuse_build(str(message.get("sender_email", "")), command.job, f"{verb} inputs")
        if refusal:
            return f"Sorry, {refusal}."
        assert command.number is not None
        data = self.api.build(command.job, command.number)
        label = self._build_link(command.job, command.number, data)
        waiting = self.api.pending_inputs(command.job, command.number) if data.get("building") else []
        if not waiting:
            return f"Sorry, {label} is not waiting for any input."
        action = next((a for a in waiting if str(a.get("id")) == command.input_id), None) if command.input_id \
            else (waiting[0] if len(waiting) == 1 else None)
        if action is None:
            ids = ", ".join(inline_code(str(a.get("id"))) for a in waiting)
            which = f"has no input {inline_code(command.input_id)}" if command.input_id else "waits at several inputs"
            return f"Sorry, {label} {which}; say which: {ids}."
        input_id = str(action.get("id"))
        refusal = self._refuse_submitter(command.job, command.number, input_id, message)
        if refusal:
            return f"Sorry, {refusal}."
        question = plain(str(action.get("message") or input_id))
        if not approve:
            self.api.abort_input(command.job, command.number, input_id)
            noted = self._record(command.job, command.number, data,
                                 f"Input {input_id} rejected by {_who(message)} via WyzePal")
            return f":stop_sign: Rejected {question} of {label} for {plain(_who(message))}{noted}."
        defaults = input_defaults(action)
        unknown = sorted(set(command.parameters) - set(defaults))
        if unknown:
            return (f"Sorry, that input has no parameter {plain(unknown[0])} "
                    f"(it has: {plain(', '.join(defaults) or 'none')}).")
        values = {name: command.parameters.get(name, default) for name, default in defaults.items()}
        self.api.proceed_input(command.job, command.number, input_id, values,
                               ok=str(action.get("proceedText") or "Proceed"))
        shown = ", ".join(f"{k}={v}" for k, v in values.items() if "Password" not in _type_of(action, k))
        noted = self._record(command.job, command.number, data, f"Input {input_id} approved by {_who(message)} "
                             f"via WyzePal" + (f" ({shown})" if shown else ""))
        return (f":check: Approved {question} of {label} for {plain(_who(message))}"
                + (f" with {inline_code(shown)}" if shown else "") + f"{noted}.")

    def _refuse_submitter(self, job: str, number: int, input_id: str, message: Mapping[str, Any]) -> Optional[str]:
        submitter = self.api.input_submitters(job, number).get(input_id)
        if not submitter:
            return None
        allowed = [name.strip().lower() for name in submitter.split(",") if name.strip()]
        mine = [name.lower() for name in self.policy.jenkins_users(message)]
        if any(name in allowed for name in mine):
            return None
        if not mine:
            return (f"only {plain(submitter)} may answer that input, and USERS maps you to no Jenkins user "
                    "(ask an admin to add you)")
        return f"only {plain(submitter)} may answer that input (you are {plain(', '.join(mine))} in Jenkins)"

    def _record(self, job: str, number: int, data: Mapping[str, Any], text: str) -> str:
        """Note the action in the build's description (kept, with ours after it); said when Jenkins refuses."""
        before = str(data.get("description") or "").strip()
        try:
            self.api.set_description(job, number, f"{before}\n{text}" if before else text)
        except JenkinsError as exc:
            log.warning("%s #%d: could not write the description: %s", job, number, exc)
            return " (I could not note it in the build's description)"
        return "; noted in the build's description"

    def _build_link(self, job: str, number: int, data: Mapping[str, Any]) -> str:
        url = str(data.get("url") or "") or f"{self._job_url(job)}{number}/"
        return link(f"{display_name(job)} #{number}", url)

    def _last_number(self, job: str) -> Optional[int]:
        history = self.api.history(job, 1)
        return int(history[0]["number"]) if history else None

    def _running_number(self, job: str) -> Optional[int]:
        running = [int(entry["number"]) for entry in self.api.history(job, 10) if entry.get("building")]
        return running[0] if running else None

    def _job_url(self, job: str) -> str:
        return self.api.shown_url + item_url_path(job) + "/"

    def _followup(self, job: str, queue_id: int, message: Mapping[str, Any]) -> FollowUp:
        is_stream = message.get("type") == "stream"
        return FollowUp(job=job, queue_id=queue_id,
                        stream=str(message.get("display_recipient")) if is_stream else "",
                        topic=str(message.get("subject") or "") if is_stream else str(message["sender_email"]),
                        requester=str(message.get("sender_full_name") or message.get("sender_email")),
                        requester_id=message.get("sender_id"))


def _parameter_defaults(job: Mapping[str, Any]) -> dict[str, str]:
    """The job's parameters and their defaults (``ParametersDefinitionProperty``), in the job's order."""
    defaults: dict[str, str] = {}
    for prop in job.get("property") or []:
        for definition in prop.get("parameterDefinitions") or []:
            default = definition.get("defaultParameterValue") or {}
            defaults[str(definition["name"])] = json_text(default.get("value") if isinstance(default, Mapping)
                                                          else None)
    return defaults


def _who(message: Mapping[str, Any]) -> str:
    return str(message.get("sender_full_name") or message.get("sender_email") or "someone")


def _type_of(action: Mapping[str, Any], name: str) -> str:
    for entry in action.get("inputs") or []:
        if isinstance(entry, Mapping) and entry.get("name") == name:
            return str(entry.get("type") or "")
    return ""
