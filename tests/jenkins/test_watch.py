"""``wyzepal-jenkins-watch`` over a sequence of builds on the simulator, messages checked on the dev server."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from wyzepal_jenkins.integration import JenkinsIntegration
from wyzepal_jenkins.watch.cli import main
from wyzepal_jenkins.watch.poller import Poller
from wyzepal_jenkins.watch.runner import Watcher
from wyzepal_jenkins.watch.state import WatchState

from devtools.jenkins_simulator import TestCase


def make_watcher(config):
    integration = JenkinsIntegration.load(explicit=config, env={})
    state = WatchState.load(integration.state_path())
    return Watcher(Poller(integration, integration.jenkins_api(env={}), state), 1.0), integration


def headlines(devserver, count, timeout=10):
    devserver.wait_for_messages(count, timeout=timeout)
    time.sleep(0.2)  # anything unexpected would arrive now
    return [(m["subject"], m["content"].split("\n")[0].split(") ", 1)[-1]) for m in devserver.messages()]


def by_topic(pairs):
    """``(topic, text)`` pairs as each topic's texts in order."""
    topics: dict = {}
    for topic, text in pairs:
        topics.setdefault(topic, []).append(text)
    return topics


def minutes_ago(count):
    return int(time.time() * 1000) - count * 60_000


