"""The bridge against the dev server: what Hubot hears, and what it says."""
from __future__ import annotations

from hubot_harness import ALICE, HUBOT
from wyzepal_notifier.formatting.mentions import ZERO_WIDTH_SPACE


def alice_says(server, content, stream="general", topic="greetings"):
    return server.send_message(ALICE["email"], stream, content, topic=topic)


def alice_of(server):
    return next(u for u in server.store.users() if u.email == ALICE["email"])


def test_ready_names_the_bot_and_users_fill_the_brain(start_bridge, server):
    said_before = alice_says(server, "before the bridge started")
    run = start_bridge()
    users = run.expect("users")
    ready = run.expect("ready")
    assert ready["protocol"] == 1
    assert ready["bot"]["email"] == HUBOT[0] and ready["bot"]["name"] == "Hubot"
    assert ready["site"] == server.site
    assert ready["last_message_id"] == said_before, "where a restarted bridge would resume"
    people = {u["email"]: u for u in users["users"]}
    assert people[ALICE["email"]]["name"] == "Alice Liddell"
    assert people[ALICE["email"]]["id"] == alice_of(server).user_id


def test_a_mention_of_the_bot_becomes_hubots_name(bridge, server):
    message_id = alice_says(server, "@**Hubot** ping")
    line = bridge.expect("message")
    assert line["id"] == message_id
    assert line["text"] == "@Hubot ping"
    assert line["room"] == "stream:general topic:greetings"
    assert (line["stream"], line["topic"], line["direct"], line["mentioned"]) == ("general", "greetings", False, True)
    assert line["user"] == {"id": alice_of(server).user_id, "name": "Alice Liddell", "email": ALICE["email"],
                            "bot": False}


def test_a_mention_with_the_bots_id_also_counts(bridge, server):
    bot_id = bridge.seen[-1]["bot"]["id"] if bridge.seen[-1]["type"] == "ready" else None
    assert bot_id is not None
    alice_says(server, f"@**Hubot|{bot_id}** ping, and @**Alice Liddell** stays")
    assert bridge.expect("message")["text"] == "@Hubot ping, and @**Alice Liddell** stays"


def test_hubots_own_name_is_used_when_it_differs(start_bridge, server):
    run = start_bridge("--robot-name", "robbie")
    run.expect("ready")
    alice_says(server, "@**Hubot** ping")
    assert run.expect("message")["text"] == "@robbie ping"


def test_a_direct_message_is_its_own_room_and_addressed_to_hubot(bridge, server):
    server.send_message(ALICE["email"], [HUBOT[0]], "ping", msg_type="private")
    line = bridge.expect("message")
    assert line["room"] == "dm:alice@example.com"
    assert line["direct"] is True
    assert line["text"] == "Hubot ping"


def test_a_direct_message_already_addressing_hubot_is_left_alone(bridge, server):
    server.send_message(ALICE["email"], [HUBOT[0]], "@**Hubot** ping", msg_type="private")
    assert bridge.expect("message")["text"] == "@Hubot ping"


def test_a_group_direct_message_names_everyone_but_the_bot(bridge, server):
    server.send_message(ALICE["email"], [HUBOT[0], "bob@example.com"], "hi all", msg_type="private")
    line = bridge.expect("message")
    assert line["room"] == "dm:alice@example.com,bob@example.com"
    assert line["text"] == "hi all"


def test_send_answers_in_the_room_and_acks_with_the_message_id(bridge, server):
    answer = bridge.request("send", "1", "PONG", room="stream:general topic:greetings")
    assert answer["type"] == "ack"
    [stored] = server.messages("general", "greetings")
    assert stored["content"] == "PONG"
    assert answer["ids"] == [stored["id"]]
    assert stored["sender_email"] == HUBOT[0]


def test_the_bots_own_messages_are_not_heard(bridge, server):
    bridge.request("send", "1", "@Hubot ping", room="stream:general topic:loops")
    alice_says(server, "after the bot", topic="loops")
    heard = bridge.expect("message")
    assert heard["text"] == "after the bot"
    assert [line["text"] for line in bridge.seen if line["type"] == "message"] == ["after the bot"]


def test_reply_mentions_the_sender_in_a_channel(bridge, server):
    alice = {"id": alice_of(server).user_id, "name": "Alice Liddell", "email": ALICE["email"]}
    bridge.request("reply", "1", "done", room="stream:general topic:greetings", user=alice)
    assert server.messages("general", "greetings")[-1]["content"] == f"@**Alice Liddell|{alice['id']}** done"


def test_reply_in_a_direct_conversation_needs_no_mention(bridge, server):
    alice = {"id": alice_of(server).user_id, "name": "Alice Liddell", "email": ALICE["email"]}
    answer = bridge.request("reply", "1", "done", room="dm:alice@example.com", user=alice)
    assert answer["type"] == "ack"
    [stored] = [m for m in server.messages() if m["type"] == "private"]
    assert stored["content"] == "done"
    assert {p["email"] for p in stored["display_recipient"]} == {ALICE["email"], HUBOT[0]}


def test_a_send_with_only_a_user_opens_a_direct_conversation(bridge, server):
    bridge.request("send", "1", "psst", user={"id": 1, "name": "Alice Liddell", "email": ALICE["email"]})
    [stored] = [m for m in server.messages() if m["type"] == "private"]
    assert stored["content"] == "psst"


def test_emote_is_a_me_message(bridge, server):
    bridge.request("emote", "1", "waves", room="stream:general topic:greetings")
    assert server.messages("general", "greetings")[-1]["content"] == "/me waves"


