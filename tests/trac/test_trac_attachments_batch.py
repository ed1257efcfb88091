"""Attachments and batch modify in a real tracd, through the web forms."""
from __future__ import annotations

import pytest
from tracd_rig import TracServer


def test_a_file_attached_to_a_ticket_and_deleted_again_is_announced_in_its_topic(tracd, browser, fresh_chat):
    ticket_id = tracd.ticket_id(tracd.new_ticket(browser, summary="Needs a log"))
    fresh_chat.wait_for_messages(1, timeout=15)
    fresh_chat.reset()
    response = tracd.attach(browser, "ticket", str(ticket_id), "crash log.txt", b"x" * 2048,
                            description="from ''Tuesday''")
    assert response.status_code == 303, response.text[:1000]
    [added] = fresh_chat.wait_for_messages(1, timeout=15)
    assert added["subject"] == f"#{ticket_id}: Needs a log"
    assert added["content"] == (
        f"**admin** attached [crash log.txt]({tracd.url}/attachment/ticket/{ticket_id}/crash%20log.txt) (2.0 KB) "
        f"to [\\#{ticket_id} Needs a log]({tracd.url}/ticket/{ticket_id}): *from ''Tuesday''*")
    fresh_chat.reset()
    response = tracd.delete_attachment(browser, "ticket", str(ticket_id), "crash log.txt")
    assert response.status_code == 303, response.text[:1000]
    [deleted] = fresh_chat.wait_for_messages(1, timeout=15)
    assert deleted["subject"] == f"#{ticket_id}: Needs a log"
    assert deleted["content"] == (f"Attachment **crash log.txt** was deleted from "
                                  f"[\\#{ticket_id} Needs a log]({tracd.url}/ticket/{ticket_id}).")


def test_a_file_attached_to_a_wiki_page_and_deleted_again_is_announced_in_its_topic(tracd, browser, fresh_chat):
    response = tracd.post_form(browser, "/wiki/Manual", form_page="/wiki/Manual?action=edit", action="edit",
                               text="The manual.", version="0", save="Submit changes")
    assert response.status_code == 303, response.text[:1000]
    fresh_chat.wait_for_messages(1, timeout=15)
    fresh_chat.reset()
    assert tracd.attach(browser, "wiki", "Manual", "diagram.png", b"\x89PNG" * 10).status_code == 303
    [added] = fresh_chat.wait_for_messages(1, timeout=15)
    assert added["subject"] == "wiki: Manual"
    assert added["content"] == (f"**admin** attached [diagram.png]({tracd.url}/attachment/wiki/Manual/diagram.png) "
                                f"(40 bytes) to wiki page [Manual]({tracd.url}/wiki/Manual)")
    fresh_chat.reset()
    assert tracd.delete_attachment(browser, "wiki", "Manual", "diagram.png").status_code == 303
    [deleted] = fresh_chat.wait_for_messages(1, timeout=15)
    assert deleted["content"] == ("Attachment **diagram.png** was deleted from wiki page "
                                  f"[Manual]({tracd.url}/wiki/Manual).")


def test_a_batch_modify_of_20_tickets_is_one_message(tracd, browser, fresh_chat):
    ids = [tracd.ticket_id(tracd.new_ticket(browser, summary=f"Batch {n}", priority="major")) for n in range(20)]
    fresh_chat.wait_for_messages(20, timeout=30)
    fresh_chat.reset()
    response = tracd.batch_modify(browser, ids, comment="Triaged ''all'' of them.", priority="minor")
    assert response.status_code == 303, response.text[:1000]
    [message] = fresh_chat.wait_for_messages(1, timeout=15)
    assert message["subject"] == "batch modify"
    content = message["content"]
    assert content.startswith(f"**admin** changed 20 tickets at once ([query]({tracd.url}/query?id="
                              + "%2C".join(map(str, ids)) + ")):\n\n* **Priority** → minor\n\nTickets: ")
    for ticket_id in ids:
        assert f"[\\#{ticket_id} Batch " in content
    assert content.endswith("```quote\nTriaged *all* of them.\n```")
    # nothing else follows: the per-ticket listener did not announce each ticket too
    tracd.ticket_id(tracd.new_ticket(browser, summary="After the batch"))
    fresh_chat.wait_for_messages(2, timeout=15)
    assert [m["subject"] for m in fresh_chat.messages()] == ["batch modify", f"#{ids[-1] + 1}: After the batch"]


@pytest.fixture(scope="module")
def routed_tracd(tmp_path_factory, chat):
    """Security tickets go only to their channel; the rest to trac."""
    server = TracServer(tmp_path_factory.mktemp("tracd-routed"), chat.site, source=(
        'CONFIGURATIONS = [{"description": "security", "conditions": {"kind": "ticket", "component": "security"},'
        ' "settings": {"stream": "security"}},'
        ' {"description": "rest", "conditions": {"component": lambda c: c != "security"}}]\n')).start()
    yield server
    server.stop()


def test_a_batch_gives_each_configuration_one_message_with_its_own_tickets(routed_tracd, fresh_chat):
    from tracd_rig import trac_admin

    trac_admin(routed_tracd.env_path, "component", "add", "security", "admin")
    browser = routed_tracd.login()
    plain = [routed_tracd.ticket_id(routed_tracd.new_ticket(browser, summary=f"Plain {n}")) for n in range(3)]
    secret = [routed_tracd.ticket_id(routed_tracd.new_ticket(browser, summary=f"Secret {n}", component="security"))
              for n in range(2)]
    fresh_chat.wait_for_messages(5, timeout=15)
    fresh_chat.reset()
    assert routed_tracd.batch_modify(browser, plain + secret, priority="blocker").status_code == 303
    messages = fresh_chat.wait_for_messages(2, timeout=15)
    by_stream = {m["display_recipient"]: m["content"] for m in messages}
    assert set(by_stream) == {"trac", "security"}
    assert "changed 3 tickets at once" in by_stream["trac"] and "Secret" not in by_stream["trac"]
    assert "changed 2 tickets at once" in by_stream["security"] and "Plain" not in by_stream["security"]
