"""Smart notifications: a build's kind from its predecessors, streaks and durations."""
from __future__ import annotations

import pytest
from wyzepal_jenkins.build.history import place, previous_from_git
from wyzepal_jenkins.build.model import Build
from wyzepal_jenkins.kinds import classify
from wyzepal_jenkins.message.durations import human_duration

MINUTE = 60_000


@pytest.mark.parametrize("result, previous, kind", [
    (None, "SUCCESS", "started"),
    ("SUCCESS", None, "success"), ("SUCCESS", "SUCCESS", "success"),
    ("SUCCESS", "FAILURE", "back_to_normal"), ("SUCCESS", "UNSTABLE", "back_to_normal"),
    ("FAILURE", None, "first_failure"), ("FAILURE", "SUCCESS", "first_failure"),
    ("FAILURE", "UNSTABLE", "first_failure"), ("FAILURE", "FAILURE", "still_failing"),
    ("UNSTABLE", "SUCCESS", "unstable"), ("ABORTED", "FAILURE", "aborted"), ("NOT_BUILT", None, "not_built"),
])
def test_classify(result, previous, kind):
    assert classify(result, previous) == kind


def history(*results):
    """Newest first, one build every 10 minutes, each 1 minute long."""
    count = len(results)
    return [{"number": count - i, "result": r, "timestamp": (count - i) * 10 * MINUTE, "duration": MINUTE,
             "building": r is None} for i, r in enumerate(results)]


def test_aborted_and_running_builds_are_stepped_over():
    builds = history(None, "FAILURE", "ABORTED", "FAILURE", "FAILURE", "SUCCESS")
    build = Build("app", 5, result="FAILURE", timestamp_ms=50 * MINUTE, duration_ms=MINUTE)
    place(build, builds)
    assert build.kind == "still_failing" and build.streak.builds == 3 and build.streak.since_ms == 20 * MINUTE


def test_back_to_normal_counts_the_unsuccessful_run():
    build = Build("app", 4, result="SUCCESS", timestamp_ms=40 * MINUTE, duration_ms=MINUTE)
    place(build, history("SUCCESS", "UNSTABLE", "FAILURE", "SUCCESS"))
    assert build.kind == "back_to_normal" and build.streak.builds == 2 and build.streak.since_ms == 20 * MINUTE


def test_git_variables_as_a_fallback():
    assert previous_from_git({"GIT_PREVIOUS_COMMIT": "a", "GIT_PREVIOUS_SUCCESSFUL_COMMIT": "a"}) == "SUCCESS"
    assert previous_from_git({"GIT_PREVIOUS_COMMIT": "b", "GIT_PREVIOUS_SUCCESSFUL_COMMIT": "a"}) == "FAILURE"
    assert previous_from_git({}) is None


@pytest.mark.parametrize("ms, text", [(None, ""), (400, "<1 s"), (12_000, "12 s"), (125_000, "2 min 5 s"),
                                      (3_600_000, "1 h"), (3_780_000, "1 h 3 min"), (180_000_000, "2 d 2 h")])
def test_human_duration(ms, text):
    assert human_duration(ms) == text
