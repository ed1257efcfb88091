"""The bridge process with the dev server: reactions, edits and topic moves, res.react, bots, the empty topic."""
from __future__ import annotations

import time

import pytest
from hubot_harness import ALICE, HUBOT
from wyzepal_notifier import Client, RetryPolicy

CI_BOT = ("ci-bot@example.com", "c" * 32, "CI Bot")


@pytest.fixture
def alice(server):
    with Client(server.site, ALICE["email"], ALICE["api_key"], retry=RetryPolicy(budget=5.0)) as client:
        yield client


def user_id(server, email):
    return next(u.user_id for u in server.store.users() if u.email == email)


def alice_says(server, content, topic="deploys", stream="general"):
    return server.send_message(ALICE["email"], stream, content, topic=topic)


def reactions_on(server, message_id):
    return sorted((server.store.user_by_id(r["user_id"]).email, r["emoji_name"])
                  for r in server.message(message_id)["reactions"])


def test_a_reaction_is_a_reaction_line_with_the_room_and_the_people(bridge, server, alice):
    message_id = alice_says(server, "deploy 12 started")
    bridge.expect("message", id=message_id)
    answer = bridge.request("send", "1", "watching it", room="stream:general topic:deploys")
    alice.add_reaction(message_id, "thumbs_up")
    alice.add_reaction(answer["ids"][0], "heart")
    first = bridge.expect("reaction", message_id=message_id)
    assert (first["op"], first["emoji"], first["room"], first["stream"], first["topic"]) == \
        ("add", "thumbs_up", "stream:general topic:deploys", "general", "deploys")
    assert first["user"] == {"id": user_id(server, ALICE["email"]), "name": "Alice Liddell", "email": ALICE["email"],
                             "bot": False}
    assert first["item_user"]["email"] == ALICE["email"]
    on_answer = bridge.expect("reaction", message_id=answer["ids"][0])
    assert on_answer["item_user"]["email"] == HUBOT[0] and on_answer["item_user"]["bot"] is True
    alice.remove_reaction(message_id, "thumbs_up")
    assert bridge.expect("reaction", message_id=message_id, op="remove")["emoji"] == "thumbs_up"


def test_a_reaction_to_a_message_the_bridge_never_heard_finds_its_room(server, start_bridge, alice):
    old = alice_says(server, "said before the bridge started", topic="old news")
    run = start_bridge()
    run.expect("ready")
    alice.add_reaction(old, "eyes")
    line = run.expect("reaction", message_id=old)
    assert line["room"] == "stream:general topic:old+news" and line["item_user"]["email"] == ALICE["email"]


def test_react_and_unreact_requests_change_the_bots_reactions_once(bridge, server):
    message_id = alice_says(server, "deploy?")
    bridge.expect("message", id=message_id)
    assert bridge.request("react", "1", "thumbs_up", room="stream:general topic:deploys",
                          message_id=message_id) == {"type": "ack", "ref": "1", "ids": [message_id]}
    assert bridge.request("react", "2", ":thumbs_up:", message_id=message_id)["type"] == "ack"  # again: no error
    assert reactions_on(server, message_id) == [(HUBOT[0], "thumbs_up")]
    assert bridge.request("unreact", "3", "thumbs_up", message_id=message_id)["type"] == "ack"
    assert reactions_on(server, message_id) == []
    refused = bridge.request("react", "4", "no_such_emoji_anywhere", message_id=message_id)
    assert refused["type"] == "error" and refused["permanent"] and "emoji" in refused["message"].lower()
    bridge.drain(0.5)
    assert not [line for line in bridge.seen if line["type"] == "reaction"], "the bot's own reactions are not heard"


def test_a_react_request_without_a_message_id_is_a_bad_line(bridge):
    answer = bridge.request("react", "9", "tada", room="stream:general topic:deploys")
    assert answer["type"] == "error" and "message_id" in answer["message"]


