"""PUSH_ANNOUNCEMENTS: the real git hook announces a push, a Jenkins build of that commit reacts on it."""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "git"))

from gitrig import Remote  # noqa: E402
from wyzepal_jenkins.integration import JenkinsIntegration  # noqa: E402
from wyzepal_jenkins.watch.poller import Poller  # noqa: E402
from wyzepal_jenkins.watch.runner import Watcher  # noqa: E402
from wyzepal_jenkins.watch.state import WatchState  # noqa: E402


def watcher_for(config):
    integration = JenkinsIntegration.load(explicit=config, env={})
    state = WatchState.load(integration.state_path())
    return Watcher(Poller(integration, integration.jenkins_api(env={}), state), 1.0), integration


def poll(watcher, integration):
    watcher.poll_once()
    assert integration.outbox.flush(20), integration.outbox.status()


def reactions(devserver, message_id):
    return sorted(r["emoji_name"] for r in devserver.message(message_id)["reactions"])


def pushed(tmp_path, devserver, devserver_bot, title):
    """A commit pushed to a real bare repository whose post-receive hook announces it in #commits > main."""
    devserver.add_stream("commits")
    remote = Remote(tmp_path / "git", devserver.site, devserver_bot)
    sha = remote.commit(title)
    remote.push("origin", "main")
    [push] = devserver.wait_for_messages(1, stream="commits", timeout=20)
    assert sha in push["content"] and push["subject"] == "main"  # the hook's commit link carries the full hash
    return sha, push


def test_a_build_of_an_announced_commit_shows_its_status_on_the_push_message(tmp_path, jenkins_sim, write_config,
                                                                            devserver, devserver_bot):
    sha, push = pushed(tmp_path, devserver, devserver_bot, "Fix the login form")
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    sim.run_build("app", "SUCCESS")
    watcher, integration = watcher_for(write_config(LIVING_MESSAGE=True, PUSH_ANNOUNCEMENTS={"stream": "commits"}))
    poll(watcher, integration)  # the first poll remembers where Jenkins is
    sim.start_build("app", commit=sha, branch="main")
    poll(watcher, integration)
    assert reactions(devserver, push["id"]) == ["hourglass"]
    sim.finish_build("app", 2, "FAILURE")
    poll(watcher, integration)
    assert reactions(devserver, push["id"]) == ["cross_mark"]  # swapped, not piled up
    assert len(devserver.messages("commits")) == 1 and integration.outbox.status().dead == 0


def test_the_step_on_another_machine_reacts_on_the_push_message_too(tmp_path, jenkins_sim, write_config, devserver,
                                                                    devserver_bot):
    from jenkinsrig import jenkins_env
    from wyzepal_jenkins.step.cli import main as step

    sha, push = pushed(tmp_path, devserver, devserver_bot, "Speed up search")
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    build = sim.run_build("app", "SUCCESS", commit=sha, branch="main")
    config = write_config(PUSH_ANNOUNCEMENTS={"stream": "commits", "topic": "{branch}"}, NOTIFY_SUCCESS=True)
    assert step(["--config", str(config)], jenkins_env(jenkins_sim, "app", build.number, GIT_COMMIT=sha)) == 0
    deadline = time.monotonic() + 20
    while reactions(devserver, push["id"]) != ["check"]:
        assert time.monotonic() < deadline, reactions(devserver, push["id"])
        time.sleep(0.05)


def test_a_commit_nobody_announced_costs_a_look_and_leaves_nothing_dead(jenkins_sim, write_config, devserver):
    devserver.add_stream("commits")
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    sim.run_build("app", "SUCCESS")
    watcher, integration = watcher_for(write_config(LIVING_MESSAGE=True, PUSH_ANNOUNCEMENTS={"stream": "commits"}))
    poll(watcher, integration)
    sim.run_build("app", "FAILURE", commit="f" * 40, branch="main")
    poll(watcher, integration)
    assert integration.outbox.status().dead == 0
    assert devserver.messages("commits") == [] and len(devserver.messages("ci")) == 1


def test_a_push_topic_with_an_unknown_placeholder_is_refused_at_load(write_config, capsys):
    import pytest
    from wyzepal_notifier import ConfigError

    config = write_config(PUSH_ANNOUNCEMENTS={"stream": "commits", "topic": "{repo}"})
    with pytest.raises(ConfigError, match=r"PUSH_ANNOUNCEMENTS\['topic'\].*\{repo\}"):
        JenkinsIntegration.load(explicit=config, env={})
    with pytest.raises(ConfigError, match="needs a 'stream'"):
        JenkinsIntegration.load(explicit=write_config(PUSH_ANNOUNCEMENTS={"topic": "x"}), env={})
