"""``wyzepal-jenkins-notify`` run as a Jenkins build step against the simulator and the dev server."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from jenkinsrig import ALICE, READER, jenkins_env
from wyzepal_jenkins.step.cli import main

from devtools.jenkins_simulator import Change, TestCase, user_cause

SHA = "0123456789abcdef0123456789abcdef01234567"


def run(argv, env):
    return main(argv, env)


def failing_pipeline(sim):
    """team/app: #1 passed; #2 is running (its post step is us) with two changes and a failing test."""
    sim.jenkins.add_job("team/app", pipeline=True)
    sim.jenkins.run_build("team/app", "SUCCESS", duration_ms=60_000)
    changes = [Change("a1b2c3d4e5", "Speed up the parser\n\nlong body", "bob", "Bob Stone", "bob@example.com"),
               Change("f6e5d4c3b2", "Fix @**all** the `things` [now](http://evil)", "carol", "Carol King",
                      "carol@example.com")]
    build = sim.jenkins.start_build("team/app", changes=changes, cause=user_cause("alice", "Alice Liddell"),
                                    commit=SHA)
    build.tests = [TestCase("pkg.ParserTest", "test_speed", "FAILED", error="too slow"),
                   TestCase("pkg.ParserTest", "test_ok"), TestCase("pkg.ParserTest", "test_skip", "SKIPPED")]
    return build


def test_jenkinsfile_post_step_announces_a_failure_with_changes_culprits_and_tests(jenkins_sim, write_config,
                                                                                   devserver):
    build = failing_pipeline(jenkins_sim)
    config = write_config()
    code = run(["--config", str(config), "--result", "FAILURE"], jenkins_env(jenkins_sim, "team/app", build.number))
    assert code == 0
    [message] = devserver.wait_for_messages(1, stream="ci")
    assert message["subject"] == "team/app"
    text = message["content"]
    assert text.startswith(f":cross_mark: [team/app #2]({build.url}) **failed**")
    assert "Started by user Alice Liddell" in text and "branch `main`" in text and "commit `01234567`" in text
    assert "`a1b2c3d4` Speed up the parser (Bob Stone)" in text
    assert "**Culprits**: Bob Stone, Carol King" in text
    assert "**Tests**: 1 passed, 1 failed, 1 skipped" in text
    assert f"[pkg.ParserTest.test\\_speed]({build.url}testReport/pkg/ParserTest/test_speed/)" in text


def test_text_from_jenkins_cannot_mention_everyone_or_break_out(jenkins_sim, write_config, devserver):
    build = failing_pipeline(jenkins_sim)
    run(["--config", str(write_config()), "--result", "FAILURE"], jenkins_env(jenkins_sim, "team/app", build.number))
    text = devserver.wait_for_messages(1)[0]["content"]
    assert "@**all**" not in text
    assert "@\u200b\\*\\*all\\*\\*" in text and "\\`things\\`" in text and "\\[now\\]" in text


def test_jenkins_down_still_sends_what_the_environment_says(jenkins_sim, write_config, devserver, capfd):
    config = write_config()
    jenkins_sim.stop()
    env = jenkins_env(jenkins_sim, "team/app", 7, GIT_PREVIOUS_COMMIT="aaa", GIT_PREVIOUS_SUCCESSFUL_COMMIT="aaa")
    assert run(["--config", str(config), "--result", "FAILURE"], env) == 0
    text = devserver.wait_for_messages(1)[0]["content"]
    assert f"[team/app #7]({jenkins_sim.url}job/team/app/7/) **failed**" in text
    assert "branch `main`" in text and "commit `01234567`" in text
    assert "could not ask Jenkins" in capfd.readouterr().err


def test_git_variables_tell_back_to_normal_when_jenkins_is_down(jenkins_sim, write_config, devserver):
    config = write_config()
    jenkins_sim.stop()
    env = jenkins_env(jenkins_sim, "app", 8, GIT_PREVIOUS_COMMIT="bbb", GIT_PREVIOUS_SUCCESSFUL_COMMIT="aaa")
    run(["--config", str(config), "--result", "SUCCESS"], env)
    assert "**is back to normal**" in devserver.wait_for_messages(1)[0]["content"]