def test_topic_moves_the_conversation_with_a_link_each_way(bridge, server):
    answer = bridge.request("topic", "1", "release 1.2", room="stream:general topic:greetings")
    assert len(answer["ids"]) == 2
    assert server.messages("general", "greetings")[-1]["content"] == \
        "/me continues this conversation in #**general>release 1.2**"
    assert server.messages("general", "release 1.2")[-1]["content"] == \
        "/me continues the conversation from #**general>greetings**"


def test_message_room_reaches_any_channel_and_topic(bridge, server):
    bridge.request("send", "1", "deployed", room="stream:ci topic:deploy+log")
    bridge.request("send", "2", "plain name", room="ci")
    assert server.messages("ci", "deploy log")[-1]["content"] == "deployed"
    assert server.messages("ci", "hubot")[-1]["content"] == "plain name"


def test_several_answers_arrive_in_order(bridge, server):
    for n in range(5):
        bridge.send(type="send", ref=str(n), text=f"line {n}", room="stream:general topic:order")
    for n in range(5):
        bridge.expect("ack", ref=str(n))
    assert [m["content"] for m in server.messages("general", "order")] == [f"line {n}" for n in range(5)]


def test_an_unknown_channel_is_an_error_for_that_answer_only(bridge, server):
    answer = bridge.request("send", "1", "hello?", room="stream:nowhere topic:x")
    assert answer["type"] == "error" and answer["permanent"] is True
    assert "nowhere" in answer["message"]
    assert "nowhere" in bridge.log
    assert bridge.request("send", "2", "still here", room="stream:general topic:x")["type"] == "ack"


def test_bad_lines_get_an_error_and_the_bridge_carries_on(bridge, server):
    bridge.send_raw("this is not json")
    bridge.send_raw('{"type": "launch", "ref": "7", "text": "x"}')
    bridge.send_raw('{"type": "send", "ref": "8"}')
    bridge.send_raw("[1, 2, 3]")
    assert "unknown type 'launch'" in bridge.expect("error", ref="7")["message"]
    assert "without a text" in bridge.expect("error", ref="8")["message"]
    assert bridge.request("send", "9", "fine", room="stream:general topic:x")["type"] == "ack"
    assert bridge.proc.poll() is None
    assert "ignored a line from the adapter (not JSON" in bridge.log


def test_an_empty_answer_is_refused_not_crashed_on(bridge, server):
    answer = bridge.request("send", "1", "   ", room="stream:general topic:x")
    assert answer["type"] == "error"
    assert "empty" in answer["message"]


def test_a_message_too_long_is_shortened_with_a_note(bridge, server):
    answer = bridge.request("send", "1", "x" * 25000, room="stream:general topic:long")
    assert answer["type"] == "ack"
    [stored] = server.messages("general", "long")
    assert len(stored["content"]) <= 10000
    assert stored["content"].endswith("message shortened to fit the server's limit]")
    assert "longer than the server allows" in bridge.log


def test_scripts_cannot_make_the_bot_notify_everyone(bridge, server):
    bridge.request("send", "1", "echo: @**all** and @_**everyone**", room="stream:general topic:x")
    content = server.messages("general", "x")[-1]["content"]
    assert content == f"echo: @{ZERO_WIDTH_SPACE}**all** and @{ZERO_WIDTH_SPACE}_**everyone**"


def test_wildcard_mentions_can_be_allowed(start_bridge, server):
    run = start_bridge(HUBOT_WYZEPAL_ALLOW_WILDCARD_MENTIONS="true")
    run.expect("ready")
    run.request("send", "1", "@**all** standup", room="stream:general topic:x")
    assert server.messages("general", "x")[-1]["content"] == "@**all** standup"


def test_text_beyond_ascii_survives_the_pipe_whatever_the_locale(start_bridge, server):
    run = start_bridge(PYTHONIOENCODING="latin-1", LANG="C", LC_ALL="C")
    run.expect("ready")
    alice_says(server, "Grüße 🎉 aus Köln", topic="ünïcode")
    heard = run.expect("message")
    assert (heard["text"], heard["topic"]) == ("Grüße 🎉 aus Köln", "ünïcode")
    assert run.request("send", "1", "Ja, Grüße 🎉", room=heard["room"])["type"] == "ack"
    assert server.messages("general", "ünïcode")[-1]["content"] == "Ja, Grüße 🎉"


def test_a_direct_room_with_an_unknown_person_is_an_error_for_that_answer_only(bridge, server):
    answer = bridge.request("send", "1", "hello?", room="dm:nobody@example.com")
    assert answer["type"] == "error" and answer["permanent"] is True
    assert "nobody@example.com" in bridge.log
    assert bridge.request("send", "2", "still here", room="dm:alice@example.com")["type"] == "ack"


def test_text_cut_in_the_middle_of_an_emoji_is_still_sent(bridge, server):
    # JavaScript strings are UTF-16: a script's text.slice() can leave half an emoji, which UTF-8 cannot carry.
    bridge.send_raw('{"type": "send", "ref": "1", "room": "stream:general topic:x", "text": "cut \\ud83d"}')
    assert bridge.expect("ack", ref="1")
    assert server.messages("general", "x")[-1]["content"] == "cut \ufffd"
    assert bridge.request("send", "2", "after", room="stream:general topic:x")["type"] == "ack"


def test_a_line_that_is_not_utf8_is_a_bad_line_not_a_deaf_bridge(bridge, server):
    bridge.proc.stdin.flush()
    bridge.proc.stdin.buffer.write(b'{"type": "send", "ref": "1", "room": "general", "text": "caf\xe9"}\n')
    bridge.proc.stdin.buffer.flush()
    assert bridge.expect("ack", ref="1")
    assert server.messages("general", "hubot")[-1]["content"] == "caf\ufffd"
    assert bridge.request("send", "2", "still listening", room="general")["type"] == "ack"
    bridge.close_stdin()
    assert bridge.wait(10) == 0, "end of input still stops it"
