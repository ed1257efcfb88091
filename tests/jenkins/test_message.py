"""The message: one switch per kind (and the defaults the issue names), big pushes and many failing tests shortened."""
from __future__ import annotations

import pytest
from jenkinsrig import jenkins_env
from wyzepal_jenkins.build.model import Build, FailedTest, TestSummary
from wyzepal_jenkins.integration import JenkinsIntegration
from wyzepal_jenkins.kinds import KINDS
from wyzepal_jenkins.message import render
from wyzepal_jenkins.step.cli import main as notify

from devtools.jenkins_simulator import Change, TestCase

#: A build of each kind: (result, the previous decisive result).
EXAMPLES = {
    "started": (None, "SUCCESS"), "success": ("SUCCESS", "SUCCESS"), "first_failure": ("FAILURE", "SUCCESS"),
    "still_failing": ("FAILURE", "FAILURE"), "regression": ("UNSTABLE", "FAILURE"),
    "back_to_normal": ("SUCCESS", "FAILURE"),
    "unstable": ("UNSTABLE", "SUCCESS"), "aborted": ("ABORTED", "FAILURE"), "not_built": ("NOT_BUILT", "SUCCESS"),
}
ON_BY_DEFAULT = {"first_failure", "still_failing", "regression", "back_to_normal", "unstable"}
#: A test that fails now and did not before: what makes a still broken build a regression.
NEW_FAILURE = TestSummary(passed=1, failed=1, skipped=0, failures=(FailedTest("T.test_new"),),
                          new_failures=(FailedTest("T.test_new"),), new_failed=1)


def announced_kinds(config) -> set[str]:
    integration = JenkinsIntegration.load(explicit=config, env={})
    [conf] = integration.configurations
    kinds = set()
    for kind, (result, previous) in EXAMPLES.items():
        build = Build("app", 7, url="https://jenkins.example.com/job/app/7/", result=result,
                      previous_result=previous, tests=NEW_FAILURE if kind == "regression" else None)
        assert build.kind == kind
        if render(conf, build.event()) is not None:
            kinds.add(kind)
    return kinds


def test_every_kind_has_an_example():
    assert set(EXAMPLES) == set(KINDS)


def test_the_default_switches_are_failures_still_failing_regressions_back_to_normal_and_unstable(write_config):
    assert announced_kinds(write_config()) == ON_BY_DEFAULT


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_its_own_switch(write_config, kind):
    flipped = kind not in ON_BY_DEFAULT
    config = write_config(**{f"NOTIFY_{kind.upper()}": flipped})
    assert announced_kinds(config) == (ON_BY_DEFAULT | {kind} if flipped else ON_BY_DEFAULT - {kind})


def test_a_big_push_and_many_failing_tests_are_shortened(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    long_title = "Refactor " + "the parser " * 30
    changes = [Change(f"{i:02d}abcdef99", f"Change {i}", "bob", "Bob Stone") for i in range(11)]
    changes.append(Change("ffabcdef99", long_title + "\n\nbody", "carol", "Carol King"))
    tests = [TestCase("pkg.T", f"test_{i}", "FAILED") for i in range(8)] + [TestCase("pkg.T", "test_ok")]
    build = sim.run_build("app", "FAILURE", changes=list(reversed(changes)), tests=tests)
    config = write_config(MAX_CHANGES=3, MAX_FAILED_TESTS=2)
    assert notify(["--config", str(config)], jenkins_env(jenkins_sim, "app", 1)) == 0
    text = devserver.wait_for_messages(1)[0]["content"]
    changes_block = text.split("**Changes**\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(changes_block) == 4 and changes_block[-1] == "* … and 9 more changes"
    shown_title = changes_block[0].split("` ", 1)[1].rsplit(" (Carol King)", 1)[0]
    assert shown_title.startswith("Refactor the parser") and shown_title.endswith("…") and len(shown_title) == 100
    assert "**Tests**: 1 passed, 8 failed, 0 skipped\n" in text
    assert text.endswith(f"* [pkg.T.test\\_0]({build.url}testReport/pkg/T/test_0/)\n"
                         f"* [pkg.T.test\\_1]({build.url}testReport/pkg/T/test_1/)\n"
                         "* … and 6 more failing")
