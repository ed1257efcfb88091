"""Actions from chat: build with defaults, rebuild, abort, and answering input steps, on the simulator."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import requests
from jenkinsrig import ALICE
from wyzepal_jenkins.commands.handler import CommandHandler
from wyzepal_jenkins.commands.parse import CommandError, parse
from wyzepal_jenkins.integration import JenkinsIntegration
from wyzepal_jenkins.watch.cli import main as watch_main
from wyzepal_jenkins.watch.poller import Poller
from wyzepal_jenkins.watch.state import WatchState

from devtools.jenkins_simulator.builds import InputStep, Stage

BOT_NAME = "Test Bot"
HUMAN = "alice@example.com"
SETTINGS = {"COMMANDS_ENABLED": True, "BUILD_USERS": [HUMAN, "mallory@example.com"],
            "BUILD_JOBS": ["app", "deploy/*"], "JENKINS_USER": ALICE[0], "JENKINS_API_TOKEN": ALICE[1],
            "USERS": {"alice": "Alice Liddell|12", "mallory": "Mallory|66"}}
REAL = Path(__file__).parent / "fixtures" / "real"


@pytest.fixture
def setup(jenkins_sim, write_config):
    sim = jenkins_sim.jenkins
    sim.add_job("app", pipeline=True)
    sim.add_job("deploy/web", parameters={"TARGET": "staging", "VERSION": "latest"})
    integration = JenkinsIntegration.load(explicit=write_config(**SETTINGS), env={})
    state = WatchState.load(integration.state_path())
    handler = CommandHandler(integration, integration.jenkins_api(env={}), state, bot_email="bot@example.com",
                             bot_id=7, bot_name=BOT_NAME)
    yield sim, handler, integration
    integration.close(5)


def said(handler, text, sender=HUMAN, name="Alice Liddell", user_id=12):
    message = {"type": "stream", "display_recipient": "ci", "subject": "builds", "sender_email": sender,
               "sender_full_name": name, "sender_id": user_id, "content": f"@**{BOT_NAME}** {text}"}
    return handler.handle(message).content


def test_parse_actions():
    assert (parse("abort app").number, parse("abort app #3").number, parse("rebuild app 4").number) == (None, 3, 4)
    command = parse("approve team/app #42 Deploy TARGET=prod")
    assert (command.job, command.number, command.input_id, command.parameters) == (
        "team/app", 42, "Deploy", {"TARGET": "prod"})
    with pytest.raises(CommandError, match="which build"):
        parse("approve team/app")
    with pytest.raises(CommandError, match="takes only a job name and a build number"):
        parse("abort app #3 now")


# -- build: defaults, and Jenkins' refusals said as what they are ------------------------------------------

def test_a_parameterized_job_built_without_parameters_gets_its_defaults(setup, jenkins_sim):
    sim, handler, _ = setup
    assert said(handler, "build deploy/web").startswith("Queued [deploy/web](")
    [item] = sim.queue.waiting()
    assert item.parameters == {"TARGET": "staging", "VERSION": "latest"}
    assert ("POST", "/job/deploy/job/web/buildWithParameters?TARGET=staging&VERSION=latest") in jenkins_sim.requests


def test_a_refusal_from_jenkins_is_said_as_it_is(setup):
    sim, handler, _ = setup
    sim.job("app").disabled = True
    assert said(handler, "build app") == "Sorry, Jenkins refused that (HTTP 409: app is disabled)."
    assert said(handler, "abort app #9") == "Sorry, Jenkins has no build **app #9** (or it is gone)."


# -- abort and rebuild ------------------------------------------------------------------------------------------

def test_abort_stops_the_running_build_and_notes_who(setup):
    sim, handler, _ = setup
    sim.run_build("app", "SUCCESS")
    running = sim.start_build("app")
    reply = said(handler, "abort app")
    assert reply == (f":stop_sign: Aborting [app #2]({running.url}) for Alice Liddell; "
                     "noted in the build's description.")
    assert (running.result, running.description) == ("ABORTED", "Aborted by Alice Liddell via WyzePal")
    assert said(handler, "abort app #2") == f"Sorry, [app #2]({running.url}) is not running (it ended **ABORTED**)."
    assert said(handler, "abort app") == "Sorry, **app** has no running build to abort."


def test_abort_and_rebuild_are_refused_as_build_is(setup):
    sim, handler, _ = setup
    running = sim.start_build("app")
    assert said(handler, "abort app", sender="eve@example.com") == (
        "Sorry, you are not allowed to abort builds from chat (ask an admin to add you to BUILD_USERS).")
    assert said(handler, "rebuild app", sender="eve@example.com").startswith("Sorry, you are not allowed to rebuild")
    assert running.building and sim.queue.waiting() == []


def test_rebuild_replays_the_builds_parameters(setup):
    sim, handler, _ = setup
    sim.run_build("deploy/web", "FAILURE", parameters={"TARGET": "prod", "VERSION": "1.2"})
    sim.run_build("deploy/web", "SUCCESS")
    reply = said(handler, "rebuild deploy/web #1")
    assert "again as #1 with `TARGET=prod, VERSION=1.2`" in reply
    [item] = sim.queue.waiting()
    assert item.parameters == {"TARGET": "prod", "VERSION": "1.2"}


def test_rebuild_of_a_real_build_with_boolean_parameters(setup, jenkins_sim):
    sim, handler, _ = setup
    sim.add_job("deploy/fish", parameters={"bear": "false", "fish": "cod"})
    sim.run_build("deploy/fish", "SUCCESS")
    recorded = json.loads((REAL / "jenkins-rest_build-info.json").read_text())
    jenkins_sim.answer_next(1, 200, recorded, path="/job/deploy/job/fish/1/api/json")
    said(handler, "rebuild deploy/fish #1")
    [item] = sim.queue.waiting()
    assert item.parameters == {"bear": "true", "fish": "salmon"}  # Jenkins' "true", not Python's "True"


# -- input steps -------------------------------------------------------------------------------------------------

def paused(sim, submitter=None):
    build = sim.start_build("app")
    build.stages = [Stage("Build"), Stage("Deploy", "PAUSED_PENDING_INPUT")]
    build.inputs = [InputStep("Deploy-to-prod", "Deploy to @**all** production?", ok="Ship it", submitter=submitter,
                              parameters={"TARGET": "eu"}, choices={"TARGET": ["eu", "us"]})]
    return build


def test_approve_proceeds_with_parameters_and_notes_it(setup):
    sim, handler, _ = setup
    build = paused(sim, submitter="alice,ops")
    reply = said(handler, "approve app #1 TARGET=us")
    assert reply == (f":check: Approved Deploy to @\u200b\\*\\*all\\*\\* production? of [app #1]({build.url}) for "
                     "Alice Liddell with `TARGET=us`; noted in the build's description.")
    assert build.inputs[0].outcome == ("proceed", {"TARGET": "us"}, "alice")
    assert build.description == "Input Deploy-to-prod approved by Alice Liddell via WyzePal (TARGET=us)"
    assert said(handler, "approve app #1") == f"Sorry, [app #1]({build.url}) is not waiting for any input."


def test_reject_aborts_the_input(setup):
    sim, handler, _ = setup
    build = paused(sim)
    assert said(handler, "reject app #1 Deploy-to-prod").startswith(":stop_sign: Rejected Deploy to")
    assert build.result == "ABORTED" and build.inputs[0].outcome[0] == "abort"


def test_the_inputs_own_submitter_list_is_checked_against_the_chat_users_jenkins_identity(setup):
    sim, handler, _ = setup
    build = paused(sim, submitter="alice")
    assert said(handler, "approve app #1", sender="mallory@example.com", name="Mallory", user_id=66) == (
        "Sorry, only alice may answer that input (you are mallory in Jenkins).")
    assert said(handler, "approve app #1", sender="mallory@example.com", name="Mal", user_id=99) == (
        "Sorry, only alice may answer that input, and USERS maps you to no Jenkins user (ask an admin to add you).")
    assert build.inputs[0].outcome is None and build.building
    assert said(handler, "approve app #1 COLOR=red") == "Sorry, that input has no parameter COLOR (it has: TARGET)."
    assert said(handler, "approve app #1 Nope") == (
        f"Sorry, [app #1]({build.url}) has no input `Nope`; say which: `Deploy-to-prod`.")


def test_the_watcher_announces_an_input_once_with_its_question_and_choices(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app", pipeline=True)
    integration = JenkinsIntegration.load(explicit=write_config(), env={})
    poller = Poller(integration, integration.jenkins_api(env={}), WatchState.load(integration.state_path()))
    poller.poll()
    build = paused(sim)
    poller.poll()
    poller.poll()  # still waiting: said once
    integration.close(5)
    [message] = devserver.wait_for_messages(1)
    assert message["subject"] == "app"
    assert message["content"] == (
        f":raised_hand: [app #1]({build.url}) **is waiting for input**: Deploy to @\u200b\\*\\*all\\*\\* production?\n"
        "Choices: **Ship it** or **Abort**\n"
        "Parameters:\n* `TARGET` one of `eu`, `us` (default `eu`)\n"
        "Answer with `approve app #1` (add `NAME=value` to set a parameter) or `reject app #1`.")
    assert [r["emoji_name"] for r in message["reactions"]] == ["check", "cross_mark"]  # buttons to click


def test_a_recorded_pending_input_is_shown_and_approved_with_its_defaults(setup, jenkins_sim):
    """pipeline-stage-view's recorded ``pendingInputActions`` entry: free-text id, several parameter kinds."""
    sim, handler, _ = setup
    build = sim.start_build("app")
    build.inputs = [InputStep("Run-test-suites", "Workflow Configuration", ok="Okay",
                              parameters={"Run test suites?": "true", "Good boy?": "false", "Enter some text": "Hello",
                                          "Enter a passord": "MyPasswd", "Take your pick": "Choice 1"})]
    recorded = json.loads((REAL / "stage-view_pending-input-action.json").read_text())
    jenkins_sim.answer_next(1, 200, [recorded], path="/wfapi/pendingInputActions")
    reply = said(handler, "approve app #1")
    assert "with `Run test suites?=true, Good boy?=false, Enter some text=Hello, Take your pick=Choice 1`" in reply
    assert "MyPasswd" not in reply  # a password's default is not said in chat
    assert build.inputs[0].outcome[1]["Enter a passord"] == "MyPasswd"


