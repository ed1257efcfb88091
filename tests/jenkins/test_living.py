"""LIVING_MESSAGE: one message per build, edited from start to result, against the simulator and the dev server.

Every way in is real: the watcher polling the simulator over HTTP, the step's
``main`` as Jenkins runs it (its detached worker included), spools on disk, and
the dev server's edit rules, faults and rate limits.
"""
from __future__ import annotations

import time

from jenkinsrig import jenkins_env
from wyzepal_jenkins.integration import JenkinsIntegration
from wyzepal_jenkins.living import build_handle, jenkins_server
from wyzepal_jenkins.step.cli import main as step
from wyzepal_jenkins.watch.poller import Poller
from wyzepal_jenkins.watch.runner import Watcher
from wyzepal_jenkins.watch.state import WatchState
from wyzepal_notifier.outbox import Spool
from wyzepal_notifier.outbox.handles import RESOLVED_PREFIX

from devtools.jenkins_simulator import Change, TestCase

LIVING = {"LIVING_MESSAGE": True}


def watcher_for(config):
    integration = JenkinsIntegration.load(explicit=config, env={})
    state = WatchState.load(integration.state_path())
    return Watcher(Poller(integration, integration.jenkins_api(env={}), state), 1.0), integration


def poll(watcher, integration, timeout=20):
    report = watcher.poll_once()
    assert integration.outbox.flush(timeout), integration.outbox.status()
    return report


def bot_messages(devserver, stream="ci"):
    """The bot's messages (the server's own "marked as resolved" notices left out)."""
    return [m for m in devserver.messages(stream) if m["sender_email"] == "bot@example.com"]


def reactions(devserver, message):
    return sorted(r["emoji_name"] for r in devserver.message(message["id"])["reactions"])


