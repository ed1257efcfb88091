"""Rooms: one Hubot room per channel and topic, one per direct conversation."""
from __future__ import annotations

import pytest
from wyzepal_hubot.rooms import ChannelRoom, DirectRoom, parse_room, room_for_message

ROOMS = [
    ("stream:general topic:greetings", ChannelRoom("general", "greetings")),
    ("stream:dev+team topic:release+1.2", ChannelRoom("dev team", "release 1.2")),
    ("stream:dev team topic:release 1.2", ChannelRoom("dev team", "release 1.2")),
    ("stream:c%2B%2B topic:a%3Ab%25", ChannelRoom("c++", "a:b%")),
    ("channel:general topic:x", ChannelRoom("general", "x")),
    ("stream:general", ChannelRoom("general", None)),
    ("stream:general topic:", ChannelRoom("general", "")),  # the empty topic ("general chat")
    ("general", ChannelRoom("general", None)),
    ("#general", ChannelRoom("general", None)),
    ("dm:alice@example.com", DirectRoom(("alice@example.com",))),
    ("dm:bob@example.com,alice@example.com", DirectRoom(("alice@example.com", "bob@example.com"))),
    ("pm-with:alice@example.com", DirectRoom(("alice@example.com",))),
    ("", None),
    ("   ", None),
    (None, None),
    ("stream: topic:x", None),
    ("dm:", None),
]


@pytest.mark.parametrize(("text", "room"), ROOMS)
def test_parse_room(text, room):
    assert parse_room(text) == room


@pytest.mark.parametrize("room", [ChannelRoom("dev team", "a: b+c 100%"), ChannelRoom("general", "x"),
                                  DirectRoom(("alice@example.com", "bob@example.com"))])
def test_a_room_survives_its_round_trip(room):
    assert parse_room(str(room)) == room


def test_a_channel_message_is_its_channel_and_topic():
    room = room_for_message({"type": "stream", "display_recipient": "dev team", "subject": "a:b"}, "hubot@x.org")
    assert str(room) == "stream:dev+team topic:a%3Ab"


def test_a_direct_message_names_the_people_but_not_the_bot():
    people = [{"email": "hubot@x.org"}, {"email": "zed@x.org"}, {"email": "amy@x.org"}]
    room = room_for_message({"type": "private", "display_recipient": people}, "HUBOT@x.org")
    assert str(room) == "dm:amy@x.org,zed@x.org"
