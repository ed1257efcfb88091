"""The client's conversation verbs (edit, move, react, read, render) and RealmRules, against the dev server."""
from __future__ import annotations

import pytest
from wyzepal_notifier import APIError, Client, Message, RetryPolicy
from wyzepal_notifier.client import RealmRules
from wyzepal_notifier.devserver.runner import DevServer

KEY = "conversationkey0123456789abcdefg"
ADMIN_KEY = "adminkey0123456789abcdefghijklmn"
FAST = RetryPolicy(budget=10.0, base=0.05, cap=0.2)


@pytest.fixture
def server():
    with DevServer(streams=["general", "ci"]) as dev:
        dev.add_user("tester@example.com", KEY, full_name="Tester")
        dev.add_user("admin@example.com", ADMIN_KEY, full_name="Admin", bot=False, role="admin")
        yield dev


@pytest.fixture
def client(server):
    with Client(server.site, "tester@example.com", KEY, retry=FAST) as client:
        yield client


def post(client, content="build 7 started", topic="build 7"):
    return client.send_message(Message.to_stream("ci", topic, content))["id"]


def user_id(server, email):
    return next(u.user_id for u in server.store.users() if u.email == email)


def test_update_message_edits_the_content(server, client):
    message_id = post(client)
    client.update_message(message_id, content="build 7 **passed**")
    assert server.message(message_id)["content"] == "build 7 **passed**"
    assert client.get_message(message_id)["content"] == "build 7 **passed**"  # raw Markdown by default
    assert "<strong>passed</strong>" in client.get_message(message_id, apply_markdown=True)["content"]


def test_update_message_moves_and_resolves_a_topic(server, client):
    first = post(client, "one")
    post(client, "two")
    client.update_message(first, topic="build 7 (app)", propagate_mode="change_all",
                          send_notification_to_old_thread=False, send_notification_to_new_thread=False)
    assert [m["content"] for m in server.messages("ci", "build 7 (app)")] == ["one", "two"]
    client.update_message(first, topic="✔ build 7 (app)", propagate_mode="change_all")
    topics = [t["name"] for t in client.get_stream_topics(client.get_stream_id("ci"))]
    assert "✔ build 7 (app)" in topics and "build 7" not in topics


def test_a_refused_edit_is_an_api_error_with_the_servers_reason(server, client):
    server.set_realm(message_content_edit_limit_seconds=60)
    message_id = post(client)
    server.backdate_message(message_id, 120)
    with pytest.raises(APIError) as info:
        client.update_message(message_id, content="too late")
    assert info.value.permanent and "time limit" in str(info.value)
    assert server.message(message_id)["content"] == "build 7 started"


def test_reactions_are_added_and_removed(server, client):
    message_id = post(client)
    client.add_reaction(message_id, "hourglass")
    client.add_reaction(message_id, "octopus")
    assert {r["emoji_name"] for r in server.message(message_id)["reactions"]} == {"hourglass", "octopus"}
    with pytest.raises(APIError) as info:
        client.add_reaction(message_id, "octopus")
    assert info.value.code == "REACTION_ALREADY_EXISTS" and info.value.permanent
    client.remove_reaction(message_id, "hourglass")
    assert [r["emoji_name"] for r in client.get_message(message_id)["reactions"]] == ["octopus"]


def test_the_new_verbs_retry_like_send_message(server, client):
    message_id = post(client)
    server.faults.fail_next(2, status=503, path=f"messages/{message_id}", method="PATCH")
    client.update_message(message_id, content="after two 503s")
    server.faults.fail_next(1, status=429, path=f"messages/{message_id}/reactions", retry_after=1)
    client.add_reaction(message_id, "tada")
    assert server.message(message_id)["content"] == "after two 503s"
    patches = [r.status for r in server.requests if r.method == "PATCH"]
    assert patches == [503, 503, 200]
    assert [r.status for r in server.requests if r.path.endswith("/reactions")] == [429, 200]


def test_render_message_and_get_stream_id(server, client):
    assert "<strong>bold</strong>" in client.render_message("**bold**")
    assert client.get_stream_id("ci") == next(s["stream_id"] for s in client.get_streams() if s["name"] == "ci")
    with pytest.raises(APIError):
        client.get_stream_id("no such channel")


