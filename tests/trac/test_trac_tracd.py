"""End to end: a real tracd, a logged-in browser session, tickets through the web forms."""
from __future__ import annotations

import pytest
from tracd_rig import TracServer


@pytest.fixture(scope="module")
def tracd(tmp_path_factory, chat):
    server = TracServer(tmp_path_factory.mktemp("tracd"), chat.site).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(tracd):
    return tracd.login()


def test_a_ticket_created_in_the_web_form_is_announced(tracd, browser, fresh_chat):
    response = tracd.new_ticket(browser, summary="Login page is blank", description="Since ''today''.",
                                component="component1", priority="major", type="defect")
    ticket_id = tracd.ticket_id(response)
    [message] = fresh_chat.wait_for_messages(1, timeout=15)
    assert message["display_recipient"] == "trac"
    assert message["subject"] == f"#{ticket_id}: Login page is blank"
    assert message["content"].startswith(f"**admin** created [\\#{ticket_id} Login page is blank]"
                                         f"({tracd.url}/ticket/{ticket_id}) (**defect**, ")
    assert message["content"].endswith("```quote\nSince *today*.\n```")


def test_a_ticket_changed_and_closed_in_the_web_form_is_announced(tracd, browser, fresh_chat):
    ticket_id = tracd.ticket_id(tracd.new_ticket(browser, summary="Typo in footer"))
    fresh_chat.wait_for_messages(1, timeout=15)
    fresh_chat.reset()
    response = tracd.change_ticket(browser, ticket_id, comment="Fixed, see [wiki:Changes].", action="resolve",
                                   action_resolve_resolve_resolution="fixed", priority="minor")
    assert response.status_code == 303
    [message] = fresh_chat.wait_for_messages(1, timeout=15)
    assert message["subject"] == f"#{ticket_id}: Typo in footer"
    assert message["content"] == (
        f"**admin** closed [\\#{ticket_id} Typo in footer]({tracd.url}/ticket/{ticket_id}#comment:1) as "
        f"**fixed**:\n\n* **Priority**: major → minor\n\n```quote\nFixed, see [Changes]({tracd.url}/wiki/Changes)."
        "\n```")
