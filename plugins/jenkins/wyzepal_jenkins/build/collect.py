"""Everything about one build, asked of Jenkins in as few requests as the message needs.

One request for the build, one for the job's recent history (unless the caller
has it), and the test report only when tests failed (the counts are already
in the build's ``TestResultAction``).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from ..api import JenkinsAPI, NotFound
from .history import HISTORY_LIMIT, place
from .model import Build, TestSummary
from .parse import parse_build, test_counts
from .tests import summarize


def collect(api: JenkinsAPI, job: str, number: int, *, max_failed_tests: int = 5,
            history: Optional[Sequence[Mapping[str, Any]]] = None) -> Build:
    """The build as Jenkins knows it; raises JenkinsError when Jenkins cannot say."""
    data = api.build(job, number)
    build = parse_build(job, data)
    build.tests = tests(api, build, data, max_failed_tests)
    place(build, history if history is not None else api.history(job, HISTORY_LIMIT))
    return build


def tests(api: JenkinsAPI, build: Build, data: Mapping[str, Any], limit: int) -> Optional[TestSummary]:
    counts = test_counts(data)
    if counts is None:
        return None
    total, failed, skipped = counts
    if failed and limit > 0:
        try:
            report = api.test_report(build.job, build.number)
        except NotFound:
            report = None
        if report:
            return summarize(report, build.url, limit)
    return TestSummary(passed=total - failed - skipped, failed=failed, skipped=skipped)
