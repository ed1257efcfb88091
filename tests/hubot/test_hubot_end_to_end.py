"""A real Hubot 14 with the hubot-wyzepal adapter and a small script, against the dev server."""
from __future__ import annotations

import os
import signal
import time

import pytest
from hubot_harness import ALICE, HUBOT
from hubot_process import HubotRun, children_of, wait_until_gone
from wyzepal_notifier import Client


@pytest.fixture
def hubot(server, tmp_path):
    runs = []

    def start(**env: str) -> HubotRun:
        run = HubotRun(server, tmp_path / f"bot{len(runs)}", **env)
        runs.append(run)
        run.wait_until_listening()
        return run

    yield start
    for run in runs:
        run.stop()


def alice_says(server, content, stream="general", topic="greetings"):
    return server.send_message(ALICE["email"], stream, content, topic=topic)


def wait_for_answer(server, text, stream="general", topic="greetings", timeout=20.0, direct=False):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if direct:
            found = [m for m in server.messages() if m["type"] == "private" and m["sender_email"] == HUBOT[0]]
        else:
            found = [m for m in server.messages(stream, topic) if m["sender_email"] == HUBOT[0]]
        if any(m["content"] == text for m in found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"no {text!r} from Hubot; messages: {server.messages()}")


def test_ping_gets_pong_in_the_same_topic(hubot, server):
    run = hubot()
    alice_says(server, "@**Hubot** ping")
    [pong] = wait_for_answer(server, "PONG")
    assert pong["display_recipient"] == "general" and pong["subject"] == "greetings"
    assert "connected to" in run.log


def test_a_direct_message_gets_its_answer_directly(hubot, server):
    hubot()
    server.send_message(ALICE["email"], [HUBOT[0]], "ping", msg_type="private")
    [pong] = wait_for_answer(server, "PONG", direct=True)
    assert {p["email"] for p in pong["display_recipient"]} == {ALICE["email"], HUBOT[0]}


def test_reply_mentions_the_sender_whom_the_brain_knows(hubot, server):
    hubot()
    alice_says(server, "@**Hubot** whoami")
    alice_id = next(u.user_id for u in server.store.users() if u.email == ALICE["email"])
    wait_for_answer(server, f"@**Alice Liddell|{alice_id}** you are Alice Liddell <alice@example.com>")


def test_message_room_reaches_another_channel_and_topic(hubot, server):
    hubot()
    alice_says(server, "@**Hubot** announce release 1.2 is out")
    wait_for_answer(server, "release 1.2 is out", stream="ci", topic="announcements")


def test_a_reaction_reaches_a_script_and_res_react_reacts_on_the_server(hubot, server):
    hubot()
    asked = alice_says(server, "@**Hubot** ack", topic="reactions")
    deadline = time.monotonic() + 20
    while not server.message(asked)["reactions"]:
        assert time.monotonic() < deadline, "res.react added no reaction"
        time.sleep(0.05)
    [reaction] = server.message(asked)["reactions"]
    assert reaction["emoji_name"] == "thumbs_up" and server.store.user_by_id(reaction["user_id"]).email == HUBOT[0]

    with Client(server.site, ALICE["email"], ALICE["api_key"]) as alice:
        alice.add_reaction(asked, "eyes")
    wait_for_answer(server, f"saw :eyes: from Alice Liddell on {asked}", topic="reactions")


def test_a_topic_resolved_by_a_person_reaches_robot_topic(hubot, server):
    hubot()
    said = alice_says(server, "deploy 12 done", topic="deploy 12")
    with Client(server.site, ALICE["email"], ALICE["api_key"]) as alice:
        alice.update_message(said, topic="✔ deploy 12", propagate_mode="change_all")
    wait_for_answer(server, "topic is now ✔ deploy 12 (resolved)", topic="✔ deploy 12")


def test_a_command_in_the_empty_topic_is_answered_there(hubot, server):
    hubot()
    alice_says(server, "@**Hubot** ping", topic="")
    [pong] = wait_for_answer(server, "PONG", topic="")
    assert pong["subject"] == ""


def test_another_bots_message_gets_no_answer(hubot, server):
    hubot()
    server.add_user("ci-bot@example.com", "c" * 32, full_name="CI Bot", bot=True)
    server.send_message("ci-bot@example.com", "general", "@**Hubot** ping", topic="bots")
    alice_says(server, "@**Hubot** ping", topic="people")
    wait_for_answer(server, "PONG", topic="people")
    assert not [m for m in server.messages("general", "bots") if m["sender_email"] == HUBOT[0]]


def test_a_killed_bridge_is_restarted_and_misses_nothing(hubot, server):
    run = hubot()
    alice_says(server, "@**Hubot** ping", topic="first")
    wait_for_answer(server, "PONG", topic="first")
    first_bridge = run.bridge_pid()
    os.kill(first_bridge, signal.SIGKILL)
    alice_says(server, "@**Hubot** ping", topic="while the bridge was down")
    wait_for_answer(server, "PONG", topic="while the bridge was down")
    assert run.bridge_pid() != first_bridge
    assert "restarting in" in run.log
    assert "--resume-after" in run.log, "the new bridge is told where to resume"


def test_a_bridge_killed_before_hubot_heard_anything_misses_nothing(hubot, server):
    alice_says(server, "said before Hubot started", topic="old")
    run = hubot(HUBOT_WYZEPAL_RESTART_DELAY="2")
    os.kill(run.bridge_pid(), signal.SIGKILL)
    alice_says(server, "@**Hubot** ping", topic="while no bridge ran")  # the next one starts 2 s later
    wait_for_answer(server, "PONG", topic="while no bridge ran")
    assert "--resume-after" in run.log


def test_a_restarted_dev_server_is_reconnected_to(hubot, server):
    hubot()
    alice_says(server, "@**Hubot** ping", topic="before")
    wait_for_answer(server, "PONG", topic="before")
    server.restart()
    alice_says(server, "@**Hubot** ping", topic="after")
    wait_for_answer(server, "PONG", topic="after")


def test_sigterm_stops_hubot_and_the_bridge_cleanly(hubot, server):
    run = hubot()
    bridge = run.bridge_pid()
    assert run.terminate() == 0
    assert wait_until_gone(bridge, 15)
    assert server.queue_ids() == []
    assert children_of(run.proc.pid) == []


def test_a_hubot_killed_outright_still_takes_its_bridge_down(hubot, server):
    run = hubot()
    bridge = run.bridge_pid()
    run.proc.kill()
    run.proc.wait(10)
    assert wait_until_gone(bridge), "the bridge exits when its stdin closes"
    assert server.queue_ids() == []
