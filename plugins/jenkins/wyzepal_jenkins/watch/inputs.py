"""Builds paused at an ``input`` step: announce each question once, in the job's topic.

Only running pipeline builds are asked (one request each per poll, while they
run): ``wfapi/pendingInputActions``. Whoever may answer does so with
``approve``/``reject`` (see ``commands``), or with a reaction on the
announcement: the bot puts :check: and :cross_mark: under it to click. Each
announcement is an outbox handle (``jenkins-input:<stream>:<job>#<n>:<id>``), so
a reaction's message id leads back to its input.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from wyzepal_notifier import Message, WyzePalError

from ..api import JenkinsAPI, JenkinsError, item_url_path
from ..build.model import Build
from ..integration import JenkinsIntegration
from ..message import topic
from ..message.inputs import input_text
from .state import JobState, WatchState

APPROVE_EMOJI = ("check", "white_check_mark", "+1", "thumbs_up")
REJECT_EMOJI = ("cross_mark", "x", "-1", "thumbs_down")


@dataclass(frozen=True)
class WaitingInput:
    """An announced input a reaction was made on."""

    job: str
    number: int
    input_id: str
    stream: str
    topic: str


def input_handle(stream: str, job: str, number: int, input_id: str) -> str:
    return f"jenkins-input:{stream}:{job}#{number}:{input_id}"


def find_input(integration: JenkinsIntegration, state: WatchState, message_id: int) -> Optional[WaitingInput]:
    """The announced, still waiting input whose announcement is message ``message_id``."""
    streams = sorted({conf.stream for conf in integration.configurations if conf.get("NOTIFY_INPUT")})
    with state.lock:
        waiting = [(job, key) for job, known in state.jobs.items() for key in known.inputs]
    for job, key in waiting:
        number, _, input_id = key.partition(":")
        for stream in streams:
            found = integration.outbox.handle_state(input_handle(stream, job, int(number), input_id))
            if found is not None and found.message_id == message_id:
                return WaitingInput(job, int(number), input_id, found.stream or stream, found.topic or "")
    return None


def settled(state: WatchState, job: str, number: int, input_id: str) -> None:
    """An input answered from chat: no longer waiting (a second reaction gets no answer)."""
    with state.lock:
        known = state.jobs.get(job)
        key = f"{number}:{input_id}"
        if known is not None and key in known.inputs:
            known.inputs.remove(key)
            known.answered.append(key)
            state.save()

log = logging.getLogger("wyzepal_notifier.jenkins.watch")


class Inputs:
    def __init__(self, integration: JenkinsIntegration, api: JenkinsAPI) -> None:
        self.integration = integration
        self.api = api
        self.wanted = any(conf.get("NOTIFY_INPUT") for conf in integration.configurations)

    def check(self, job: str, known: JobState, entry: Mapping[str, Any]) -> None:
        if not self.wanted or "WorkflowRun" not in str(entry.get("_class") or ""):
            return
        number = int(entry["number"])
        try:
            actions = [a for a in self.api.pending_inputs(job, number) if isinstance(a, Mapping)]
        except JenkinsError as exc:
            log.info("%s #%d: its inputs could not be read (%s)", job, number, exc)
            return
        except (TypeError, ValueError, AttributeError):  # not the list pipeline-rest-api gives: an odd plugin
            log.info("%s #%d: an odd answer for its inputs; not announced", job, number)
            return
        url = f"{self.api.shown_url}{item_url_path(job)}/{number}/"
        for action in actions:
            key = f"{number}:{action.get('id')}"
            if key in known.inputs or key in known.answered:
                continue
            text = input_text(job, number, url, action, several=len(actions) > 1,
                              reactions=bool(self.integration.settings.get("COMMANDS_ENABLED")))
            self._announce(Build(job, number, url=url), str(action.get("id")), text)
            known.inputs.append(key)

    def _announce(self, build: Build, input_id: str, text: str) -> None:
        event = {**build.event(), "kind": "input"}
        outbox = self.integration.outbox
        for conf in self.integration.get_configs(event):
            if not conf.get("NOTIFY_INPUT"):
                continue
            handle = input_handle(conf.stream, build.job, build.number, input_id)
            try:
                outbox.put(Message.to_stream(conf.stream, topic(conf, build), text), handle=handle)
                for emoji in (APPROVE_EMOJI[0], REJECT_EMOJI[0]):  # buttons to click
                    outbox.add_reaction(handle, emoji)
            except WyzePalError as exc:  # HandleInUse too: said already, in an earlier life of the state
                log.warning("%s #%d: input not announced in %s (%s)", build.job, build.number, conf.stream, exc)
