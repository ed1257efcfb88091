"""Server limits are respected before sending."""
from __future__ import annotations

import json

import pytest
from wyzepal_notifier import Message, MessageRejected
from wyzepal_notifier.message import MAX_CONTENT_LENGTH, MAX_TOPIC_LENGTH


def test_long_topic_is_shortened_with_marker():
    msg = Message.to_stream("ci", "x" * 100, "hi").checked()
    assert len(msg.topic) == MAX_TOPIC_LENGTH and msg.topic.endswith("…")


def test_long_content_is_shortened_with_visible_note_and_closed_fence():
    content = "```\n" + "line\n" * 5000
    msg = Message.to_stream("ci", "t", content).checked()
    assert len(msg.content) <= MAX_CONTENT_LENGTH
    assert "shortened" in msg.content
    fences = [line for line in msg.content.splitlines() if line.startswith("```")]
    assert len(fences) % 2 == 0


@pytest.mark.parametrize("content", ["", "   \n"])
def test_empty_content_is_refused_before_sending(content):
    with pytest.raises(MessageRejected, match="empty"):
        Message.to_stream("ci", "t", content).to_params()


def test_channel_message_needs_topic_and_direct_needs_recipients():
    with pytest.raises(MessageRejected):
        Message.to_stream("ci", "", "x").checked()
    with pytest.raises(MessageRejected):
        Message(content="x").checked()


def test_params_and_json_round_trip():
    direct = Message.direct(["a@x.org", "b@x.org"], "hi")
    assert direct.to_params() == {"type": "direct", "to": json.dumps(["a@x.org", "b@x.org"]), "content": "hi"}
    assert Message.from_json(direct.to_json()) == direct
    channel = Message.to_stream("ci", "build", "ok")
    assert channel.to_params() == {"type": "stream", "to": "ci", "topic": "build", "content": "ok"}
    assert channel.key != Message.to_stream("ci", "other", "ok").key
