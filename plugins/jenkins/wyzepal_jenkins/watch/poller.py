"""One poll of Jenkins: find finished builds nobody announced yet, and announce them.

Cost per poll: one request lists every job with its last build number (folders
included, ten levels per request). Only jobs whose number moved, or that have
builds still running, cost more: one request for their recent history, one per
new build (and one for the test report when tests failed).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..api import JenkinsAPI, JenkinsError, NotFound
from ..build import collect
from ..build.history import HISTORY_LIMIT
from ..integration import JenkinsIntegration
from ..living import Deferred
from ..selection import watched
from .followups import FollowUps
from .inputs import Inputs
from .state import JobState, WatchState

log = logging.getLogger("wyzepal_notifier.jenkins.watch")
JOB_FIELDS = "lastBuild[number,building]"


@dataclass
class PollReport:
    announced: list[tuple[str, int, str]] = field(default_factory=list)
    new_jobs: list[str] = field(default_factory=list)
    gone_jobs: list[str] = field(default_factory=list)
    baseline: bool = False


class Poller:
    def __init__(self, integration: JenkinsIntegration, api: JenkinsAPI, state: WatchState, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.integration = integration
        self.api = api
        self.state = state
        self.clock = clock
        self.followups = FollowUps(integration, api, state)
        self.wants_started = any(conf.get("NOTIFY_STARTED") or conf.get("LIVING_MESSAGE")
                                 for conf in integration.configurations)
        self.max_failed_tests = int(integration.settings["MAX_FAILED_TESTS"])
        self.log_lines = int(integration.settings["LOG_LINES"])
        self.inputs = Inputs(integration, api)

    def poll(self) -> PollReport:
        """Raises JenkinsError when Jenkins cannot list its jobs; state is then untouched."""
        began_ms = int(self.clock() * 1000)
        listing = {job["fullname"]: job for job in self.api.jobs(JOB_FIELDS)
                   if watched(job["fullname"], self.integration.settings)}
        report = PollReport(baseline=self.state.fresh)
        with self.state.lock:
            if self.state.fresh:
                self._baseline(listing)
            else:
                self._catch_up(listing, report)
            self.state.last_poll_ms = began_ms
            self.state.save()
        self.followups.check()
        return report

    def _baseline(self, listing: Mapping[str, Mapping[str, Any]]) -> None:
        """First run: remember where every job is; announce only what happens from now on."""
        for name, job in listing.items():
            last = job.get("lastBuild") or {}
            number = int(last.get("number") or 0)
            self.state.jobs[name] = JobState(last=number, pending=[number] if last.get("building") else [])
        log.info("watching %d jobs from now on", len(listing))

    def _catch_up(self, listing: Mapping[str, Mapping[str, Any]], report: PollReport) -> None:
        for name in [name for name in self.state.jobs if name not in listing]:
            del self.state.jobs[name]
            report.gone_jobs.append(name)
            log.info("%s is gone from Jenkins (deleted or renamed); forgetting it", name)
        for name, job in listing.items():
            known = self.state.jobs.get(name)
            latest = int((job.get("lastBuild") or {}).get("number") or 0)
            if known is not None and latest < known.last:
                log.info("%s counts builds from %d again: deleted and created anew; a new job", name, latest)
                known = None
            if known is None:
                # A job first seen now (new or renamed): builds that ended before the last good poll
                # are not news. Kept in the state, so a poll that fails half-way keeps the cutoff.
                known = self.state.jobs[name] = JobState(news_after_ms=self.state.last_poll_ms)
                report.new_jobs.append(name)
            if latest > known.last or known.pending:
                self._job(name, known, report)

    def _job(self, name: str, known: JobState, report: PollReport) -> None:
        try:
            history = self.api.history(name, HISTORY_LIMIT)
        except NotFound:
            self.state.jobs.pop(name, None)
            return
        fresh = sorted((entry for entry in history
                        if int(entry["number"]) > known.last or int(entry["number"]) in known.pending),
                       key=lambda entry: int(entry["number"]))
        self._warn_if_history_ran_out(name, known, history)
        for entry in fresh:
            self._one(name, known, entry, history, report)
            self.state.save()

    def _one(self, name: str, known: JobState, entry: Mapping[str, Any], history: list,
             report: PollReport) -> None:
        """Announce one build, then remember it: a build Jenkins failed to describe is tried again next poll."""
        number = int(entry["number"])
        if entry.get("building") or entry.get("result") is None:  # no result yet: Jenkins is still finishing it
            if self.wants_started and number not in known.started:
                if self._announce(name, known, number, history, report):
                    known.started.append(number)
            self.inputs.check(name, known, entry)
            if number not in known.pending:
                known.pending.append(number)
        else:
            finished_ms = int(entry.get("timestamp") or 0) + int(entry.get("duration") or 0)
            if known.news_after_ms is None or finished_ms >= known.news_after_ms:
                if not self._announce(name, known, number, history, report):
                    if number not in known.pending:  # kept for the next poll, whatever comes after it
                        known.pending.append(number)
                    known.last = max(known.last, number)
                    return
            if number in known.pending:
                known.pending.remove(number)
            if number in known.started:
                known.started.remove(number)
            known.inputs = [key for key in known.inputs if not key.startswith(f"{number}:")]
            known.answered = [key for key in known.answered if not key.startswith(f"{number}:")]
        known.last = max(known.last, number)

    def _announce(self, name: str, known: JobState, number: int, history: list, report: PollReport) -> bool:
        """False: the chat server could not say whether the build's message exists; ask again next poll.

        Raises JenkinsError when Jenkins should be asked again later; any other trouble skips the build.
        """
        try:
            build = collect(self.api, name, number, max_failed_tests=self.max_failed_tests, history=history,
                            log_lines=self.log_lines)
        except NotFound:
            log.info("%s #%d vanished before it could be read", name, number)
            return True
        except JenkinsError:
            raise
        except Exception:  # one build Jenkins describes strangely must not hold up every later one
            log.exception("%s #%d could not be read; not announced", name, number)
            return True
        try:
            self.integration.announce_counted(build, may_defer=True)
        except Deferred as exc:
            log.warning("%s #%d: the chat server cannot say whether its message exists (%s); next poll",
                        name, number, exc)
            return False
        report.announced.append((name, number, build.kind))
        if build.kind == "first_failure" and known.told != number and self.integration.tell_breakers(build):
            known.told = number
        return True

    def _warn_if_history_ran_out(self, name: str, known: JobState, history: list) -> None:
        if known.last and len(history) >= HISTORY_LIMIT:
            oldest = min(int(entry["number"]) for entry in history)
            if oldest > known.last + 1:
                log.warning("%s: builds %d to %d finished while nobody watched and are not announced",
                            name, known.last + 1, oldest - 1)
