"""Builds paused at an ``input`` step: announce each question once, in the job's topic.

Only running pipeline builds are asked (one request each per poll, while they
run): ``wfapi/pendingInputActions``. Whoever may answer does so with
``approve``/``reject`` (see ``commands``).
"""
from __future__ import annotations

import logging
from typing import Any, Mapping

from wyzepal_notifier import Message

from ..api import JenkinsAPI, JenkinsError, item_url_path
from ..build.model import Build
from ..integration import JenkinsIntegration
from ..message import topic
from ..message.inputs import input_text
from .state import JobState

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
            if key in known.inputs:
                continue
            text = input_text(job, number, url, action, several=len(actions) > 1)
            self._announce(Build(job, number, url=url), text)
            known.inputs.append(key)

    def _announce(self, build: Build, text: str) -> None:
        event = {**build.event(), "kind": "input"}
        for conf in self.integration.get_configs(event):
            if conf.get("NOTIFY_INPUT"):
                self.integration.send(Message.to_stream(conf.stream, topic(conf, build), text))
