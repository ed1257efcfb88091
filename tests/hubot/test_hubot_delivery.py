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
    delivery.answer("1", [Message.to_stream("general", "x", 12345)])  # not text: the client fails unexpectedly
    delivery.answer("2", [Message.to_stream("general", "x", "next")])
    assert delivery.close(20)
    lines = out.getvalue().splitlines()
    assert '"type": "error", "ref": "1"' in lines[0] and "could not be sent" in lines[0]
    assert '"type": "ack", "ref": "2"' in lines[1]
    assert [m["content"] for m in server.messages("general", "x")] == ["next"]


def test_the_bridge_queue_keeps_the_librarys_delivery_contract_with_its_rules(server):
    from wyzepal_notifier.outbox import DeliveryOutbox

    delivery = Delivery(Client(server.site, HUBOT[0], HUBOT[1]), LineWriter(io.StringIO())).start()
    assert isinstance(delivery, DeliveryOutbox)
    delivery.put(Message.to_stream("general", "deploy", "deploy started"), handle="deploy:1")
    delivery.edit("deploy:1", "deploy finished")
    delivery.add_reaction("deploy:1", "check")
    delivery.resolve_topic("deploy:1")
    delivery.put(Message.to_stream("general", "deploy", "and a note after it"), conversation="deploy:1")
    assert delivery.flush(20)
    state = delivery.handle_state("deploy:1")
    message = server.message(state.message_id)
    assert message["content"] == "deploy finished" and message["subject"] == "\N{HEAVY CHECK MARK} deploy"
    assert [r["emoji_name"] for r in message["reactions"]] == ["check"]
    mine = [m["content"] for m in server.messages("general") if m["sender_email"] == HUBOT[0]]
    assert mine == ["deploy finished", "and a note after it"]
    assert {m["subject"] for m in server.messages("general")} == {"\N{HEAVY CHECK MARK} deploy"}
    server.backdate_message(state.message_id, 3600)
    delivery.edit("deploy:1", "too late to edit", fallback="keep")
    assert delivery.flush(20)
    assert "kept" in delivery.handle_state("deploy:1").refusals[-1].reason
    delivery.close(5)
