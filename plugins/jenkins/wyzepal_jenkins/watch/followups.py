"""Builds started from chat: say in the asking topic when they finish.

A queue item becomes a build once an executor takes it; until then only the
queue knows the build number. Each poll costs one request per waiting build.
"""
from __future__ import annotations

import logging

from wyzepal_notifier import Message
from wyzepal_notifier.formatting import bold, mention

from ..api import JenkinsAPI, JenkinsError, NotFound
from ..build.parse import parse_build
from ..integration import JenkinsIntegration
from ..message.parts import Parts
from .state import FollowUp, WatchState

log = logging.getLogger("wyzepal_notifier.jenkins.watch")
_RESULT_MARKERS = {"SUCCESS": ":check:", "UNSTABLE": ":warning:", "FAILURE": ":cross_mark:",
                   "ABORTED": ":stop_sign:", "NOT_BUILT": ":white_circle:"}


class FollowUps:
    def __init__(self, integration: JenkinsIntegration, api: JenkinsAPI, state: WatchState) -> None:
        self.integration = integration
        self.api = api
        self.state = state

    def check(self) -> None:
        for followup in list(self.state.followups):
            try:
                done = self._check(followup)
            except NotFound:
                log.info("%s (queue item %d) is gone; no follow-up", followup.job, followup.queue_id)
                done = True
            except JenkinsError as exc:
                log.warning("could not follow %s: %s", followup.job, exc)
                return
            if done:
                with self.state.lock:
                    self.state.followups.remove(followup)
                    self.state.save()

    def _check(self, followup: FollowUp) -> bool:
        if followup.number is None:
            item = self.api.queue_item(followup.queue_id)
            if item.get("cancelled"):
                self._say(followup, f":stop_sign: The build of {bold(followup.job)} was cancelled "
                                    "before it started.")
                return True
            executable = item.get("executable") or {}
            if "number" not in executable:
                return False
            followup.number = int(executable["number"])
            with self.state.lock:
                self.state.save()
        data = self.api.build(followup.job, followup.number)
        if data.get("building"):
            return False
        build = parse_build(followup.job, data)
        parts = Parts(self.integration.settings, build)
        self._say(followup, f"{_RESULT_MARKERS.get(build.result or '', ':white_circle:')} {parts.link()} "
                            f"finished: {bold(build.result or '')} after {parts.mapping()['duration']}")
        return True

    def _say(self, followup: FollowUp, text: str) -> None:
        if not followup.stream:  # asked in a direct message: answer there
            self.integration.send(Message.direct(followup.topic, text))
            return
        who = mention(followup.requester, followup.requester_id)
        self.integration.send(Message.to_stream(followup.stream, followup.topic, f"{who} {text}"))
