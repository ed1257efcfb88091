"""Everything about one build, asked of Jenkins in as few requests as the message needs.

One request for the build, one for the job's recent history (unless the caller
has it), the test report only when tests failed (the counts are already in the
build's ``TestResultAction``), the stages only of a failed pipeline, the job
only of a pull request's build, and the console's tail only when LOG_LINES asks.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Mapping, Optional, Sequence

from ..api import JenkinsAPI, JenkinsError, NotFound
from .history import HISTORY_LIMIT, place
from .model import Build, PullRequest, TestSummary
from .parse import parse_build, test_counts
from .tests import summarize

log = logging.getLogger("wyzepal_notifier.jenkins")
_PULL_REQUEST_JOB = re.compile(r"^(?:PR|MR)-(\d+)$")


def collect(api: JenkinsAPI, job: str, number: int, *, max_failed_tests: int = 5,
            history: Optional[Sequence[Mapping[str, Any]]] = None, log_lines: int = 0) -> Build:
    """The build as Jenkins knows it; raises JenkinsError when Jenkins cannot say."""
    data = api.build(job, number)
    build = parse_build(job, data)
    build.tests = tests(api, build, data, max_failed_tests)
    place(build, history if history is not None else api.history(job, HISTORY_LIMIT))
    if build.result == "FAILURE" and "WorkflowRun" in str(data.get("_class") or ""):
        build.failed_stage = _optional(failed_stage, api, build)
    if build.result in ("FAILURE", "UNSTABLE", "ABORTED") and log_lines > 0:
        build.log_tail = _optional(lambda a, b: last_lines(a.log_tail(b.job, b.number), log_lines), api, build)
    if build.pull_request is None and _PULL_REQUEST_JOB.match(job.rsplit("/", 1)[-1]):
        build.pull_request = _optional(pull_request, api, build)
    return build


def _optional(learn, api: JenkinsAPI, build: Build):
    """A detail the message can do without: Jenkins failing to give it costs only that detail."""
    try:
        return learn(api, build)
    except JenkinsError as exc:
        log.info("%s #%d: %s", build.job, build.number, exc)
    except (KeyError, TypeError, ValueError, AttributeError):
        log.info("%s #%d: an odd answer for a detail; left out", build.job, build.number)
    return None


def tests(api: JenkinsAPI, build: Build, data: Mapping[str, Any], limit: int) -> Optional[TestSummary]:
    counts = test_counts(data)
    if counts is None:
        return None
    total, failed, skipped = counts
    if failed:  # asked even when no names are listed: which failures are new decides "regression"
        try:
            report = api.test_report(build.job, build.number)
        except NotFound:
            report = None
        if report:
            return summarize(report, build.url, max(0, limit), build.number)
    return TestSummary(passed=total - failed - skipped, failed=failed, skipped=skipped)


def failed_stage(api: JenkinsAPI, build: Build) -> Optional[str]:
    """The first stage pipeline-rest-api reports as FAILED."""
    for stage in api.stages(build.job, build.number).get("stages") or []:
        if isinstance(stage, Mapping) and stage.get("status") == "FAILED":
            return str(stage.get("name") or "") or None
    return None


def last_lines(text: str, count: int) -> Optional[str]:
    lines = text.rstrip("\n").splitlines()
    return "\n".join(lines[-count:]) if lines else None


def pull_request(api: JenkinsAPI, build: Build) -> Optional[PullRequest]:
    """A multibranch PR job: the branch source's metadata actions (title, link, author)."""
    match = _PULL_REQUEST_JOB.match(build.job.rsplit("/", 1)[-1])
    if not match:
        return None
    title = url = author = ""
    for action in api.job(build.job).get("actions") or []:
        if not isinstance(action, Mapping):
            continue
        title = title or str(action.get("objectDisplayName") or "")
        url = url or str(action.get("objectUrl") or "")
        author = author or str(action.get("contributorDisplayName") or action.get("contributor") or "")
    return PullRequest(match.group(1), url=url, title=title, author=author)
