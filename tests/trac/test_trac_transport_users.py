"""Who gets a direct message: TRAC_USERS, the session email (only when switched on), held while broken.

Trac's real notification system decides the recipients (a subscription rule in
its database, its TicketOwnerSubscriber); the plugin maps them to WyzePal users.
"""
from __future__ import annotations

import pytest

DORA = "dora@chat.example.com"


@pytest.fixture
def dora(fresh_chat):
    fresh_chat.add_user(DORA, full_name="Dora", bot=False)
    return DORA


def choose_wyzepal(env, sid: str, email: str) -> None:
    """What Preferences > General and > Notifications store: the email, a rule for the wyzepal transport."""
    from trac.notification.model import Subscription

    env.insert_users([(sid, sid.capitalize(), email)])
    Subscription.add(env, {"sid": sid, "authenticated": 1, "distributor": "wyzepal", "format": "",
                           "adverb": "always", "class": "TicketOwnerSubscriber"})


def notify_created(trac, **values):
    from trac.notification.api import NotificationSystem
    from trac.ticket.notification import TicketChangeEvent

    ticket = trac.create_ticket(**values)
    NotificationSystem(trac.env).notify(TicketChangeEvent("created", ticket, ticket["time"], "alice"))
    return ticket


def direct_to(chat, email):
    return [m for m in chat.messages() if m["type"] == "private"
            and email in [person["email"] for person in m["display_recipient"]]]


def test_the_session_email_is_used_only_when_the_admin_switches_it_on(make_trac, fresh_chat, dora):
    trac = make_trac(TRAC_USERS_BY_EMAIL=True)
    choose_wyzepal(trac.env, "dora", DORA)
    ticket = notify_created(trac, owner="dora", summary="Hers")
    assert trac.flush()
    [message] = direct_to(fresh_chat, DORA)
    assert message["content"].startswith(f"**alice** created [\\#{ticket.id} Hers]")

    off = make_trac()
    choose_wyzepal(off.env, "dora", DORA)
    notify_created(off, owner="dora", summary="Not by email")
    assert off.flush()
    assert len(direct_to(fresh_chat, DORA)) == 1  # still only the first
    [why] = [line for line in off.log("WARNING") if "'dora' chose WyzePal" in line]
    assert "TRAC_USERS_BY_EMAIL is off" in why


def test_the_table_wins_over_the_session_email(make_trac, fresh_chat, dora):
    fresh_chat.add_user("someone.else@chat.example.com", bot=False)
    trac = make_trac(TRAC_USERS_BY_EMAIL=True, TRAC_USERS={"dora": DORA})
    choose_wyzepal(trac.env, "dora", "someone.else@chat.example.com")  # anyone can type any email
    notify_created(trac, owner="dora")
    assert trac.flush()
    assert len(direct_to(fresh_chat, DORA)) == 1
    assert direct_to(fresh_chat, "someone.else@chat.example.com") == []


def test_direct_messages_wait_while_the_config_is_broken(make_trac, fresh_chat, dora):
    trac = make_trac(TRAC_USERS={"dora": DORA})
    choose_wyzepal(trac.env, "dora", DORA)
    config = trac.env.plugins_dir + "/wyzepal_trac_config.py"
    good = open(config).read()
    with open(config, "a") as handle:
        handle.write("TRAC_USERS = 'not a dict'\n")
    notify_created(trac, owner="dora", summary="While broken")
    assert trac.notifier.announcer.held.count() == 2  # the channel message and the direct one
    with open(config, "w") as handle:
        handle.write(good + "\n")
    assert trac.notifier.announcer.integration() is not None and trac.flush()
    [message] = direct_to(fresh_chat, DORA)
    assert "While broken" in message["content"]


def test_a_bad_users_table_is_a_clear_config_error(tmp_path):
    from wyzepal_notifier import ConfigError
    from wyzepal_trac.integration import TracIntegration

    base = {"WYZEPAL_SITE": "https://chat.example.com", "WYZEPAL_USER": "bot@example.com",
            "WYZEPAL_API_KEY": "k" * 32}
    with pytest.raises(ConfigError) as raised:
        TracIntegration.from_values({**base, "TRAC_USERS": {"dora": "not an email"}}, env={})
    assert "TRAC_USERS" in str(raised.value) and "'dora'" in str(raised.value)


def test_the_config_file_wins_over_trac_ini_for_the_switches(make_trac):
    trac = make_trac(TRAC_RESOLVE_TOPIC_ON_CLOSE=True,
                     source='CONFIGURATIONS = [{"description": "quiet", "settings": '
                            '{"TRAC_MOVE_TOPIC_ON_RENAME": True}}, {"description": "plain"}]\n')
    trac.env.config.set("wyzepal", "move_topic_on_rename", "false")
    trac.env.config.set("wyzepal", "resolve_topic_on_close", "false")
    integration = trac.notifier.announcer.integration()
    assert integration.settings["TRAC_MOVE_TOPIC_ON_RENAME"] is False  # trac.ini: the file says nothing at the top
    assert integration.settings["TRAC_RESOLVE_TOPIC_ON_CLOSE"] is True  # the file's own value wins
    quiet, plain = integration.configurations
    assert quiet["TRAC_MOVE_TOPIC_ON_RENAME"] is True and plain["TRAC_MOVE_TOPIC_ON_RENAME"] is False
    trac.env.config.set("wyzepal", "move_topic_on_rename", "true")
    assert trac.notifier.announcer.integration().settings["TRAC_MOVE_TOPIC_ON_RENAME"] is True  # reloaded


def test_a_batch_modify_is_one_direct_message_listing_the_tickets(make_trac, fresh_chat, dora):
    from datetime import datetime, timezone

    from trac.notification.api import NotificationSystem
    from trac.ticket.notification import BatchTicketChangeEvent

    trac = make_trac(TRAC_USERS={"dora": DORA})
    choose_wyzepal(trac.env, "dora", DORA)
    tickets = [trac.create_ticket(owner="dora", summary=f"Hers {n}") for n in range(3)]
    when = datetime.now(timezone.utc)
    for ticket in tickets:
        ticket["priority"] = "minor"
        ticket.save_changes("bob", "Lowered.", when=when)
    ids = [ticket.id for ticket in tickets]
    NotificationSystem(trac.env).notify(BatchTicketChangeEvent(ids, when, "bob", "Lowered.", {"priority": "minor"},
                                                               "leave"))
    assert trac.flush()
    [message] = direct_to(fresh_chat, DORA)
    assert message["content"].startswith("**bob** changed 3 tickets at once")
    assert "* **Priority** → minor" in message["content"]
    assert all(f"[\\#{ticket_id} Hers " in message["content"] for ticket_id in ids)