def wait_until(check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def baseline(sim, watcher, integration, job="app"):
    sim.add_job(job)
    sim.run_build(job, "SUCCESS")
    assert poll(watcher, integration).baseline


# -- the watcher ---------------------------------------------------------------------------------------


def test_the_watcher_posts_at_the_start_and_edits_the_same_message_to_the_result(jenkins_sim, write_config,
                                                                                  devserver):
    sim = jenkins_sim.jenkins
    watcher, integration = watcher_for(write_config(**LIVING))
    baseline(sim, watcher, integration)
    build = sim.start_build("app", changes=[Change("c0ffee12", "Tune", "bob", "Bob Stone", "bob@example.com")])
    poll(watcher, integration)
    [message] = bot_messages(devserver)
    assert message["content"].startswith(f":hourglass: [app #2]({build.url}) **started**")
    assert reactions(devserver, message) == ["hourglass"]

    sim.finish_build("app", 2, "SUCCESS", duration_ms=90_000)
    poll(watcher, integration)
    [message] = bot_messages(devserver)  # a plain success: edited only, nothing new to read
    assert message["content"].startswith(f":check: [app #2]({build.url}) **succeeded**")
    assert "took 1 min 30 s" in message["content"] and "`c0ffee12` Tune (Bob Stone)" in message["content"]
    assert reactions(devserver, message) == ["check"]


def test_a_first_failure_edits_and_posts_one_short_follow_up_linking_the_living_message(jenkins_sim, write_config,
                                                                                      devserver):
    sim = jenkins_sim.jenkins
    watcher, integration = watcher_for(write_config(**LIVING))
    baseline(sim, watcher, integration)
    build = sim.start_build("app")
    poll(watcher, integration)
    sim.finish_build("app", 2, "FAILURE", tests=[TestCase("AppTest", "test_login", "FAILED")])
    poll(watcher, integration)
    living, follow_up = bot_messages(devserver)
    assert living["content"].startswith(f":cross_mark: [app #2]({build.url}) **failed**")
    assert "**Tests**: 0 passed, 1 failed" in living["content"]
    assert reactions(devserver, living) == ["cross_mark"] and reactions(devserver, follow_up) == []
    assert follow_up["subject"] == "app" and f"@{living['id']}**" in follow_up["content"]
    assert build.url not in follow_up["content"]  # the address stays the living message's own mark
    assert integration.outbox.status().dead == 0


def test_each_kind_gets_its_reaction_and_only_the_kinds_switched_on_a_follow_up(jenkins_sim, write_config,
                                                                                devserver):
    sim = jenkins_sim.jenkins
    watcher, integration = watcher_for(write_config(**LIVING, NOTIFY_STILL_FAILING=False))
    baseline(sim, watcher, integration)
    expected = [("FAILURE", "cross_mark", True), ("FAILURE", "cross_mark", False),  # still failing: switched off
                ("SUCCESS", "check", True), ("UNSTABLE", "warning", True), ("ABORTED", "stop_sign", False),
                ("NOT_BUILT", "zzz", False)]
    for number, (result, emoji, follows) in enumerate(expected, start=2):
        sim.start_build("app")
        poll(watcher, integration)
        before = len(bot_messages(devserver))
        sim.finish_build("app", number, result)
        poll(watcher, integration)
        messages = bot_messages(devserver)
        assert len(messages) == before + (1 if follows else 0), (result, [m["content"] for m in messages])
        living = next(m for m in messages if f"/app/{number}/" in m["content"])
        assert reactions(devserver, living) == [emoji], result


def test_a_build_that_started_and_ended_between_two_polls_is_one_message_as_without_living(jenkins_sim,
                                                                                          write_config, devserver):
    sim = jenkins_sim.jenkins
    watcher, integration = watcher_for(write_config(**LIVING))
    baseline(sim, watcher, integration)
    sim.run_build("app", "SUCCESS")  # quiet by default: no start seen, so no message at all
    sim.run_build("app", "FAILURE")
    poll(watcher, integration)
    [message] = bot_messages(devserver)
    assert "/app/3/" in message["content"] and "**failed**" in message["content"]
    assert reactions(devserver, message) == ["cross_mark"]


def test_the_watcher_killed_between_start_and_end_edits_after_its_restart(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    config = write_config(**LIVING)
    watcher, integration = watcher_for(config)
    baseline(sim, watcher, integration)
    sim.start_build("app")
    poll(watcher, integration)
    integration.close(5)  # the watcher is gone; Jenkins restarts too while the build runs
    jenkins_sim.stop()
    sim.finish_build("app", 2, "FAILURE")
    jenkins_sim.start()
    watcher, integration = watcher_for(config)
    poll(watcher, integration)
    living, follow_up = bot_messages(devserver)
    assert "**failed**" in living["content"] and reactions(devserver, living) == ["cross_mark"]
    assert "**failed**" in follow_up["content"]
    poll(watcher, integration)  # nothing more
    assert len(bot_messages(devserver)) == 2


def test_the_chat_server_down_at_the_end_delays_the_edit_and_loses_nothing(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    watcher, integration = watcher_for(write_config(**LIVING))
    baseline(sim, watcher, integration)
    sim.start_build("app")
    poll(watcher, integration)
    devserver.faults.fail_next(6, status=503)
    sim.finish_build("app", 2, "SUCCESS")
    watcher.poll_once()
    assert integration.outbox.flush(30)
    [message] = bot_messages(devserver)
    assert "**succeeded**" in message["content"] and reactions(devserver, message) == ["check"]


def test_rate_limiting_at_the_end_waits_and_the_message_still_ends_right(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    watcher, integration = watcher_for(write_config(**LIVING))
    baseline(sim, watcher, integration)
    sim.start_build("app")
    poll(watcher, integration)
    devserver.faults.fail_next(2, status=429, retry_after=1)
    sim.finish_build("app", 2, "FAILURE")
    watcher.poll_once()
    assert integration.outbox.flush(30)
    living, follow_up = bot_messages(devserver)
    assert "**failed**" in living["content"] and reactions(devserver, living) == ["cross_mark"]
    assert "**failed**" in follow_up["content"] and integration.outbox.status().dead == 0


def test_a_build_longer_than_the_edit_limit_says_its_result_once_as_a_follow_up_and_swaps_the_reaction(
        jenkins_sim, write_config, devserver, tmp_path):
    sim = jenkins_sim.jenkins
    agent_config = write_config("agent_config.py", **LIVING, OUTBOX_PATH=str(tmp_path / "agent.sqlite3"))
    watcher, integration = watcher_for(write_config(**LIVING))
    baseline(sim, watcher, integration)
    build = sim.start_build("app", timestamp=int(time.time() * 1000) - 3_600_000)  # an hour-long build
    step(["--config", str(agent_config), "--started"], jenkins_env(jenkins_sim, "app", build.number))
    [start] = devserver.wait_for_messages(1, timeout=20)
    devserver.backdate_message(start["id"], 3600)  # posted an hour ago; the server allows 10 minutes
    sim.finish_build("app", 2, "FAILURE", duration_ms=3_600_000)
    poll(watcher, integration)
    start, result = bot_messages(devserver)  # the result once (no short follow-up besides it)
    assert "**started**" in start["content"] and reactions(devserver, start) == ["cross_mark"]
    assert result["content"].startswith(f":cross_mark: [app #2]({build.url}) **failed**")
    assert "took 1 h" in result["content"]
    assert "edit limit" in integration.outbox.handle_state(integration.living.handle(
        next(iter(integration.configurations)), integration_build(build))).refusals[-1].reason


def integration_build(sim_build):
    from wyzepal_jenkins.build.model import Build

    return Build("app", sim_build.number, url=sim_build.url)


def test_an_edit_limit_set_short_by_the_organisation_falls_back_the_same_way(jenkins_sim, write_config, devserver):
    devserver.set_realm(message_content_edit_limit_seconds=2)
    sim = jenkins_sim.jenkins
    watcher, integration = watcher_for(write_config(**LIVING))
    baseline(sim, watcher, integration)
    sim.start_build("app")
    poll(watcher, integration)
    sim.finish_build("app", 2, "SUCCESS")
    poll(watcher, integration)
    start, result = bot_messages(devserver)
    assert "**started**" in start["content"] and "**succeeded**" in result["content"]
    assert reactions(devserver, start) == ["check"]


# -- the step, and the step with the watcher -----------------------------------------------------------


def test_the_step_started_then_result_keeps_one_message(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    build = sim.start_build("app")
    config = write_config(**LIVING)
    env = jenkins_env(jenkins_sim, "app", build.number)
    assert step(["--config", str(config), "--started"], env) == 0
    devserver.wait_for_messages(1, timeout=20)
    sim.finish_build("app", 1, "SUCCESS", duration_ms=5000)
    assert step(["--config", str(config), "--result", "SUCCESS"], env) == 0
    wait_until(lambda: "**succeeded**" in bot_messages(devserver)[0]["content"]
               and reactions(devserver, bot_messages(devserver)[0]) == ["check"])
    assert len(bot_messages(devserver)) == 1


def test_start_from_the_step_and_end_from_the_watcher_on_another_machine_agree_on_the_message(
        jenkins_sim, write_config, devserver, tmp_path):
    sim = jenkins_sim.jenkins
    agent_config = write_config("agent_config.py", **LIVING, OUTBOX_PATH=str(tmp_path / "agent.sqlite3"))
    watcher, integration = watcher_for(write_config(**LIVING))
    baseline(sim, watcher, integration)
    build = sim.start_build("app")
    assert step(["--config", str(agent_config), "--started"], jenkins_env(jenkins_sim, "app", build.number)) == 0
    devserver.wait_for_messages(1, timeout=20)
    poll(watcher, integration)  # it sees the build run: the step's message is found, none posted
    assert len(bot_messages(devserver)) == 1
    sim.finish_build("app", 2, "FAILURE")
    poll(watcher, integration)
    living, follow_up = bot_messages(devserver)
    assert "**failed**" in living["content"] and reactions(devserver, living) == ["cross_mark"]
    assert "**failed**" in follow_up["content"]


def test_two_agents_with_their_own_spools_start_and_end_one_message(jenkins_sim, write_config, devserver, tmp_path):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    build = sim.start_build("app")
    env = jenkins_env(jenkins_sim, "app", build.number)
    first = write_config("a.py", **LIVING, OUTBOX_PATH=str(tmp_path / "a.sqlite3"))
    second = write_config("b.py", **LIVING, OUTBOX_PATH=str(tmp_path / "b.sqlite3"))
    step(["--config", str(first), "--started"], env)
    devserver.wait_for_messages(1, timeout=20)
    sim.finish_build("app", 1, "FAILURE")
    step(["--config", str(second), "--result", "FAILURE"], env)
    wait_until(lambda: len(bot_messages(devserver)) == 2)
    living, follow_up = bot_messages(devserver)
    wait_until(lambda: reactions(devserver, living) == ["cross_mark"])
    assert "**failed**" in devserver.message(living["id"])["content"] and "**failed**" in follow_up["content"]


def test_the_watcher_defers_a_build_it_cannot_place_while_the_server_is_down(jenkins_sim, write_config, devserver,
                                                                            tmp_path):
    sim = jenkins_sim.jenkins
    agent_config = write_config("agent_config.py", **LIVING, OUTBOX_PATH=str(tmp_path / "agent.sqlite3"))
    watcher, integration = watcher_for(write_config(**LIVING, NOTIFY_STARTED=False))
    baseline(sim, watcher, integration)
    build = sim.start_build("app")
    step(["--config", str(agent_config), "--started"], jenkins_env(jenkins_sim, "app", build.number))
    devserver.wait_for_messages(1, timeout=20)
    sim.finish_build("app", 2, "SUCCESS")
    devserver.faults.fail_next(20, status=503, path="messages", method="GET")  # the look-back cannot be asked
    watcher.poll_once()
    assert integration.state_path().exists()
    assert 2 in watcher.poller.state.jobs["app"].pending  # kept for the next poll, nothing guessed
    devserver.faults.clear()
    poll(watcher, integration)
    [message] = bot_messages(devserver)
    assert "**succeeded**" in message["content"] and reactions(devserver, message) == ["check"]
    assert 2 not in watcher.poller.state.jobs["app"].pending


def test_the_handle_is_per_jenkins_server_channel_job_and_build():
    from wyzepal_jenkins.build.model import Build

    one = Build("team/app", 7, url="https://user@ci.example.com:8443/jenkins/job/team/job/app/7/")
    assert jenkins_server(one) == "ci.example.com:8443/jenkins"
    assert build_handle(jenkins_server(one), "ci", one) == "jenkins:ci.example.com:8443/jenkins:ci:team/app#7"
    other = Build("team/app", 7, url="https://ci2.example.com/job/team/job/app/7/")
    assert build_handle(jenkins_server(other), "ci", other) != build_handle(jenkins_server(one), "ci", one)


# -- topic health --------------------------------------------------------------------------------------


def test_topic_health_resolves_when_green_and_later_builds_follow_the_topic(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    watcher, integration = watcher_for(write_config(**LIVING, RESOLVE_TOPIC_WHEN_GREEN=True))
    baseline(sim, watcher, integration)
    for number, result in ((2, "FAILURE"), (3, "SUCCESS")):
        sim.start_build("app")
        poll(watcher, integration)
        sim.finish_build("app", number, result)
        poll(watcher, integration)
    assert {m["subject"] for m in bot_messages(devserver)} == {RESOLVED_PREFIX + "app"}  # back to normal: green

    sim.start_build("app")  # the next build posts into the resolved topic, not a second "app" topic
    poll(watcher, integration)
    assert bot_messages(devserver)[-1]["subject"] == RESOLVED_PREFIX + "app"
    sim.finish_build("app", 4, "FAILURE")  # broken again: the whole topic is unresolved
    poll(watcher, integration)
    assert {m["subject"] for m in bot_messages(devserver)} == {"app"}
    assert "**failed**" in bot_messages(devserver)[-1]["content"]
    assert integration.outbox.status().dead == 0


def test_topic_health_from_a_spool_that_never_saw_the_topic_still_ends_in_one_topic(jenkins_sim, write_config,
                                                                                   devserver, tmp_path):
    sim = jenkins_sim.jenkins
    watcher, integration = watcher_for(write_config(**LIVING, RESOLVE_TOPIC_WHEN_GREEN=True))
    baseline(sim, watcher, integration)
    sim.start_build("app")
    poll(watcher, integration)
    sim.finish_build("app", 2, "SUCCESS")
    poll(watcher, integration)
    integration.close(5)
    fresh = write_config("fresh.py", **LIVING, RESOLVE_TOPIC_WHEN_GREEN=True,
                         OUTBOX_PATH=str(tmp_path / "fresh.sqlite3"), STATE_PATH=str(tmp_path / "fresh.json"))
    watcher, integration = watcher_for(fresh)  # a new machine: no handle of build 2 known
    poll(watcher, integration)
    sim.start_build("app")
    poll(watcher, integration)  # posted to "app", next to the resolved "✔ app"
    sim.finish_build("app", 3, "SUCCESS")
    poll(watcher, integration)  # green: resolved, so it joins "✔ app"
    assert {m["subject"] for m in bot_messages(devserver)} == {RESOLVED_PREFIX + "app"}
    assert len(bot_messages(devserver)) == 2


def test_an_agent_ending_a_build_while_the_server_is_down_edits_the_start_once_it_is_back(
        jenkins_sim, write_config, devserver, tmp_path):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    build = sim.start_build("app")
    env = jenkins_env(jenkins_sim, "app", build.number)
    step(["--config", str(write_config("a.py", **LIVING, OUTBOX_PATH=str(tmp_path / "a.sqlite3"))), "--started"],
         env)
    devserver.wait_for_messages(1, timeout=20)
    sim.finish_build("app", 1, "SUCCESS")
    devserver.faults.fail_next(8, status=503)  # the look-back and the first tries of the edit fail
    second = write_config("b.py", **LIVING, OUTBOX_PATH=str(tmp_path / "b.sqlite3"))
    assert step(["--config", str(second), "--result", "SUCCESS", "--timeout", "1"], env) == 0
    wait_until(lambda: "**succeeded**" in bot_messages(devserver)[0]["content"]
               and reactions(devserver, bot_messages(devserver)[0]) == ["check"], timeout=40)
    assert len(bot_messages(devserver)) == 1


def test_the_dry_run_shows_the_living_message_and_sends_nothing(jenkins_sim, write_config, devserver, capsys):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    build = sim.start_build("app")
    config = write_config(**LIVING)
    assert step(["--config", str(config), "--started", "--dry-run"], jenkins_env(jenkins_sim, "app", 1)) == 0
    out = capsys.readouterr().out
    assert "# ci > app (the living message jenkins:" in out and ":ci:app#1, posted)" in out
    assert f":hourglass: [app #1]({build.url}) **started**" in out
    time.sleep(0.3)
    assert devserver.messages() == []


def test_the_end_told_twice_by_one_machine_posts_one_follow_up(jenkins_sim, write_config, devserver, tmp_path):
    sim = jenkins_sim.jenkins
    config = write_config(**LIVING)
    watcher, integration = watcher_for(config)
    baseline(sim, watcher, integration)
    build = sim.start_build("app")
    poll(watcher, integration)
    sim.finish_build("app", 2, "FAILURE")
    poll(watcher, integration)
    integration.close(5)
    assert step(["--config", str(config), "--result", "FAILURE"], jenkins_env(jenkins_sim, "app", build.number)) == 0
    spool = Spool(tmp_path / "outbox.sqlite3")
    wait_until(lambda: spool.status().pending == 0)  # whatever the step queued has gone
    spool.close()
    living, follow_up = bot_messages(devserver)
    assert "**failed**" in living["content"] and reactions(devserver, living) == ["cross_mark"]


def test_a_template_without_the_builds_address_is_refused_with_the_living_message(write_config):
    import pytest
    from wyzepal_notifier import ConfigError

    templates = {"FAILURE": "{marker} {job} broke"}
    JenkinsIntegration.load(explicit=write_config(MESSAGE_TEMPLATES=templates), env={})  # fine without it
    with pytest.raises(ConfigError, match=r"MESSAGE_TEMPLATES\['FAILURE'\].*no \{link\}, \{url\} or \{default\}"):
        JenkinsIntegration.load(explicit=write_config(MESSAGE_TEMPLATES=templates, **LIVING), env={})
