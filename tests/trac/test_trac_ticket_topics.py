"""One ticket, one topic for life, in a real tracd: renamed, closed, reopened through the web form."""
from __future__ import annotations

import time

import pytest
from tracd_rig import TracServer
from tracrig import BOT_EMAIL, BOT_KEY, config_text

CHECK = "\N{HEAVY CHECK MARK} "


def wait_until(condition, timeout: float = 45.0, what: str = "the condition"):
    """Poll ``condition`` (a loaded 2-core machine: generous time, no sleeps that decide anything)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def spool_idle(tracd) -> bool:
    from wyzepal_notifier.outbox import Spool

    spool = Spool(tracd.config_path.parent / "outbox.sqlite3", create=False)
    try:
        return spool.pending_count() == 0
    finally:
        spool.close()


def ticket_messages(chat, tracd, ticket_id):
    """The bot's messages about one ticket (they all link to it), oldest first."""
    url = f"{tracd.url}/ticket/{ticket_id}"
    return [m for m in chat.messages("trac") if m["sender_email"] == BOT_EMAIL
            and (f"{url})" in m["content"] or f"{url}#" in m["content"])]


def topics_of(chat, tracd, ticket_id):
    return {m["subject"] for m in ticket_messages(chat, tracd, ticket_id)}


def settled(chat, tracd, ticket_id, count, topics):
    """``count`` messages of the ticket, all in ``topics``."""
    return lambda: (len(ticket_messages(chat, tracd, ticket_id)) == count
                    and topics_of(chat, tracd, ticket_id) == set(topics))


@pytest.fixture
def new_ticket(tracd, browser, fresh_chat):
    def make(summary: str) -> int:
        ticket_id = tracd.ticket_id(tracd.new_ticket(browser, summary=summary))
        wait_until(lambda: len(ticket_messages(fresh_chat, tracd, ticket_id)) == 1, what="the created message")
        return ticket_id

    return make


def rename(tracd, browser, ticket_id, summary, comment=""):
    assert tracd.change_ticket(browser, ticket_id, comment=comment, summary=summary).status_code == 303


def test_a_renamed_ticket_takes_its_messages_to_the_new_topic(tracd, browser, fresh_chat, new_ticket):
    ticket_id = new_ticket("Crash on save")
    assert tracd.change_ticket(browser, ticket_id, comment="Seen it too.").status_code == 303
    wait_until(settled(fresh_chat, tracd, ticket_id, 2, [f"#{ticket_id}: Crash on save"]))
    rename(tracd, browser, ticket_id, "Crash on save with unicode names")
    wait_until(settled(fresh_chat, tracd, ticket_id, 3, [f"#{ticket_id}: Crash on save with unicode names"]),
               what="all three messages in the new topic")
    assert tracd.change_ticket(browser, ticket_id, comment="After the rename.").status_code == 303
    wait_until(settled(fresh_chat, tracd, ticket_id, 4, [f"#{ticket_id}: Crash on save with unicode names"]))


def test_closing_resolves_the_topic_and_reopening_unresolves_it(tracd, browser, fresh_chat, new_ticket):
    ticket_id = new_ticket("Footer typo")
    topic = f"#{ticket_id}: Footer typo"
    assert tracd.change_ticket(browser, ticket_id, action="resolve",
                               action_resolve_resolve_resolution="fixed").status_code == 303
    wait_until(settled(fresh_chat, tracd, ticket_id, 2, [CHECK + topic]), what="the resolved topic")
    assert tracd.change_ticket(browser, ticket_id, action="reopen").status_code == 303
    wait_until(settled(fresh_chat, tracd, ticket_id, 3, [topic]), what="the topic unresolved again")
    reopened = ticket_messages(fresh_chat, tracd, ticket_id)[-1]
    assert "reopened" in reopened["content"] and reopened["subject"] == topic


def test_a_rename_while_the_chat_server_is_down_is_moved_once_it_is_back(tracd, browser, fresh_chat, new_ticket):
    ticket_id = new_ticket("Slow search")
    fresh_chat.stop()
    try:
        rename(tracd, browser, ticket_id, "Slow search on large projects", comment="Only with 10k tickets.")
        time.sleep(1)
    finally:
        fresh_chat.start()
    wait_until(settled(fresh_chat, tracd, ticket_id, 2, [f"#{ticket_id}: Slow search on large projects"]),
               timeout=90, what="the move once the server is back")


