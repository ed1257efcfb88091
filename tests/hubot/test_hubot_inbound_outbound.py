"""What Hubot hears from a WyzePal message, and what each Hubot action becomes."""
from __future__ import annotations

import pytest
from wyzepal_hubot.inbound import Addressing, hubot_text, message_line
from wyzepal_hubot.outbound import Defaults, messages_for
from wyzepal_hubot.protocol import Person, Request

BOT = Person(9, "Hubot", "hubot@example.com")
ROBOT = Addressing(BOT, "hubot", "!")
DEFAULTS = Defaults("general", "hubot")


@pytest.mark.parametrize(("content", "heard"), [
    ("@**Hubot** ping", "@hubot ping"),
    ("@**hubot** ping", "@hubot ping"),
    ("@**Hubot|9** ping", "@hubot ping"),
    ("@**Someone Else|9** ping", "@hubot ping"),
    ("@**Hubot|10** ping", "@**Hubot|10** ping"),
    ("@_**Hubot** said so", "hubot said so"),
    ("hey @**Hubot**, and @**Alice**", "hey @hubot, and @**Alice**"),
    ("no mention", "no mention"),
])
def test_mentions_of_the_bot_become_hubots_name(content, heard):
    assert hubot_text(content, ROBOT) == heard


@pytest.mark.parametrize(("text", "addressed"), [
    ("hubot ping", True), ("@hubot ping", True), ("Hubot: ping", True), ("! ping", True), ("hubot", True),
    ("hubots ping", False), ("ping hubot", False),
])
def test_what_counts_as_addressing_hubot(text, addressed):
    assert ROBOT.addresses_robot(text) is addressed


def test_the_bots_own_message_is_not_heard():
    assert message_line({"id": 1, "sender_id": 9, "sender_email": "hubot@example.com", "type": "stream",
                         "display_recipient": "general", "subject": "x", "content": "hi"}, [], ROBOT) is None


def test_mentioned_comes_from_the_flags():
    line = message_line({"id": 2, "sender_id": 3, "sender_email": "a@example.com", "sender_full_name": "A",
                         "type": "stream", "display_recipient": "general", "subject": "x", "content": "hi"},
                        ["mentioned"], ROBOT)
    assert line["mentioned"] is True


def request(kind, text, room="stream:general topic:t", user=None):
    return Request(kind, "1", text, room, user)


ALICE = Person(5, "Alice", "alice@example.com")
ACTIONS = [
    (request("send", "hi"), [("general", "t", (), "hi")]),
    (request("send", "hi", room=None), [("general", "hubot", (), "hi")]),
    (request("send", "hi", room=None, user=ALICE), [(None, None, ("alice@example.com",), "hi")]),
    (request("reply", "hi", user=ALICE), [("general", "t", (), "@**Alice|5** hi")]),
    (request("reply", "hi", user=Person("U5", "Alice", "a@x.org")), [("general", "t", (), "@**Alice** hi")]),
    (request("reply", "hi", room="dm:alice@example.com", user=ALICE), [(None, None, ("alice@example.com",), "hi")]),
    (request("emote", "waves"), [("general", "t", (), "/me waves")]),
    (request("topic", "next"), [("general", "t", (), "/me continues this conversation in #**general>next**"),
                                ("general", "next", (), "/me continues the conversation from #**general>t**")]),
    (request("topic", "a>b"), [("general", "t", (), "/me continues this conversation in #general \\> a\\>b"),
                               ("general", "a>b", (), "/me continues the conversation from #**general>t**")]),
    (request("topic", "new", room="dm:alice@example.com"),
     [(None, None, ("alice@example.com",), "/me sets the topic: new")]),
]


@pytest.mark.parametrize(("req", "expected"), ACTIONS)
def test_each_action_becomes_its_messages(req, expected):
    got = [(m.stream, m.topic, m.to, m.content) for m in messages_for(req, DEFAULTS)]
    assert got == expected


def test_a_topic_longer_than_the_server_allows_is_shortened():
    [_, moved] = messages_for(request("topic", "t" * 100), Defaults("general", "hubot", max_topic=20))
    assert moved.topic == "t" * 19 + "…"


def test_react_requests_name_a_message_and_an_emoji():
    from wyzepal_hubot.outbound import ReactionChange, work_for
    from wyzepal_hubot.protocol import BadLine, parse_request

    react = parse_request('{"type": "react", "ref": "1", "text": ":thumbs_up:", "message_id": 42}')
    assert work_for(react, DEFAULTS) == ReactionChange(42, "thumbs_up", add=True)
    unreact = parse_request('{"type": "unreact", "ref": "2", "text": "hourglass", "message_id": "43"}')
    assert work_for(unreact, DEFAULTS) == ReactionChange(43, "hourglass", add=False)
    for bad in ('{"type": "react", "text": "tada"}', '{"type": "react", "text": "tada", "message_id": true}',
                '{"type": "react", "text": "::", "message_id": 5}', '{"type": "react", "text": "x", "message_id": -1}'):
        with pytest.raises(BadLine):
            parse_request(bad)


def test_the_empty_topic_is_sent_as_the_realms_name_for_it_or_the_default_without_one():
    to_empty = request("send", "hi", room="stream:general topic:")
    assert [(m.stream, m.topic) for m in messages_for(to_empty, Defaults("general", "hubot"))] == \
        [("general", "general chat")]
    assert [(m.stream, m.topic) for m in messages_for(to_empty, Defaults("general", "hubot", empty_topic="(chat)"))] \
        == [("general", "(chat)")]
    assert [(m.stream, m.topic) for m in messages_for(to_empty, Defaults("general", "hubot", empty_topic=None))] == \
        [("general", "hubot")]
