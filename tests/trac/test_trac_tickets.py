"""Ticket events from a stub Trac reach the dev server as the right messages."""
from __future__ import annotations


def test_a_new_ticket_is_announced_in_its_own_topic(make_trac, fresh_chat):
    trac = make_trac()
    ticket = trac.create_ticket(summary="Crash on save", description="It '''crashes''' on save, see #2.")
    assert trac.flush()
    [message] = fresh_chat.messages("trac")
    assert message["subject"] == f"#{ticket.id}: Crash on save"
    assert message["sender_email"] == "trac-bot@example.com"
    content = message["content"]
    assert content.startswith(f"**alice** created [\\#{ticket.id} Crash on save]"
                              f"(http://trac.example.com/proj/ticket/{ticket.id})")
    assert "component **component1**" in content and "priority **major**" in content
    assert "It **crashes** on save, see [\\#2](http://trac.example.com/proj/ticket/2)." in content