def test_a_topic_resolved_by_hand_is_not_resolved_twice_and_the_news_follows_it(tracd, browser, fresh_chat,
                                                                               new_ticket):
    from wyzepal_notifier import Client

    ticket_id = new_ticket("Broken link")
    topic = f"#{ticket_id}: Broken link"
    person = fresh_chat.add_user("alice@example.com", full_name="Alice", bot=False)
    [first] = ticket_messages(fresh_chat, tracd, ticket_id)
    Client(fresh_chat.site, *person).update_message(first["id"], topic=CHECK + topic, propagate_mode="change_all")
    assert tracd.change_ticket(browser, ticket_id, action="resolve",
                               action_resolve_resolve_resolution="fixed").status_code == 303
    wait_until(settled(fresh_chat, tracd, ticket_id, 2, [CHECK + topic]), what="the close in the resolved topic")
    assert not any(m["subject"].startswith(CHECK + CHECK) for m in fresh_chat.messages("trac"))


def test_a_bot_that_may_not_move_keeps_the_ticket_in_its_topic_and_says_what_to_change(tracd, browser, fresh_chat,
                                                                                      new_ticket):
    ticket_id = new_ticket("Old name")
    fresh_chat.set_realm(can_move_messages_between_topics_group="admins")
    try:
        rename(tracd, browser, ticket_id, "New name", comment="Renamed.")
        wait_until(settled(fresh_chat, tracd, ticket_id, 2, [f"#{ticket_id}: Old name"]))

        def warned():
            page = browser.get(f"{tracd.url}/admin/general/wyzepal", timeout=10).text
            return "Who can move messages between topics" in page and page

        page = wait_until(warned, what="the admin panel's warning")
        assert f"ticket #{ticket_id}" in page and "may not move messages between topics" in page
        assert tracd.change_ticket(browser, ticket_id, comment="Still here.").status_code == 303
        wait_until(settled(fresh_chat, tracd, ticket_id, 3, [f"#{ticket_id}: Old name"]))
        browser.get(f"{tracd.url}/admin/general/wyzepal", timeout=10)
        assert tracd.log().count("WyzePal refused to move the topic") == 1
    finally:
        fresh_chat.set_realm(can_move_messages_between_topics_group="everyone")


def test_a_ticket_from_before_the_upgrade_keeps_its_old_topic_on_rename(tracd, browser, fresh_chat):
    from wyzepal_notifier import Client

    original = tracd.config_path.read_text()
    quiet = config_text(fresh_chat.site, tracd.config_path.parent / "outbox.sqlite3",
                        TRAC_NOTIFY_ON=["ticket_changed", "ticket_closed"])
    tracd.config_path.write_text(quiet)  # the ticket is created unannounced: no handle in the spool
    try:
        ticket_id = tracd.ticket_id(tracd.new_ticket(browser, summary="Legacy ticket"))
    finally:
        tracd.config_path.write_text(original)
    # What the plugin before the upgrade posted, without any handle.
    Client(fresh_chat.site, BOT_EMAIL, BOT_KEY).send_message(
        __import__("wyzepal_notifier").Message.to_stream(
            "trac", f"#{ticket_id}: Legacy ticket",
            f"**admin** created [\\#{ticket_id} Legacy ticket]({tracd.url}/ticket/{ticket_id})"))
    rename(tracd, browser, ticket_id, "Legacy ticket, renamed", comment="New name.")
    wait_until(settled(fresh_chat, tracd, ticket_id, 2, [f"#{ticket_id}: Legacy ticket, renamed"]),
               what="the old message moved along with the new one")


def test_a_rename_after_a_trac_restart_still_moves_the_tickets_topic(tracd, browser, fresh_chat, new_ticket):
    ticket_id = new_ticket("Before the restart")
    tracd.stop()
    tracd.start()
    browser = tracd.login()
    rename(tracd, browser, ticket_id, "After the restart")
    wait_until(settled(fresh_chat, tracd, ticket_id, 2, [f"#{ticket_id}: After the restart"]))