def test_topic_moves_resolutions_and_edits_by_people_are_update_lines(bridge, server, alice):
    message_id = alice_says(server, "deploy 12 started")
    bridge.expect("message", id=message_id)
    alice.update_message(message_id, topic="deploys (prod)", propagate_mode="change_all")
    moved = bridge.expect("update", message_id=message_id)
    assert (moved["change"], moved["room"], moved["old_room"], moved["topic"], moved["old_topic"]) == \
        ("moved", "stream:general topic:deploys+(prod)", "stream:general topic:deploys", "deploys (prod)", "deploys")
    assert moved["user"]["email"] == ALICE["email"] and moved["message_ids"] == [message_id]
    alice.update_message(message_id, topic="✔ deploys (prod)", propagate_mode="change_all")
    resolved = bridge.expect("update", change="resolved")
    assert resolved["topic"] == "✔ deploys (prod)" and resolved["old_topic"] == "deploys (prod)"
    alice.add_reaction(message_id, "tada")  # the bridge knows where the moved message is now
    assert bridge.expect("reaction", message_id=message_id)["topic"] == "✔ deploys (prod)"
    alice.update_message(message_id, content="deploy 12 done")
    edited = bridge.expect("update", change="edited")
    assert (edited["content"], edited["old_content"], edited["room"]) == \
        ("deploy 12 done", "deploy 12 started", "stream:general topic:%E2%9C%94+deploys+(prod)".replace(
            "%E2%9C%94", "✔"))


def test_other_bots_are_ignored_by_default(bridge, server):
    server.add_user(*CI_BOT[:2], full_name=CI_BOT[2], bot=True)
    server.send_message(CI_BOT[0], "general", "build 7 passed", topic="ci")
    alice_says(server, "thanks", topic="ci")
    assert bridge.expect("message")["text"] == "thanks"
    assert [line["text"] for line in bridge.seen if line["type"] == "message"] == ["thanks"]


def test_other_bots_are_heard_and_marked_when_ignore_bots_is_off(server, start_bridge):
    server.add_user(*CI_BOT[:2], full_name=CI_BOT[2], bot=True)  # known at start
    run = start_bridge(HUBOT_WYZEPAL_IGNORE_BOTS="false")
    run.expect("ready")
    server.send_message(CI_BOT[0], "general", "build 7 passed", topic="ci")
    line = run.expect("message")
    assert line["text"] == "build 7 passed" and line["user"]["bot"] is True
    server.add_user("late-bot@example.com", "l" * 32, full_name="Late Bot", bot=True)  # created after the start
    time.sleep(0.1)
    server.send_message("late-bot@example.com", "general", "hello from a new bot", topic="ci")
    assert run.expect("message", text="hello from a new bot")["user"]["bot"] is True


def test_a_bot_created_after_the_start_is_ignored_too(bridge, server):
    server.add_user("late-bot@example.com", "l" * 32, full_name="Late Bot", bot=True)
    server.send_message("late-bot@example.com", "general", "ping from a new bot", topic="ci")
    alice_says(server, "a person", topic="ci")
    bridge.expect("message", text="a person")
    assert [line["text"] for line in bridge.seen if line["type"] == "message"] == ["a person"]


def test_a_command_in_the_empty_topic_is_answered_in_the_empty_topic(bridge, server):
    said = server.send_message(ALICE["email"], "general", "@**Hubot** ping", topic="")
    heard = bridge.expect("message", id=said)
    answer = bridge.request("send", "1", "PONG", room=heard["room"])
    explicit = bridge.request("send", "2", "PONG again", room="stream:general topic:")
    stored = {m["id"]: m["subject"] for m in server.messages("general")}
    assert stored[answer["ids"][0]] == "" and stored[explicit["ids"][0]] == "", "not the default topic 'hubot'"
    no_topic = bridge.request("send", "3", "to the default", room="stream:general")
    assert stored.get(no_topic["ids"][0], server.message(no_topic["ids"][0])["subject"]) == "hubot"


def test_below_feature_level_334_the_empty_topic_falls_back_to_the_default(server, start_bridge):
    server.feature_level = 330
    run = start_bridge()
    run.expect("ready")
    answer = run.request("send", "1", "PONG", room="stream:general topic:")
    assert answer["type"] == "ack"
    assert server.message(answer["ids"][0])["subject"] == "hubot"


def test_a_server_certificate_nobody_trusts_exits_2_with_the_fix(start_bridge, server, tmp_path):
    """Not transient: the bridge says what to set and exits 2, so the adapter stops Hubot instead of looping."""
    import socket
    import ssl
    import subprocess
    import threading

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            try:
                context.wrap_socket(connection, server_side=True).close()
            except (ssl.SSLError, OSError):
                connection.close()  # the bridge refused the certificate, as it should

    threading.Thread(target=serve, daemon=True).start()
    try:
        run = start_bridge(HUBOT_WYZEPAL_SITE=f"https://127.0.0.1:{listener.getsockname()[1]}")
        assert run.wait(30) == 2
    finally:
        listener.close()
    assert "HUBOT_WYZEPAL_CERT_BUNDLE" in run.log or "WYZEPAL_CERT_BUNDLE" in run.log
    assert "Traceback" not in run.log and HUBOT[1] not in run.log
