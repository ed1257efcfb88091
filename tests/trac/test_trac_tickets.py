"""Ticket events from a stub Trac reach the dev server as the right messages."""
from __future__ import annotations

import pytest


def only_message(trac, chat, stream="trac"):
    assert trac.flush()
    messages = chat.messages(stream)
    assert len(messages) == 1, messages
    return messages[0]


def test_a_new_ticket_is_announced_in_its_own_topic(make_trac, fresh_chat):
    trac = make_trac()
    ticket = trac.create_ticket(summary="Crash on save", description="It '''crashes''' on save, see #2.")
    message = only_message(trac, fresh_chat)
    assert message["subject"] == f"#{ticket.id}: Crash on save"
    assert message["sender_email"] == "trac-bot@example.com"
    content = message["content"]
    assert content.startswith(f"**alice** created [\\#{ticket.id} Crash on save]"
                              f"(http://trac.example.com/proj/ticket/{ticket.id}) (**defect**, ")
    assert "component **component1**" in content and "priority **major**" in content
    assert "```quote\nIt **crashes** on save, see [\\#2](http://trac.example.com/proj/ticket/2).\n```" in content


def test_a_change_lists_old_and_new_values_and_quotes_the_comment(make_trac, fresh_chat):
    trac = make_trac()
    ticket = trac.create_ticket()
    trac.forget_sent(fresh_chat)
    trac.change_ticket(ticket, author="bob", comment="Taking this.", owner="bob", priority="critical",
                       keywords="crash")
    message = only_message(trac, fresh_chat)
    assert message["subject"] == f"#{ticket.id}: Crash on save"
    assert message["content"] == (
        f"**bob** updated [\\#{ticket.id} Crash on save](http://trac.example.com/proj/ticket/{ticket.id}#comment:1):"
        "\n\n* **Owner**: *(empty)* → bob\n* **Priority**: major → critical\nalso changed: Keywords"
        "\n\n```quote\nTaking this.\n```")


def test_a_change_of_fields_nobody_asked_for_is_not_announced(make_trac, fresh_chat):
    trac = make_trac()
    ticket = trac.create_ticket()
    trac.forget_sent(fresh_chat)
    trac.change_ticket(ticket, keywords="crash", version="2.0")
    assert trac.flush()
    assert fresh_chat.messages() == []


def test_a_comment_alone_is_announced(make_trac, fresh_chat):
    trac = make_trac()
    ticket = trac.create_ticket()
    trac.forget_sent(fresh_chat)
    trac.change_ticket(ticket, author="carol", comment="Seen it on 1.2 too.")
    content = only_message(trac, fresh_chat)["content"]
    assert content.startswith("**carol** updated [")
    assert content.endswith("```quote\nSeen it on 1.2 too.\n```")


def test_closing_says_the_resolution_and_reopening_says_so(make_trac, fresh_chat):
    trac = make_trac()
    ticket = trac.create_ticket()
    trac.forget_sent(fresh_chat)
    trac.change_ticket(ticket, author="bob", comment="Fixed in r3.", status="closed", resolution="fixed")
    closed = only_message(trac, fresh_chat)["content"]
    assert closed.startswith(f"**bob** closed [\\#{ticket.id} Crash on save]")
    assert "as **fixed**:" in closed
    assert "Status" not in closed and "Resolution" not in closed  # said in the first line already
    assert "Fixed in [r3](http://trac.example.com/proj/changeset/3)." in closed
    fresh_chat.reset()
    trac.change_ticket(ticket, author="alice", status="reopened", resolution="")
    reopened = only_message(trac, fresh_chat)["content"]
    assert reopened.startswith(f"**alice** reopened [\\#{ticket.id} Crash on save]")
    assert "* **Resolution**: fixed → *(empty)*" in reopened


def test_a_description_change_links_to_the_diff(make_trac, fresh_chat):
    trac = make_trac()
    ticket = trac.create_ticket()
    trac.forget_sent(fresh_chat)
    trac.change_ticket(ticket, description="It crashes when saving twice.")
    content = only_message(trac, fresh_chat)["content"]
    assert f"* **Description** changed ([diff](http://trac.example.com/proj/ticket/{ticket.id}?action=diff" \
           "&version=1))" in content


def test_deleting_a_ticket_is_announced(make_trac, fresh_chat):
    trac = make_trac()
    ticket = trac.create_ticket(summary="Spam")
    ticket_id = ticket.id
    trac.forget_sent(fresh_chat)
    ticket.delete()
    message = only_message(trac, fresh_chat)
    assert message["subject"] == f"#{ticket_id}: Spam"
    assert message["content"] == f"Ticket **\\#{ticket_id} Spam** was deleted."


def test_editing_a_comment_is_announced_with_the_new_text(make_trac, fresh_chat):
    trac = make_trac()
    ticket = trac.create_ticket()
    trac.change_ticket(ticket, author="bob", comment="Teh fix")
    trac.forget_sent(fresh_chat)
    cdate = ticket.get_change(cnum=1)["date"]
    ticket.modify_comment(cdate, "bob", "The fix")
    content = only_message(trac, fresh_chat)["content"]
    assert content.startswith(f"**bob** edited [comment 1](http://trac.example.com/proj/ticket/{ticket.id}"
                              "#comment:1) on [")
    assert content.endswith("```quote\nThe fix\n```")


def test_the_author_is_shown_by_the_full_name_set_in_trac(make_trac, fresh_chat):
    trac = make_trac()
    trac.env.insert_users([("alice", "Alice Liddell", "alice@example.com")])
    trac.create_ticket(reporter="alice")
    assert only_message(trac, fresh_chat)["content"].startswith("**Alice Liddell** created ")


@pytest.mark.parametrize("field, values", [("owner", ("", "dave")), ("summary", ("Crash on save", "Crash on load"))])
def test_the_topic_follows_the_current_summary(make_trac, fresh_chat, field, values):
    trac = make_trac()
    ticket = trac.create_ticket()
    assert trac.flush()  # the created message stays: a rename moves it along (see test_trac_ticket_topics)
    trac.change_ticket(ticket, **{field: values[1]})
    assert trac.flush()
    message = fresh_chat.messages("trac")[-1]
    assert {m["subject"] for m in fresh_chat.messages("trac")} == {message["subject"]}
    assert message["subject"] == f"#{ticket.id}: {ticket['summary']}"
    assert f"{values[0] or '*(empty)*'} → {values[1]}" in message["content"]
