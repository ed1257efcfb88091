"""WyzePal as a Trac notification transport: a user picks it in Preferences > Notifications.

A real tracd: alice logs in, types her email in Preferences > General (Trac's
subscribers only consider users it has an address for), adds the rule "Ticket
that I own is created or modified" to the ``wyzepal`` transport in
Preferences > Notifications, and the admin files a ticket she owns: a direct
message reaches her WyzePal account on the dev server; the reporter, who chose
nothing, gets none.
"""
from __future__ import annotations

import pytest
from tracd_rig import TracServer

ALICE = "alice@chat.example.com"
CAROL = "carol@chat.example.com"


@pytest.fixture(scope="module")
def people_tracd(tmp_path_factory, chat):
    chat.add_user(ALICE, full_name="Alice", bot=False)
    chat.add_user(CAROL, full_name="Carol", bot=False)
    server = TracServer(tmp_path_factory.mktemp("tracd-people"), chat.site,
                        users={"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw"},
                        TRAC_USERS={"alice": ALICE}).start()
    yield server
    server.stop()


def set_email(server: TracServer, session, email: str) -> None:
    response = server.post_form(session, "/prefs", name="", email=email)
    assert response.status_code == 303, response.text[:500]


def add_rule(server: TracServer, session, rule: str, transport: str = "wyzepal") -> None:
    """The "Add" button of a transport's rules in Preferences > Notifications."""
    response = server.post_form(session, "/prefs/notification", **{
        "action": f"add-rule_{transport}", f"new-adverb-{transport}": "always", f"new-rule-{transport}": rule,
        f"format-{transport}": ""})
    assert response.status_code == 303, response.text[:500]


def direct_messages(chat, email: str) -> list[dict]:
    return [m for m in chat.messages() if m["type"] == "private"
            and email in [person["email"] for person in m["display_recipient"]]]


def test_the_preferences_page_offers_the_wyzepal_transport_and_its_format(people_tracd):
    alice = people_tracd.login("alice")
    page = alice.get(people_tracd.url + "/prefs/notification", timeout=10).text
    assert "<h3>wyzepal</h3>" in page
    assert 'value="text/x-wyzepal"' in page and "Default: text/x-wyzepal" in page
    assert 'value="add-rule_wyzepal"' in page


def test_a_user_who_chose_wyzepal_gets_a_direct_message_for_a_ticket_they_own(people_tracd, fresh_chat):
    alice = people_tracd.login("alice")
    set_email(people_tracd, alice, "alice@example.org")
    add_rule(people_tracd, alice, "TicketOwnerSubscriber")
    rules = alice.get(people_tracd.url + "/prefs/notification", timeout=10).text
    assert "Ticket that I own is created or modified" in rules.split("<h3>wyzepal</h3>")[1].split("<h3>")[0]

    admin = people_tracd.login()
    ticket_id = people_tracd.ticket_id(people_tracd.new_ticket(admin, summary="Alice's printer", owner="alice",
                                                               description="It jams @**all** the time."))
    fresh_chat.wait_for_messages(2, timeout=15)  # the channel message and alice's direct message
    [dm] = direct_messages(fresh_chat, ALICE)
    assert dm["sender_email"] == "trac-bot@example.com"
    assert dm["content"].startswith(f"**admin** created [\\#{ticket_id} Alice's printer]"
                                    f"({people_tracd.url}/ticket/{ticket_id})")
    assert "@**all**" not in dm["content"]
    [channel] = [m for m in fresh_chat.messages() if m["type"] == "stream"]
    assert channel["subject"] == f"#{ticket_id}: Alice's printer"

    fresh_chat.reset()
    response = people_tracd.change_ticket(admin, ticket_id, comment="Ordered a new one.", priority="critical")
    assert response.status_code == 303
    fresh_chat.wait_for_messages(2, timeout=15)
    [dm] = direct_messages(fresh_chat, ALICE)
    assert "* **Priority**: major → critical" in dm["content"]
    assert dm["content"].endswith("```quote\nOrdered a new one.\n```")


def test_a_user_without_a_wyzepal_mapping_gets_nothing_and_the_log_says_why_once(people_tracd, fresh_chat):
    carol = people_tracd.login("carol")
    set_email(people_tracd, carol, "carol@example.org")
    add_rule(people_tracd, carol, "TicketOwnerSubscriber")
    admin = people_tracd.login()
    for summary in ("Carol's first", "Carol's second"):
        people_tracd.ticket_id(people_tracd.new_ticket(admin, summary=summary, owner="carol"))
    fresh_chat.wait_for_messages(2, timeout=15)  # the two channel messages
    assert people_tracd.log().count("Trac user 'carol' chose WyzePal notifications but is not in TRAC_USERS") == 1
    assert direct_messages(fresh_chat, CAROL) == []


def test_who_chose_email_only_gets_no_direct_message(people_tracd, fresh_chat, chat):
    chat.add_user("bob@chat.example.com", full_name="Bob", bot=False)
    bob = people_tracd.login("bob")
    set_email(people_tracd, bob, "bob@chat.example.com")
    add_rule(people_tracd, bob, "TicketOwnerSubscriber", transport="email")
    admin = people_tracd.login()
    people_tracd.ticket_id(people_tracd.new_ticket(admin, summary="Bob's", owner="bob"))
    people_tracd.ticket_id(people_tracd.new_ticket(admin, summary="Then Alice's", owner="alice"))
    fresh_chat.wait_for_messages(3, timeout=15)  # two channel messages, alice's direct message (queued after)
    assert len(direct_messages(fresh_chat, ALICE)) == 1  # alice's rule comes from the test above
    assert direct_messages(fresh_chat, "bob@chat.example.com") == []