def test_success_after_success_is_quiet_by_default_and_back_to_normal_is_not(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    sim.run_build("app", "SUCCESS")
    sim.run_build("app", "SUCCESS")
    config = write_config()
    assert run(["--config", str(config)], jenkins_env(jenkins_sim, "app", 2)) == 0
    sim.run_build("app", "FAILURE", timestamp=int(time.time() * 1000) - 3_600_000)
    sim.run_build("app", "SUCCESS")
    run(["--config", str(config)], jenkins_env(jenkins_sim, "app", 4))
    [message] = devserver.wait_for_messages(1)
    assert "**is back to normal** (after 1 unsuccessful build, 1 h" in message["content"]


def test_started_is_announced_when_switched_on(jenkins_sim, write_config, devserver):
    jenkins_sim.jenkins.add_job("app")
    build = jenkins_sim.jenkins.start_build("app", cause=user_cause("alice", "Alice Liddell"))
    env = jenkins_env(jenkins_sim, "app", build.number)
    assert run(["--config", str(write_config()), "--started"], env) == 0
    assert run(["--config", str(write_config(NOTIFY_STARTED=True)), "--started"], env) == 0
    [message] = devserver.wait_for_messages(1)
    assert message["content"].startswith(f":hourglass: [app #1]({build.url}) **started**")
    assert "Started by user Alice Liddell" in message["content"]


def test_freestyle_change_set_is_read_too(jenkins_sim, write_config, devserver):
    jenkins_sim.jenkins.add_job("legacy")
    jenkins_sim.jenkins.run_build("legacy", "UNSTABLE", changes=[Change("abc", "Tidy", "bob", "Bob Stone")])
    run(["--config", str(write_config())], jenkins_env(jenkins_sim, "legacy", 1))
    text = devserver.wait_for_messages(1)[0]["content"]
    assert "**is unstable**" in text and "`abc` Tidy (Bob Stone)" in text


def test_credentials_from_the_environment_and_a_rejected_token_is_not_shown(jenkins_sim, write_config, devserver,
                                                                            capfd):
    failing_pipeline(jenkins_sim)
    config = write_config(JENKINS_USER=None, JENKINS_API_TOKEN=None)
    env = jenkins_env(jenkins_sim, "team/app", 2, JENKINS_USER_ID=ALICE[0], JENKINS_API_TOKEN=ALICE[1])
    run(["--config", str(config), "--result", "FAILURE"], env)
    assert "Speed up the parser" in devserver.wait_for_messages(1)[0]["content"]
    env["JENKINS_API_TOKEN"] = "not-the-token-" + "z" * 20
    run(["--config", str(config), "--result", "FAILURE"], env)
    err = capfd.readouterr().err
    assert "rejected the API token of alice" in err and env["JENKINS_API_TOKEN"] not in err


def test_not_in_jenkins_and_bad_config_never_fail_the_build_unless_asked(write_config, tmp_path, capfd):
    config = write_config()
    assert run(["--config", str(config)], {}) == 0
    assert "JOB_NAME and BUILD_NUMBER are not set" in capfd.readouterr().err
    assert run(["--config", str(config), "--fail-on-error"], {}) == 2
    broken = write_config("broken.py", NOTIFY_SUCCESS="yes")
    assert run(["--config", str(broken)], {"JOB_NAME": "a", "BUILD_NUMBER": "1"}) == 0
    err = capfd.readouterr().err
    assert str(broken) in err and "NOTIFY_SUCCESS" in err and "True or False" in err


@pytest.mark.parametrize("argv", [["--result", ""], ["--result", "MAYBE"], ["--no-such-option"]])
def test_a_command_line_it_cannot_read_does_not_fail_the_build_unless_asked(write_config, capfd, argv):
    config = write_config()
    assert run(["--config", str(config)] + argv, {"JOB_NAME": "a", "BUILD_NUMBER": "1"}) == 0
    assert "wyzepal-jenkins-notify:" in capfd.readouterr().err
    assert run(["--config", str(config), "--fail-on-error"] + argv, {"JOB_NAME": "a", "BUILD_NUMBER": "1"}) == 2


def test_an_answer_that_is_not_a_build_still_sends_what_the_environment_says(jenkins_sim, write_config, devserver,
                                                                              capfd):
    jenkins_sim.jenkins.add_job("app")
    jenkins_sim.jenkins.run_build("app", "FAILURE")
    jenkins_sim.answer_next(1, 200, ["a proxy's idea of JSON"], path="/job/app/1/")
    assert run(["--config", str(write_config()), "--result", "FAILURE"], jenkins_env(jenkins_sim, "app", 1)) == 0
    text = devserver.wait_for_messages(1)[0]["content"]
    assert text.startswith(f":cross_mark: [app #1]({jenkins_sim.url}job/app/1/) **failed**")
    assert "could not read Jenkins' answer" in capfd.readouterr().err


def test_chat_server_down_delays_the_message_and_loses_nothing(jenkins_sim, write_config, devserver):
    jenkins_sim.jenkins.add_job("app")
    jenkins_sim.jenkins.run_build("app", "FAILURE")
    config = write_config()
    devserver.stop()
    started = time.monotonic()
    assert run(["--config", str(config), "--timeout", "0.5"], jenkins_env(jenkins_sim, "app", 1)) == 0
    assert time.monotonic() - started < 10
    devserver.start()
    jenkins_sim.jenkins.run_build("app", "FAILURE")
    run(["--config", str(config)], jenkins_env(jenkins_sim, "app", 2))
    messages = devserver.wait_for_messages(2, timeout=15)
    assert ["**failed**" in m["content"] for m in messages] == [True, False]
    assert "**is still failing** (2 builds in a row" in messages[1]["content"]


def test_channel_per_job_and_a_template_per_result(jenkins_sim, write_config, devserver):
    devserver.add_stream("ops")
    sim = jenkins_sim.jenkins
    sim.add_job("deploy-web")
    sim.add_job("app")
    sim.run_build("deploy-web", "SUCCESS")
    sim.run_build("app", "FAILURE")
    config = write_config(
        NOTIFY_SUCCESS=True,
        MESSAGE_TEMPLATES={"SUCCESS": "{marker} {link} shipped ({duration})"},
        source="CONFIGURATIONS = [\n"
               "    {'description': 'deploys', 'conditions': {'job': 'deploy-*'},\n"
               "     'settings': {'stream': 'ops', 'topic': 'deploys'}},\n"
               "    {'description': 'the rest', 'conditions': {'job': lambda name: not name.startswith('deploy-')}},\n"
               "]\n",
    )
    run(["--config", str(config)], jenkins_env(jenkins_sim, "deploy-web", 1))
    run(["--config", str(config)], jenkins_env(jenkins_sim, "app", 1))
    [deploy] = devserver.wait_for_messages(1, stream="ops")
    assert deploy["subject"] == "deploys"
    assert deploy["content"] == f":check: [deploy-web #1]({sim.job('deploy-web').url}1/) shipped (1 s)"
    assert devserver.wait_for_messages(1, stream="ci")[0]["subject"] == "app"


def test_a_template_with_an_unknown_placeholder_is_refused_at_load(write_config, capfd):
    config = write_config(MESSAGE_TEMPLATES={"FAILURE": "{job} broke {whodunnit}"})
    assert run(["--config", str(config), "--fail-on-error"], {"JOB_NAME": "a", "BUILD_NUMBER": "1"}) == 2
    err = capfd.readouterr().err
    assert "MESSAGE_TEMPLATES['FAILURE']" in err and "{whodunnit}" in err and str(config) in err


def test_a_template_that_cannot_be_filled_in_is_refused_at_load(write_config, capfd):
    config = write_config(MESSAGE_TEMPLATES={"FAILURE": "{link} took {duration:d}"})
    assert run(["--config", str(config), "--fail-on-error"], {"JOB_NAME": "a", "BUILD_NUMBER": "1"}) == 2
    err = capfd.readouterr().err
    assert "MESSAGE_TEMPLATES['FAILURE']" in err and "cannot be filled in" in err and str(config) in err


def test_mentions_only_when_switched_on(jenkins_sim, write_config, devserver):
    build = failing_pipeline(jenkins_sim)
    env = jenkins_env(jenkins_sim, "team/app", build.number)
    users = {"bob": "Bob Stone|12", "carol@example.com": "Carol King"}
    run(["--config", str(write_config(USERS=users)), "--result", "FAILURE"], env)
    run(["--config", str(write_config(USERS=users, MENTION_CULPRITS=True)), "--result", "FAILURE"], env)
    quiet, loud = devserver.wait_for_messages(2)
    assert "**Culprits**: Bob Stone, Carol King" in quiet["content"]
    assert "**Culprits**: @**Bob Stone|12**, @**Carol King**" in loud["content"]


def test_print_shows_the_message_without_sending(jenkins_sim, write_config, devserver, capfd):
    build = failing_pipeline(jenkins_sim)
    run(["--config", str(write_config()), "--result", "FAILURE", "--print"],
        jenkins_env(jenkins_sim, "team/app", build.number))
    assert "# ci > team/app\n:cross_mark:" in capfd.readouterr().out
    assert devserver.messages() == []


@pytest.mark.parametrize("fail_on_error", [False, True])
def test_the_real_command_as_a_process(jenkins_sim, write_config, devserver, fail_on_error):
    jenkins_sim.jenkins.add_job("app")
    jenkins_sim.jenkins.run_build("app", "FAILURE")
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": os.pathsep.join(sys.path),
           "WYZEPAL_JENKINS_CONFIG": str(write_config()), **jenkins_env(jenkins_sim, "app", 1)}
    argv = [sys.executable, "-m", "wyzepal_jenkins.step"] + (["--fail-on-error"] if fail_on_error else [])
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "**failed**" in devserver.wait_for_messages(1)[0]["content"]
    assert READER[1] not in done.stderr + done.stdout


