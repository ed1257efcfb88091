"""The delivery worker against the dev server: one answer that cannot be sent does not stop the rest."""
from __future__ import annotations

import io

from hubot_harness import HUBOT
from wyzepal_hubot.delivery import Delivery
from wyzepal_hubot.protocol import LineWriter
from wyzepal_notifier import Client, Message


def test_an_answer_that_breaks_the_client_is_an_error_and_the_next_goes(server):
    out = io.StringIO()
    delivery = Delivery(Client(server.site, HUBOT[0], HUBOT[1]), LineWriter(out)).start()
    delivery.put("1", [Message.to_stream("general", "x", 12345)])  # not text: the client fails unexpectedly
    delivery.put("2", [Message.to_stream("general", "x", "next")])
    assert delivery.close(20)
    lines = out.getvalue().splitlines()
    assert '"type": "error", "ref": "1"' in lines[0] and "could not be sent" in lines[0]
    assert '"type": "ack", "ref": "2"' in lines[1]
    assert [m["content"] for m in server.messages("general", "x")] == ["next"]