def test_an_old_ticket_past_the_move_time_limit_keeps_its_topic_and_the_panel_says_why(tracd, browser, fresh_chat,
                                                                                        new_ticket):
    ticket_id = new_ticket("Ancient")
    [created] = ticket_messages(fresh_chat, tracd, ticket_id)
    fresh_chat.backdate_message(created["id"], 400 * 24 * 3600)
    fresh_chat.set_realm(move_messages_within_stream_limit_seconds=7 * 24 * 3600)
    try:
        rename(tracd, browser, ticket_id, "Ancient, renamed", comment="A year later.")
        wait_until(settled(fresh_chat, tracd, ticket_id, 2, [f"#{ticket_id}: Ancient"]))
        wait_until(lambda: f"refused to move the topic of ticket #{ticket_id}" in browser.get(
            f"{tracd.url}/admin/general/wyzepal", timeout=10).text, what="the panel naming the refusal")
        page = browser.get(f"{tracd.url}/admin/general/wyzepal", timeout=10).text
        assert "raise or remove the time limit for moving messages" in page
    finally:
        fresh_chat.set_realm(move_messages_within_stream_limit_seconds=7 * 24 * 3600)


def test_a_batch_modify_that_closes_tickets_resolves_each_tickets_topic(tracd, browser, fresh_chat, new_ticket):
    ids = [new_ticket(f"Batch close {n}") for n in range(3)]
    response = tracd.post_form(browser, "/batchmodify", form_page="/query", action="resolve",
                               action_resolve_resolve_resolution="fixed", selected_tickets=",".join(map(str, ids)),
                               batchmod_value_comment="All done.", query_href="/query")
    assert response.status_code == 303, response.text[:1000]
    def resolved(number, ticket_id):  # the batch message (its own topic) links to the tickets too
        expected = {f"{CHECK}#{ticket_id}: Batch close {number}", "batch modify"}
        return lambda: {m["subject"] for m in ticket_messages(fresh_chat, tracd, ticket_id)} == expected

    for number, ticket_id in enumerate(ids):
        wait_until(resolved(number, ticket_id), what=f"ticket #{ticket_id}'s topic resolved")
    [batch] = [m for m in fresh_chat.messages("trac") if m["subject"] == "batch modify"]
    assert "changed 3 tickets at once" in batch["content"]


def test_a_ticket_id_reused_after_a_delete_starts_a_topic_of_its_own(tracd, browser, fresh_chat, new_ticket):
    from tracd_rig import trac_admin

    ticket_id = new_ticket("Deleted soon")
    trac_admin(tracd.env_path, "ticket", "remove", str(ticket_id))
    wait_until(lambda: any("was deleted" in m["content"] for m in fresh_chat.messages("trac")), what="the deletion")
    again = tracd.ticket_id(tracd.new_ticket(browser, summary="Born again"))
    assert again == ticket_id  # SQLite gives the newest ticket's id to the next one
    wait_until(lambda: fresh_chat.messages("trac", f"#{again}: Born again"), what="the new ticket's own topic")
    assert [m["content"] for m in fresh_chat.messages("trac", f"#{again}: Deleted soon")
            if "Born again" in m["content"]] == []


@pytest.fixture(scope="module")
def switched_off_tracd(tmp_path_factory, chat):
    server = TracServer(tmp_path_factory.mktemp("tracd-off"), chat.site,
                        ini="[wyzepal]\nmove_topic_on_rename = false\nresolve_topic_on_close = true\n",
                        TRAC_RESOLVE_TOPIC_ON_CLOSE=False).start()
    yield server
    server.stop()


def test_the_switches_off_start_no_move_and_the_config_file_wins_over_trac_ini(switched_off_tracd, fresh_chat):
    tracd = switched_off_tracd
    browser = tracd.login()
    ticket_id = tracd.ticket_id(tracd.new_ticket(browser, summary="Stays put"))
    rename(tracd, browser, ticket_id, "Renamed but not moved")
    assert tracd.change_ticket(browser, ticket_id, action="resolve",
                               action_resolve_resolve_resolution="fixed").status_code == 303
    wait_until(lambda: len(ticket_messages(fresh_chat, tracd, ticket_id)) == 3)
    wait_until(lambda: spool_idle(tracd), what="nothing left in the spool")  # no move still on its way
    assert topics_of(fresh_chat, tracd, ticket_id) == {f"#{ticket_id}: Stays put"}