def test_jenkins_own_jenkins_url_is_used_when_the_config_names_none(jenkins_sim, write_config, devserver):
    build = failing_pipeline(jenkins_sim)
    config = write_config(JENKINS_URL=None)
    env = jenkins_env(jenkins_sim, "team/app", build.number)  # Jenkins sets JENKINS_URL in every build
    assert run(["--config", str(config), "--result", "FAILURE"], env) == 0
    assert "Speed up the parser" in devserver.wait_for_messages(1)[0]["content"]  # learnt from Jenkins


def delivery_workers(spool_path):
    """Environments of the detached outbox workers serving ``spool_path`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().split(b"\0")
            if b"wyzepal_notifier.outbox.worker" not in cmdline or str(spool_path).encode() not in cmdline:
                continue
            with open(f"/proc/{entry}/environ", "rb") as handle:
                pairs = [item.split(b"=", 1) for item in handle.read().split(b"\0") if b"=" in item]
        except OSError:  # the process ended meanwhile
            continue
        found.append({key.decode(): value.decode() for key, value in pairs})
    return found


def test_a_message_the_server_did_not_take_is_delivered_after_the_build_by_a_worker_jenkins_spares(
        jenkins_sim, write_config, devserver, tmp_path):
    jenkins_sim.jenkins.add_job("app")
    jenkins_sim.jenkins.run_build("app", "FAILURE")
    devserver.stop()
    assert run(["--config", str(write_config()), "--timeout", "0.3"], jenkins_env(jenkins_sim, "app", 1)) == 0
    deadline = time.monotonic() + 10  # until the new process has exec'd its own command line
    while not (workers := delivery_workers(tmp_path / "outbox.sqlite3")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers, "the step left no worker behind for the undelivered message"
    assert all(w["JENKINS_NODE_COOKIE"] == "dontKillMe" and w["BUILD_ID"] == "dontKillMe" for w in workers)
    devserver.start()  # no second build: the worker alone delivers
    [message] = devserver.wait_for_messages(1, timeout=30)
    assert "**failed**" in message["content"]
