"""Chat commands: each command and each refusal as a plain function, then the whole loop over the events API."""
from __future__ import annotations

import threading

import pytest
from jenkinsrig import ALICE
from wyzepal_jenkins.api import JenkinsAPI
from wyzepal_jenkins.commands.handler import CommandHandler
from wyzepal_jenkins.commands.parse import CommandError, parse
from wyzepal_jenkins.integration import JenkinsIntegration
from wyzepal_jenkins.watch.cli import main as watch_main
from wyzepal_jenkins.watch.followups import FollowUps
from wyzepal_jenkins.watch.state import WatchState

from devtools.jenkins_simulator import Change, TestCase

BOT_NAME = "Test Bot"
HUMAN = "alice@example.com"
COMMAND_SETTINGS = {"COMMANDS_ENABLED": True, "BUILD_USERS": [HUMAN], "BUILD_JOBS": ["app", "deploy/*"],
                    "IGNORE_JOBS": ["secret-*"], "JENKINS_USER": ALICE[0], "JENKINS_API_TOKEN": ALICE[1]}


@pytest.fixture
def setup(jenkins_sim, write_config):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    sim.add_job("deploy/web", parameters={"TARGET": "staging", "VERSION": "latest"})
    sim.add_job("docs")
    sim.add_job("secret-keys")
    sim.run_build("app", "SUCCESS")
    sim.run_build("app", "FAILURE", changes=[Change("abc1234", "Break things", "bob", "Bob Stone")],
                  tests=[TestCase("AppTest", "test_login", "FAILED")])
    integration = JenkinsIntegration.load(explicit=write_config(**COMMAND_SETTINGS), env={})
    state = WatchState.load(integration.state_path())
    handler = CommandHandler(integration, integration.jenkins_api(env={}), state, bot_email="bot@example.com",
                             bot_id=7, bot_name=BOT_NAME)
    yield sim, handler, state, integration
    integration.close(5)


def said(handler, text, sender=HUMAN, stream="ci", topic="builds"):
    message = {"type": "stream", "display_recipient": stream, "subject": topic, "sender_email": sender,
               "sender_full_name": "Alice Liddell", "sender_id": 12, "content": f"@**{BOT_NAME}** {text}"}
    return handler.handle(message)


@pytest.mark.parametrize("text, expected", [
    ("build app", ("build", "app", {})),
    ('build "deploy/web" TARGET=prod VERSION="1.2 rc"', ("build", "deploy/web", {"TARGET": "prod",
                                                                                 "VERSION": "1.2 rc"})),
    ("STATUS team/app/", ("status", "team/app", {})),
    ("queue", ("queue", "", {})),
])
def test_parse(text, expected):
    command = parse(text)
    assert (command.name, command.job, command.parameters) == expected


@pytest.mark.parametrize("text, problem", [
    ("", "say `help`"), ("deploy app", "don't know the command `deploy`"), ("build", "which job?"),
    ("build app prod", "`prod` is not a parameter"), ("status app extra", "takes only a job name"),
    ('build "app', "quote job names"),
])
def test_parse_refuses_with_a_hint(text, problem):
    with pytest.raises(CommandError, match=problem):
        parse(text)


def test_help_and_unknown_commands(setup):
    _, handler, _, _ = setup
    reply = said(handler, "help")
    assert (reply.stream, reply.topic) == ("ci", "builds") and "`build <job> [NAME=value ...]`" in reply.content
    assert said(handler, "dance").content == "Sorry, I don't know the command `dance`; say `help` to see what I can do."
    # what the person typed comes back in code spans, where a mention does not render
    assert said(handler, "@**all** now").content.startswith("Sorry, I don't know the command `@**all**`;")
    assert said(handler, "build app @**everyone**").content == (
        "Sorry, `@**everyone**` is not a parameter; write `NAME=value`.")


def test_status(setup):
    sim, handler, _, _ = setup
    sim.start_build("app")
    text = said(handler, "status app").content
    assert text.startswith("**app**: last build #2 **FAILURE** ") and "running: #3" in text
    assert said(handler, "status docs").content == "**docs** has never been built."


def test_last_shows_the_full_build_message(setup):
    _, handler, _, _ = setup
    text = said(handler, "last app").content
    assert "[app #2]" in text and "**failed**" in text and "Break things (Bob Stone)" in text
    assert "[AppTest.test\\_login]" in text


def test_queue(setup):
    sim, handler, _, _ = setup
    assert said(handler, "queue").content == "The queue is empty."
    sim.enqueue(sim.job("deploy/web"), {"TARGET": "x"}, [])
    sim.enqueue(sim.job("secret-keys"), {}, [])
    assert said(handler, "queue").content == "1 waiting:\n* **deploy/web**: Waiting for next available executor"


