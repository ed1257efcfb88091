"""Routing through configurations, the event switches, the notable fields and the topic templates."""
from __future__ import annotations

from test_trac_tickets import only_message
from test_trac_wiki_milestones_changesets import save_page

# The template's routing example, as a user would write it.
ROUTING = '''
CONFIGURATIONS = [
    {"description": "commits and milestones", "conditions": {"kind": ["changeset", "milestone"]}},
    {"description": "tickets, except security ones",
     "conditions": {"kind": "ticket", "component": lambda component: component != "security"}},
    {"description": "security tickets, with every change, only to their own channel",
     "conditions": {"kind": "ticket", "component": "security"},
     "settings": {"stream": "security", "TRAC_NOTIFY_FIELDS": ["keywords", "comment", "status"]}},
    {"description": "tickets of milestone 1.0, also to the release channel",
     "conditions": {"kind": "ticket", "milestone": "1.0"}, "settings": {"stream": "release"}},
    {"description": "wiki edits to the docs channel", "conditions": {"kind": "wiki"}, "settings": {"stream": "docs"}},
]
'''


def streams_of(chat):
    return sorted(message["display_recipient"] for message in chat.messages())


def test_security_tickets_go_only_to_the_security_channel(make_trac, fresh_chat):
    trac = make_trac(ROUTING)
    trac.env.config.set("ticket-custom", "dummy", "text")  # custom fields do not disturb routing
    trac.create_ticket(component="security", summary="XSS in search")
    assert trac.flush()
    assert streams_of(fresh_chat) == ["security"]
    assert fresh_chat.messages("security")[0]["subject"].endswith(": XSS in search")


def test_a_configuration_can_announce_fields_the_others_ignore(make_trac, fresh_chat):
    trac = make_trac(ROUTING)
    secret = trac.create_ticket(component="security")
    public = trac.create_ticket(component="component2")
    trac.forget_sent(fresh_chat)
    trac.change_ticket(secret, keywords="cve")
    trac.change_ticket(public, keywords="ui")
    assert trac.flush()
    [message] = fresh_chat.messages()
    assert message["display_recipient"] == "security"
    assert "* **Keywords**: *(empty)* → cve" in message["content"]


def test_milestone_tickets_also_go_to_the_release_channel(make_trac, fresh_chat):
    trac = make_trac(ROUTING)
    trac.create_ticket(milestone="1.0", component="component1")
    assert trac.flush()
    assert streams_of(fresh_chat) == ["release", "trac"]
    trac.create_ticket(milestone="1.0", component="security")
    assert trac.flush()
    assert streams_of(fresh_chat) == ["release", "release", "security", "trac"]


def test_wiki_edits_go_to_docs_and_milestones_to_the_main_channel(make_trac, fresh_chat):
    from trac.ticket.model import Milestone

    trac = make_trac(ROUTING)
    save_page(trac, "Guide", "text")
    assert trac.flush()
    assert streams_of(fresh_chat) == ["docs"]
    milestone = Milestone(trac.env)
    milestone.name = "3.0"
    milestone.insert()
    assert trac.flush()
    assert streams_of(fresh_chat) == ["docs", "trac"]


def test_event_switches_turn_kinds_of_events_off(make_trac, fresh_chat):
    trac = make_trac(TRAC_NOTIFY_ON=["ticket_closed", "milestones"], TRAC_RESOLVE_TOPIC_ON_CLOSE=False)
    ticket = trac.create_ticket()
    trac.change_ticket(ticket, comment="a comment", owner="bob")
    save_page(trac, "Guide", "text")
    assert trac.flush()
    assert fresh_chat.messages() == []
    trac.change_ticket(ticket, status="closed", resolution="wontfix")
    assert "as **wontfix**" in only_message(trac, fresh_chat)["content"]


def test_notify_fields_choose_which_changes_are_worth_a_message(make_trac, fresh_chat):
    trac = make_trac(TRAC_NOTIFY_FIELDS=["milestone"])
    ticket = trac.create_ticket()
    trac.forget_sent(fresh_chat)
    trac.change_ticket(ticket, comment="only a comment", priority="minor")
    assert trac.flush()
    assert fresh_chat.messages() == []
    trac.change_ticket(ticket, milestone="milestone1", owner="bob")
    content = only_message(trac, fresh_chat)["content"]
    assert "* **Milestone**: *(empty)* → milestone1\nalso changed: Owner" in content


def test_topic_templates_can_be_set_per_kind_and_per_configuration(make_trac, fresh_chat):
    trac = make_trac('CONFIGURATIONS = [{"description": "all"}, '
                     '{"description": "one topic", "settings": {"stream": "release", "topic": "trac {kind}s"}}]\n',
                     TRAC_TICKET_TOPIC="{component}: #{id} {summary}", TRAC_WIKI_TOPIC="docs")
    ticket = trac.create_ticket(summary="Slow")
    save_page(trac, "Guide", "text")
    assert trac.flush()
    topics = sorted((m["display_recipient"], m["subject"]) for m in fresh_chat.messages())
    assert topics == [("release", "trac tickets"), ("release", "trac wikis"),
                      ("trac", f"component1: #{ticket.id} Slow"), ("trac", "docs")]


def test_a_topic_naming_a_key_the_event_lacks_falls_back_to_the_default(make_trac, fresh_chat):
    trac = make_trac(TOPIC="{component}")
    save_page(trac, "Guide", "text")
    assert only_message(trac, fresh_chat)["subject"] == "wiki: Guide"
    assert any("cannot be filled" in line for line in trac.log("WARNING"))


def test_long_summaries_are_shortened_to_the_topic_limit(make_trac, fresh_chat):
    trac = make_trac()
    ticket = trac.create_ticket(summary="word " * 30)
    topic = only_message(trac, fresh_chat)["subject"]
    assert len(topic) <= 60 and topic.startswith(f"#{ticket.id}: word word") and topic.endswith("…")


def test_a_condition_that_raises_costs_only_its_own_configuration(make_trac, fresh_chat):
    trac = make_trac('CONFIGURATIONS = [{"description": "fragile", '
                     '"conditions": {"milestone": lambda milestone: float(milestone) >= 1}, '
                     '"settings": {"stream": "release"}}, {"description": "all"}]\n')
    trac.create_ticket(milestone="")
    trac.create_ticket(milestone="2.0")
    assert trac.flush()
    assert streams_of(fresh_chat) == ["release", "trac", "trac"]
    [error] = [line for line in trac.log("ERROR") if "conditions of configuration" in line]
    assert "'fragile'" in error and "on a ticket_created event" in error