def react(devserver, email, message_id, emoji):
    """What a person's click on a reaction sends."""
    response = requests.post(f"{devserver.api_url}/messages/{message_id}/reactions", data={"emoji_name": emoji},
                             auth=(email, devserver.api_key(email)), timeout=10)
    assert response.status_code == 200, response.text


def run_watcher(config):
    stop = threading.Event()
    watcher = threading.Thread(target=watch_main, args=(["--config", str(config)],), kwargs={"env": {}, "stop": stop})
    watcher.start()
    return stop, watcher


def test_a_reaction_on_the_announcement_answers_the_input(jenkins_sim, write_config, devserver):
    """:cross_mark: under the input's announcement rejects it; permissions as for the command; one answer."""
    sim = jenkins_sim.jenkins
    sim.add_job("app", pipeline=True)
    devserver.add_user(HUMAN, full_name="Alice Liddell", bot=False)
    devserver.add_user("eve@example.com", full_name="Eve", bot=False)
    stop, watcher = run_watcher(write_config(POLL_INTERVAL=0.2, **{**SETTINGS, "USERS": {"alice": "Alice Liddell"}}))
    try:
        devserver.wait_for_polls(1, timeout=15)
        build = paused(sim, submitter="alice")
        [announcement] = devserver.wait_for_messages(1, stream="ci", topic="app", timeout=15)
        deadline = time.monotonic() + 15
        while len(devserver.message(announcement["id"])["reactions"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # the bot's own reactions come first, and are not answers
        react(devserver, "eve@example.com", announcement["id"], "check")
        refusal = devserver.wait_for_messages(2, stream="ci", topic="app", timeout=15)[1]["content"]
        assert refusal == ("Sorry, you are not allowed to approve inputs from chat "
                           "(ask an admin to add you to BUILD_USERS).")
        react(devserver, HUMAN, announcement["id"], "cross_mark")
        answer = devserver.wait_for_messages(3, stream="ci", topic="app", timeout=15)[2]["content"]
        assert answer.startswith(":stop_sign: Rejected Deploy to") and "for Alice Liddell" in answer
        assert build.result == "ABORTED" and build.inputs[0].outcome == ("abort", {}, "alice")
        react(devserver, HUMAN, announcement["id"], "thumbs_up")  # answered already: no second answer
        time.sleep(1.0)
        assert len(devserver.messages(stream="ci", topic="app")) == 3
    finally:
        stop.set()
        watcher.join(timeout=20)
    assert not watcher.is_alive()


def test_approval_end_to_end_over_the_events_api(jenkins_sim, write_config, devserver):
    """The watcher announces the input; a person answers in chat; the build proceeds and Jenkins notes who."""
    sim = jenkins_sim.jenkins
    sim.add_job("app", pipeline=True)
    devserver.add_user(HUMAN, full_name="Alice Liddell", bot=False)
    config = write_config(POLL_INTERVAL=0.2, **{**SETTINGS, "USERS": {"alice": "Alice Liddell"}})
    stop = threading.Event()
    watcher = threading.Thread(target=watch_main, args=(["--config", str(config)],), kwargs={"env": {}, "stop": stop})
    watcher.start()
    try:
        devserver.wait_for_polls(1, timeout=15)
        build = paused(sim, submitter="alice")
        announced = devserver.wait_for_messages(1, stream="ci", topic="app", timeout=15)[0]["content"]
        assert "**is waiting for input**" in announced
        devserver.send_message(HUMAN, "ci", f"@**{BOT_NAME}** approve app #1", topic="app")
        reply = devserver.wait_for_messages(3, stream="ci", topic="app", timeout=15)[2]["content"]
        assert reply.startswith(":check: Approved Deploy to") and "for Alice Liddell with `TARGET=eu`" in reply
        assert build.inputs[0].outcome == ("proceed", {"TARGET": "eu"}, "alice")
        assert "approved by Alice Liddell via WyzePal" in build.description
    finally:
        stop.set()
        watcher.join(timeout=20)
    assert not watcher.is_alive()


def test_a_multibranch_job_may_be_named_as_messages_show_it(setup):
    sim, handler, _ = setup
    sim.add_job("deploy/web-mb/feature%2Flogin", pipeline=True)
    sim.run_build("deploy/web-mb/feature%2Flogin", "FAILURE")
    running = sim.start_build("deploy/web-mb/feature%2Flogin")
    reply = said(handler, "abort deploy/web-mb/feature/login")
    assert reply.startswith(f":stop_sign: Aborting [deploy/web-mb/feature/login #2]({running.url}) for Alice")
    assert running.result == "ABORTED"