def test_a_sequence_of_builds_gives_exactly_the_expected_messages(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    for name in ("app", "team/lib", "deploy-web"):
        sim.add_job(name)
    sim.run_build("app", "SUCCESS")
    sim.run_build("deploy-web", "SUCCESS")
    config = write_config(NOTIFY_ABORTED=True)
    watcher, integration = make_watcher(config)
    now = minutes_ago(0)  # one clock for every build below, so the durations said are exact on a slow machine

    assert watcher.poll_once().baseline  # first run: remember, announce nothing
    for result, started in (("FAILURE", 120), ("FAILURE", 90), ("SUCCESS", 30)):  # fail, fail, fix
        sim.run_build("app", result, timestamp=now - started * 60_000, duration_ms=60_000)
        watcher.poll_once()
    sim.run_build("team/lib", "UNSTABLE", tests=[TestCase("LibTest", "test_edge", "FAILED")])
    sim.run_build("app", "ABORTED")
    watcher.poll_once()
    sim.add_job("new-svc")
    sim.run_build("new-svc", "FAILURE")
    sim.delete("team/lib")
    report = watcher.poll_once()
    assert report.new_jobs == ["new-svc"] and report.gone_jobs == ["team/lib"]

    jenkins_sim.stop()  # Jenkins down: builds go on meanwhile
    sim.run_build("app", "FAILURE", timestamp=now - 20 * 60_000, duration_ms=60_000)
    sim.run_build("app", "SUCCESS", timestamp=now - 10 * 60_000, duration_ms=60_000)
    assert watcher.poll_once() is None and watcher.next_wait() >= 1.0
    jenkins_sim.start()
    watcher.poll_once()

    integration.close(5)
    restarted, integration = make_watcher(config)  # a restart: nothing repeated, nothing missed
    sim.rename("deploy-web", "deploy-www")  # renamed: its old builds are not news
    sim.run_build("app", "FAILURE")
    restarted.poll_once()
    integration.close(5)

    expected = [
        ("app", "**failed**"),
        ("app", "**is still failing** (2 builds in a row, for 31 min)"),
        ("app", "**is back to normal** (after 2 unsuccessful builds, 1 h 31 min)"),
        ("app", "**was aborted**"),
        ("team/lib", "**is unstable**"),
        ("new-svc", "**failed**"),
        ("app", "**failed**"),
        ("app", "**is back to normal** (after 1 unsuccessful build, 11 min)"),
        ("app", "**failed**"),
    ]
    # Each topic in order; topics are delivered side by side, so their messages interleave in no promised order.
    assert by_topic(headlines(devserver, 9)) == by_topic(expected)
    state = json.loads(integration.state_path().read_text())
    assert set(state["jobs"]) == {"app", "new-svc", "deploy-www"} and state["jobs"]["app"]["last"] == 8


def test_a_running_build_is_announced_when_it_finishes_and_its_start_when_asked(jenkins_sim, write_config,
                                                                                devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    watcher, integration = make_watcher(write_config(NOTIFY_STARTED=True))
    watcher.poll_once()
    running = sim.start_build("app")
    watcher.poll_once()
    watcher.poll_once()  # still running: the start is not said twice
    sim.finish_build("app", running.number, "FAILURE")
    watcher.poll_once()
    integration.close(5)
    assert headlines(devserver, 2) == [("app", "**started**"), ("app", "**failed**")]


def test_a_build_running_at_the_first_poll_is_announced_when_done(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    running = sim.start_build("app")
    watcher, integration = make_watcher(write_config())
    watcher.poll_once()
    sim.finish_build("app", running.number, "FAILURE")
    watcher.poll_once()
    integration.close(5)
    assert headlines(devserver, 1) == [("app", "**failed**")]


def test_jenkins_down_at_start_then_up(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    config = write_config()
    jenkins_sim.stop()
    watcher, integration = make_watcher(config)
    assert watcher.poll_once() is None and watcher.poll_once() is None
    assert watcher.next_wait() == 2.0
    jenkins_sim.start()
    assert watcher.poll_once().baseline and watcher.next_wait() == 1.0
    sim.run_build("app", "FAILURE")
    watcher.poll_once()
    integration.close(5)
    assert headlines(devserver, 1) == [("app", "**failed**")]


def test_only_watched_jobs_in_folders_and_a_proxy_error_is_survived(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    for name in ("team/a/one", "team/b/two", "team/b/skip-me", "other"):
        sim.add_job(name)
    watcher, integration = make_watcher(write_config(WATCH_JOBS=["team/*"], IGNORE_JOBS=["*/skip-*"]))
    watcher.poll_once()
    for name in ("team/a/one", "team/b/two", "team/b/skip-me", "other"):
        sim.run_build(name, "FAILURE")
    jenkins_sim.fail_next(1, status=502)
    assert watcher.poll_once() is None
    watcher.poll_once()
    integration.close(5)
    assert sorted(headlines(devserver, 2)) == [("team/a/one", "**failed**"), ("team/b/two", "**failed**")]


def test_a_corrupt_state_file_is_set_aside(jenkins_sim, write_config, devserver, tmp_path):
    (tmp_path / "state.json").write_text("{not json")
    jenkins_sim.jenkins.add_job("app")
    watcher, integration = make_watcher(write_config())
    assert watcher.poll_once().baseline
    assert (tmp_path / "state.json.corrupt").exists()
    assert json.loads((tmp_path / "state.json").read_text())["jobs"] == {"app": {"last": 0, "pending": [],
                                                                                 "started": [],
                                                                                 "news_after_ms": None,
                                                                                 "told": None, "inputs": [],
                                                                                 "answered": []}}


def test_bad_config_stops_the_watcher_with_a_clear_error(write_config, capfd):
    config = write_config(POLL_INTERVAL=0)
    assert main(["--config", str(config)], env={}) == 2
    err = capfd.readouterr().err
    assert str(config) in err and "POLL_INTERVAL" in err and "more than 0" in err


def test_the_real_watcher_process_polls_and_stops_on_sigterm(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    config = write_config(POLL_INTERVAL=0.2)
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen([sys.executable, "-m", "wyzepal_jenkins.watch", "--config", str(config)], env=env,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not (config.parent / "state.json").exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        sim.run_build("app", "FAILURE")
        assert "**failed**" in devserver.wait_for_messages(1, timeout=15)[0]["content"]
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err


@pytest.mark.parametrize("down", [False, True])
def test_once_polls_a_single_time(jenkins_sim, write_config, devserver, down):
    config = write_config()
    if down:
        jenkins_sim.stop()
    assert main(["--config", str(config), "--once"], env={}) == 0
    assert (config.parent / "state.json").exists() is not down


def test_check_reports_jenkins_and_the_watched_jobs(jenkins_sim, write_config, capfd):
    jenkins_sim.jenkins.add_job("team/app")
    jenkins_sim.jenkins.add_job("other")
    assert main(["--config", str(write_config(WATCH_JOBS=["team/*"])), "--check"], env={}) == 0
    out = capfd.readouterr().out
    assert "Jenkins 2.452.3 at" in out and "logged in as WyzePal Bot (wyzepal)" in out
    assert "watching 1 jobs: team/app" in out
    assert main(["--config", str(write_config(JENKINS_API_TOKEN="wrong-token"))] + ["--check"], env={}) == 1
    err = capfd.readouterr().err
    assert "rejected the API token of wyzepal" in err and "wrong-token" not in err


def test_a_build_jenkins_failed_to_describe_is_announced_at_the_next_poll(jenkins_sim, write_config, devserver):
    """Jenkins lists the build but fails the request for its details: nothing is lost, nothing repeated."""
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    watcher, integration = make_watcher(write_config())
    watcher.poll_once()
    now = minutes_ago(0)
    sim.run_build("app", "FAILURE", timestamp=now - 30 * 60_000, duration_ms=60_000)
    sim.run_build("app", "FAILURE", timestamp=now - 10 * 60_000, duration_ms=60_000)
    jenkins_sim.fail_next(1, status=503, path="/job/app/2/")
    assert watcher.poll_once() is None
    watcher.poll_once()
    watcher.poll_once()
    integration.close(5)
    assert headlines(devserver, 2) == [("app", "**failed**"),
                                       ("app", "**is still failing** (2 builds in a row, for 21 min)")]


def test_a_build_jenkins_describes_strangely_is_skipped_and_later_ones_still_come(jenkins_sim, write_config,
                                                                                 devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    watcher, integration = make_watcher(write_config())
    watcher.poll_once()
    sim.run_build("app", "FAILURE")
    jenkins_sim.answer_next(1, 200, ["not", "a", "build"], path="/job/app/1/")
    assert watcher.poll_once().announced == []
    sim.run_build("app", "SUCCESS")
    assert watcher.poll_once().announced == [("app", 2, "back_to_normal")]
    integration.close(5)
    assert [subject for subject, _ in headlines(devserver, 1)] == ["app"]


def test_without_commands_enabled_the_watcher_does_not_listen_to_chat(jenkins_sim, write_config, devserver):
    jenkins_sim.jenkins.add_job("app")
    config = write_config(POLL_INTERVAL=0.2)
    stop = threading.Event()
    watcher = threading.Thread(target=main, args=(["--config", str(config)],), kwargs={"env": {}, "stop": stop})
    watcher.start()
    try:
        deadline = time.monotonic() + 20
        while not (config.parent / "state.json").exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        jenkins_sim.jenkins.run_build("app", "FAILURE")
        assert "**failed**" in devserver.wait_for_messages(1, timeout=15)[0]["content"]
        # nobody reads chat: a command gets no answer (the outbox's own queue, for sending once, answers nothing)
        devserver.add_user("alice@example.com", full_name="Alice Liddell", bot=False)
        devserver.send_message("alice@example.com", "ci", "@**Test Bot** help", topic="app")
        time.sleep(1.5)
        assert [m["sender_email"] for m in devserver.messages()] == ["bot@example.com", "alice@example.com"]
    finally:
        stop.set()
        watcher.join(timeout=20)
    assert not watcher.is_alive()


def test_a_job_deleted_and_created_anew_between_two_polls_is_a_new_job(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    for _ in range(3):
        sim.run_build("app", "SUCCESS")
    watcher, integration = make_watcher(write_config())
    watcher.poll_once()
    sim.delete("app")
    sim.add_job("app")  # Jenkins numbers its builds from 1 again
    sim.run_build("app", "FAILURE")
    assert watcher.poll_once().new_jobs == ["app"]
    integration.close(5)
    assert headlines(devserver, 1) == [("app", "**failed**")]


def test_a_build_done_but_without_a_result_yet_is_announced_once_it_has_one(jenkins_sim, write_config, devserver):
    """Real Jenkins can list a build with ``building: false`` and ``result: null`` for a moment while it ends."""
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    watcher, integration = make_watcher(write_config())
    watcher.poll_once()
    build = sim.start_build("app")
    build.building = False  # result still null
    assert watcher.poll_once().announced == []
    sim.finish_build("app", 1, "FAILURE")
    assert watcher.poll_once().announced == [("app", 1, "first_failure")]
    integration.close(5)
    assert headlines(devserver, 1) == [("app", "**failed**")]
