"""Smarter notices: regressions, telling the breaker, pull requests, the failed stage and the console's end."""
from __future__ import annotations

import json
import time
from pathlib import Path

from jenkinsrig import jenkins_env
from wyzepal_jenkins.integration import JenkinsIntegration
from wyzepal_jenkins.step.cli import main as notify
from wyzepal_jenkins.watch.poller import Poller
from wyzepal_jenkins.watch.state import WatchState

from devtools.jenkins_simulator import Change, TestCase
from devtools.jenkins_simulator.builds import Stage

REAL = Path(__file__).parent / "fixtures" / "real"
BOB = Change("b0b0b0b0", "Refactor the parser", "bob", "Bob Stone", "bob@example.com")


def cases(*failing, passing=("test_ok",)):
    return [TestCase("pkg.T", name, "FAILED") for name in failing] + [TestCase("pkg.T", name) for name in passing]


def run_step(jenkins_sim, config, job, number, **extra):
    assert notify(["--config", str(config)], jenkins_env(jenkins_sim, job, number, **extra)) == 0


# -- regression ----------------------------------------------------------------------------------------------

def test_more_failing_tests_while_still_failing_is_a_regression_naming_the_new_ones(jenkins_sim, write_config,
                                                                                   devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    sim.run_build("app", "SUCCESS", tests=cases())
    sim.run_build("app", "UNSTABLE", tests=cases("test_a"))
    sim.run_build("app", "UNSTABLE", tests=cases("test_a"))                 # the same failure: not news
    build = sim.run_build("app", "UNSTABLE", tests=cases("test_a", "test_b", "test_c"))
    config = write_config(NOTIFY_UNSTABLE=False)  # only the regression switch is on for these
    for number in (3, 4):
        run_step(jenkins_sim, config, "app", number)
    [message] = devserver.wait_for_messages(1)
    text = message["content"]
    assert text.startswith(f":cross_mark: [app #4]({build.url}) **is still failing, with new failures** "
                           "(2 more tests failing)")
    new_block = text.split("**Newly failing**\n", 1)[1].split("\n\n", 1)[0]
    assert new_block == (f"* [pkg.T.test\\_b]({build.url}testReport/pkg/T/test_b/)\n"
                         f"* [pkg.T.test\\_c]({build.url}testReport/pkg/T/test_c/)")
    assert "**Tests**: 1 passed, 3 failed, 0 skipped\n* [pkg.T.test\\_a]" in text


def test_regression_has_its_own_switch(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    sim.run_build("app", "FAILURE", tests=cases("test_a"))
    sim.run_build("app", "FAILURE", tests=cases("test_a", "test_b"))
    run_step(jenkins_sim, write_config(NOTIFY_REGRESSION=False), "app", 2)
    run_step(jenkins_sim, write_config(NOTIFY_STILL_FAILING=False), "app", 2)
    [message] = devserver.wait_for_messages(1)
    assert "**is still failing, with new failures** (1 more test failing)" in message["content"]


# -- tell the breaker ----------------------------------------------------------------------------------------

def breaking_build(sim, job="app"):
    sim.add_job(job, pipeline=True)
    sim.run_build(job, "SUCCESS")
    carol = Change("ca401ca4", "Tidy", "carol", "Carol King", "carol@elsewhere.org")
    build = sim.run_build(job, "FAILURE", changes=[BOB, carol], tests=cases("test_login"))
    build.stages = [Stage("Build"), Stage("Test", "FAILED")]
    return build


def test_the_breaker_is_told_directly_once_and_nobody_who_does_not_map(jenkins_sim, write_config, devserver):
    devserver.add_user("bob@example.com", full_name="Bob Stone", bot=False)  # same email as his commits
    devserver.add_user("dave@example.com", full_name="Dave Null", bot=False)
    build = breaking_build(jenkins_sim.jenkins)
    config = write_config(DIRECT_MESSAGE_BREAKERS=True)
    run_step(jenkins_sim, config, "app", 2)
    run_step(jenkins_sim, write_config(DIRECT_MESSAGE_BREAKERS=False, OUTBOX_PATH=str(config.parent / "b.db")),
             "app", 2)
    devserver.wait_for_messages(3)
    time.sleep(0.3)
    direct = [m for m in devserver.messages() if m["type"] == "private"]
    assert len(direct) == 1  # carol has no chat account: never written to
    assert [r["email"] for r in direct[0]["display_recipient"] if r["email"] != "bot@example.com"] == [
        "bob@example.com"]
    text = direct[0]["content"]
    assert text.startswith(f":cross_mark: [app #2]({build.url}) **failed**, and your change is among the suspects.")
    assert "Stage **Test** failed." in text and "testReport/pkg/T/test_login/" in text


def test_a_failure_that_is_not_the_first_of_its_streak_is_not_told(jenkins_sim, write_config, devserver):
    devserver.add_user("bob@example.com", full_name="Bob Stone", bot=False)
    sim = jenkins_sim.jenkins
    breaking_build(sim)
    sim.run_build("app", "FAILURE", changes=[BOB])
    run_step(jenkins_sim, write_config(DIRECT_MESSAGE_BREAKERS=True), "app", 3)
    devserver.wait_for_messages(1)
    time.sleep(0.3)
    assert [m["type"] for m in devserver.messages()] == ["stream"]


def test_the_users_table_maps_a_culprit_to_a_chat_user(jenkins_sim, write_config, devserver):
    bob = devserver.add_user("robert@chat.example.com", full_name="Robert Stone", bot=False)
    breaking_build(jenkins_sim.jenkins)
    user_id = bob["user_id"] if isinstance(bob, dict) else bob
    run_step(jenkins_sim, write_config(DIRECT_MESSAGE_BREAKERS=True, USERS={"bob": f"Robert Stone|{user_id}"}),
             "app", 2)
    devserver.wait_for_messages(2)
    [direct] = [m for m in devserver.messages() if m["type"] == "private"]
    assert "robert@chat.example.com" in [r["email"] for r in direct["display_recipient"]]


def test_the_watcher_tells_once_per_streak_across_restarts(jenkins_sim, write_config, devserver):
    devserver.add_user("bob@example.com", full_name="Bob Stone", bot=False)
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    config = write_config(DIRECT_MESSAGE_BREAKERS=True)

    def poll():
        integration = JenkinsIntegration.load(explicit=config, env={})
        report = Poller(integration, integration.jenkins_api(env={}), WatchState.load(integration.state_path())).poll()
        integration.close(5)
        return report

    poll()
    sim.run_build("app", "FAILURE", changes=[BOB])
    poll()
    state = json.loads((config.parent / "state.json").read_text())
    assert state["jobs"]["app"]["told"] == 1
    sim.run_build("app", "FAILURE", changes=[BOB])
    poll()
    devserver.wait_for_messages(3)
    time.sleep(0.3)
    assert [m["type"] for m in devserver.messages()].count("private") == 1


# -- pull requests -------------------------------------------------------------------------------------------

def test_a_pull_request_build_says_which_pr_by_whom_into_what(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("team/app/PR-42", pipeline=True)
    build = sim.run_build("team/app/PR-42", "FAILURE")
    env = {"CHANGE_ID": "42", "CHANGE_URL": "https://git.example.com/team/app/pull/42",
           "CHANGE_TITLE": "Fix @**all** the login", "CHANGE_AUTHOR": "alice",
           "CHANGE_AUTHOR_DISPLAY_NAME": "Alice Liddell", "CHANGE_TARGET": "main", "BRANCH_NAME": "PR-42"}
    run_step(jenkins_sim, write_config(), "team/app/PR-42", build.number, **env)
    text = devserver.wait_for_messages(1)[0]["content"]
    assert ("pull request [\\#42 Fix @\u200b\\*\\*all\\*\\* the login](https://git.example.com/team/app/pull/42) "
            "by Alice Liddell into `main`") in text


def test_the_watcher_learns_the_pull_request_from_the_job(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    job = sim.add_job("team/app/PR-7", pipeline=True)
    job.actions = [{"_class": "jenkins.scm.api.metadata.ObjectMetadataAction", "objectDescription": None,
                    "objectDisplayName": "Speed up search", "objectUrl": "https://git.example.com/pull/7"},
                   {"_class": "jenkins.scm.api.metadata.ContributorMetadataAction", "contributor": "bob",
                    "contributorDisplayName": "Bob Stone", "contributorEmail": None}]
    integration = JenkinsIntegration.load(explicit=write_config(), env={})
    poller = Poller(integration, integration.jenkins_api(env={}), WatchState.load(integration.state_path()))
    poller.poll()
    sim.run_build("team/app/PR-7", "FAILURE")
    poller.poll()
    integration.close(5)
    text = devserver.wait_for_messages(1)[0]["content"]
    assert "pull request [\\#7 Speed up search](https://git.example.com/pull/7) by Bob Stone" in text


# -- the failed stage and the console ------------------------------------------------------------------------

def test_a_failed_pipeline_names_its_stage_and_optionally_the_last_log_lines(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app", pipeline=True)
    build = sim.start_build("app")
    build.stages = [Stage("Checkout"), Stage("Build"), Stage("Deploy", "FAILED")]
    build.log += "".join(f"line {i}\n" for i in range(100)) + "```\n@**all** deploy failed\n"
    sim.finish_build("app", 1, "FAILURE")
    run_step(jenkins_sim, write_config(), "app", 1)
    run_step(jenkins_sim, write_config(LOG_LINES=3), "app", 1)
    quiet, verbose = (m["content"] for m in devserver.wait_for_messages(2))
    assert "stage **Deploy** failed · " in quiet and "**Console**" not in quiet
    block = verbose.split("**Console** (last 3 lines)\n", 1)[1]
    assert block == "````\n```\n@**all** deploy failed\nFinished: FAILURE\n````"  # a fence longer than any inside
    requests = [path for _, path in jenkins_sim.requests if "progressiveText" in path]
    assert len(requests) == 2 and requests[1].endswith("?start=0")  # the size first, then only the tail


def test_the_stage_from_a_recorded_wfapi_answer(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("cd", pipeline=True)
    sim.run_build("cd", "FAILURE")
    runs = json.loads((REAL / "stage-view_runs-failed.json").read_text())
    jenkins_sim.answer_next(1, 200, runs[0], path="/wfapi/describe")
    run_step(jenkins_sim, write_config(), "cd", 1)
    assert "stage **Staging** failed" in devserver.wait_for_messages(1)[0]["content"]


def test_a_recorded_console_log_is_shortened_safely(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("chicken")
    build = sim.run_build("chicken", "FAILURE")
    build.log = (REAL / "jenkins-rest_build-consoleText.txt").read_text()
    run_step(jenkins_sim, write_config(LOG_LINES=2), "chicken", 1)
    text = devserver.wait_for_messages(1)[0]["content"]
    shown = text.split("**Console** (last 2 lines)\n```\n", 1)[1].rsplit("\n```", 1)[0].splitlines()
    assert shown == build.log.rstrip("\n").splitlines()[-2:]