# -- RealmRules --------------------------------------------------------------------------------


def test_realm_settings_read_the_servers_rules_and_delete_the_queue(server, client):
    server.set_realm(message_content_edit_limit_seconds=900, move_messages_within_stream_limit_seconds=None)
    rules = client.get_realm_settings()
    assert isinstance(rules, RealmRules)
    assert rules.zulip_feature_level == server.feature_level
    assert rules.editing_allowed and rules.edit_limit_seconds == 900
    assert rules.move_within_stream_limit_seconds is None  # no limit
    assert rules.max_message_length == 10000 and rules.max_topic_length == 60
    assert rules.empty_topic_allowed
    bot = user_id(server, "tester@example.com")
    assert rules.may_move_topics(bot) and rules.may_resolve_topics(bot)  # "everyone" by default
    assert server.queue_ids() == [], "the register's queue is deleted"


def test_group_settings_are_resolved_through_the_system_groups(server, client):
    bot, admin = user_id(server, "tester@example.com"), user_id(server, "admin@example.com")
    server.set_realm(can_move_messages_between_topics_group="admins", can_resolve_topics_group="moderators",
                     allow_message_editing=False)
    rules = client.get_realm_settings()
    assert not rules.editing_allowed
    assert not rules.may_move_topics(bot) and rules.may_move_topics(admin)
    assert not rules.may_resolve_topics(bot) and rules.may_resolve_topics(admin)  # admins are moderators too
    server.set_realm(can_move_messages_between_topics_group={"direct_members": [bot], "direct_subgroups": []},
                     can_resolve_topics_group={"direct_members": [], "direct_subgroups": ["admins"]})
    rules = client.get_realm_settings()
    assert rules.may_move_topics(bot) and not rules.may_move_topics(admin)
    assert not rules.may_resolve_topics(bot) and rules.may_resolve_topics(admin)


def test_below_level_367_resolving_follows_the_move_permission(server, client):
    bot = user_id(server, "tester@example.com")
    server.feature_level = 350
    server.set_realm(can_move_messages_between_topics_group={"direct_members": [bot], "direct_subgroups": []},
                     can_resolve_topics_group="nobody")  # not sent below 367
    rules = client.get_realm_settings()
    assert rules.may_resolve_topics(bot) and rules.empty_topic_allowed


def test_below_level_316_the_edit_topic_policy_is_read(server, client):
    bot, admin = user_id(server, "tester@example.com"), user_id(server, "admin@example.com")
    server.feature_level = 300
    server.set_realm(can_move_messages_between_topics_group="admins")
    rules = client.get_realm_settings()
    assert rules.move_topics_setting == next(g.id for g in rules.groups.values() if g.name == "role:administrators")
    assert not rules.may_move_topics(bot) and rules.may_move_topics(admin)
    assert not rules.may_resolve_topics(bot)
    assert not rules.empty_topic_allowed  # below 334


def test_rules_from_an_old_or_silent_server():
    old = RealmRules.from_register({"zulip_feature_level": 100, "realm_message_content_edit_limit_seconds": 0,
                                    "realm_edit_topic_policy": 6})
    assert old.edit_limit_seconds is None  # 0 meant "no limit" before level 138
    assert old.move_within_stream_limit_seconds == 3 * 24 * 3600  # the fixed limit before level 162
    assert not old.may_move_topics(5)  # policy 6: nobody, even without the groups
    silent = RealmRules.from_register({"zulip_feature_level": 372, "realm_can_move_messages_between_topics_group": 42})
    assert silent.may_move_topics(5), "an unknown group: the server decides (and the caller hears its refusal)"
    nested = RealmRules.from_register({
        "zulip_feature_level": 372,
        "realm_can_move_messages_between_topics_group": 1,
        "realm_user_groups": [{"id": 1, "name": "a", "members": [10], "direct_subgroup_ids": [2]},
                              {"id": 2, "name": "b", "members": [20], "direct_subgroup_ids": [1]}]})  # a cycle
    assert nested.may_move_topics(10) and nested.may_move_topics(20) and not nested.may_move_topics(30)