def test_build_with_parameters_is_queued_and_followed(setup):
    sim, handler, state, _ = setup
    reply = said(handler, "build deploy/web TARGET=prod")
    assert reply.content.startswith("Queued [deploy/web](") and "I'll say here when it finishes." in reply.content
    [item] = sim.queue.waiting()
    assert item.parameters == {"TARGET": "prod", "VERSION": "latest"}
    assert [(f.job, f.stream, f.topic, f.requester) for f in state.followups] == [
        ("deploy/web", "ci", "builds", "Alice Liddell")]


def test_build_refusals(setup):
    sim, handler, _, _ = setup
    assert said(handler, "build app", sender="mallory@example.com").content == (
        "Sorry, you are not allowed to start builds from chat (ask an admin to add you to BUILD_USERS).")
    assert said(handler, "build docs").content == (
        "Sorry, that job cannot be started from chat (it is not in BUILD_JOBS).")
    assert said(handler, "build secret-keys").content == "Sorry, I don't watch a job called **secret-keys**."
    assert said(handler, "build deploy/web COLOR=red").content == (
        "Sorry, **deploy/web** has no parameter COLOR (it has: TARGET, VERSION).")
    assert said(handler, "status nope").content == "Sorry, Jenkins has no job **nope**."
    assert sim.queue.waiting() == []


def test_jenkins_permission_and_outage_are_said_plainly(setup, jenkins_sim):
    sim, handler, _, _ = setup
    sim.users["alice"].can_build = False
    assert said(handler, "build app").content == ("Sorry, Jenkins refused me that; my Jenkins user lacks "
                                                  "the permission.")
    jenkins_sim.stop()
    assert said(handler, "status app").content == "Sorry, Jenkins cannot be reached right now; try again in a minute."


def test_who_and_where_the_bot_answers(setup):
    _, handler, _, _ = setup
    assert said(handler, "help", stream="random") is None  # not a channel it acts in
    assert said(handler, "help", sender="bot@example.com") is None  # never itself
    plain_talk = {"type": "stream", "display_recipient": "ci", "subject": "t", "sender_email": HUMAN,
                  "content": "build app please"}
    assert handler.handle(plain_talk) is None  # not addressed to it
    direct = {"type": "private", "display_recipient": [], "sender_email": HUMAN, "content": "queue"}
    reply = handler.handle(direct)
    assert reply.to == (HUMAN,) and reply.content == "The queue is empty."


def test_end_to_end_over_the_events_api(jenkins_sim, write_config, devserver):
    """A person asks in chat; the bot queues the build, then says in the same topic that it finished."""
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    devserver.add_user(HUMAN, full_name="Alice Liddell", bot=False)
    config = write_config(POLL_INTERVAL=0.2, **COMMAND_SETTINGS)
    stop = threading.Event()
    watcher = threading.Thread(target=watch_main, args=(["--config", str(config)],), kwargs={"env": {}, "stop": stop})
    watcher.start()
    try:
        devserver.wait_for_polls(1, timeout=15)
        devserver.send_message(HUMAN, "ci", f"@**{BOT_NAME}** build app", topic="release")
        replies = devserver.wait_for_messages(2, stream="ci", topic="release", timeout=15)
        assert replies[1]["content"].startswith("Queued [app](") and replies[1]["sender_email"] == "bot@example.com"
        sim.start_queued()
        sim.finish_build("app", 1, "SUCCESS", duration_ms=3000)
        done = devserver.wait_for_messages(3, stream="ci", topic="release", timeout=15)[2]["content"]
        assert done.startswith("@**Alice Liddell|") and "[app #1](" in done
        assert "finished: **SUCCESS** after 3 s" in done
        devserver.send_message(HUMAN, "ci", f"@**{BOT_NAME}** build docs", topic="release")
        refusal = devserver.wait_for_messages(5, stream="ci", topic="release", timeout=15)[4]["content"]
        assert refusal == "Sorry, that job cannot be started from chat (it is not in BUILD_JOBS)."
    finally:
        stop.set()
        watcher.join(timeout=20)
    assert not watcher.is_alive()


def test_a_build_cancelled_in_the_queue_is_said_in_the_topic_too(setup, devserver):
    sim, handler, state, integration = setup
    said(handler, "build app")
    [item] = sim.queue.waiting()
    followups = FollowUps(integration, integration.jenkins_api(env={}), state)
    followups.check()
    assert len(state.followups) == 1  # still waiting: nothing said
    item.cancelled = True  # someone pressed the queue item's X in Jenkins
    followups.check()
    [message] = devserver.wait_for_messages(1, stream="ci", topic="builds", timeout=15)
    assert message["content"] == ("@**Alice Liddell|12** :stop_sign: The build of **app** was cancelled "
                                  "before it started.")
    assert state.followups == [] and WatchState.load(state.path).followups == []


def test_a_jenkins_address_with_credentials_is_not_linked_in_chat(setup, jenkins_sim):
    _, handler, _, _ = setup
    handler.api = JenkinsAPI(jenkins_sim.url.replace("http://", f"http://{ALICE[0]}:{ALICE[1]}@"))
    reply = said(handler, "build app").content
    assert reply.startswith(f"Queued [app]({jenkins_sim.url}job/app/)") and ALICE[1] not in reply
