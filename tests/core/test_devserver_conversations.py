"""The dev server's "conversations" API: editing, moving and resolving topics, reactions,
single messages, topics, rendering, local echo and the realm settings that govern them.

Everything goes over HTTP to a running server, as a client (or the outbox) would use it.
"""

from __future__ import annotations

import json
import re

import pytest
import requests

BOT = ("bot@example.com", "x" * 32)
ALICE = ("alice@example.com", "a" * 32)
ADMIN = ("admin@example.com", "d" * 32)
RESOLVED = "✔ "


def api(server, method, path, auth=BOT, **kwargs):
    return requests.request(method, f"{server.api_url}/{path}", auth=auth, timeout=5, **kwargs)


def ok(response):
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["result"] == "success", body
    return body


def error(response, msg=None, code="BAD_REQUEST"):
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["result"] == "error" and body["code"] == code, body
    if msg is not None:
        assert body["msg"] == msg
    return body


def encode(data):
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}


def say(server, to="general", topic="build", content="hello", auth=BOT, **extra):
    data = {"type": "stream", "to": to, "topic": topic, "content": content, **extra}
    return ok(api(server, "POST", "messages", auth=auth, data=data))["id"]


def patch(server, message_id, auth=BOT, **data):
    return api(server, "PATCH", f"messages/{message_id}", auth=auth, data=encode(data))


def get(server, message_id, auth=BOT, **params):
    return ok(api(server, "GET", f"messages/{message_id}", auth=auth, params=encode(params)))["message"]


def register(server, auth=BOT, **data):
    return ok(api(server, "POST", "register", auth=auth, data=encode(data)))


def events(server, queue_id, auth=BOT):
    params = {"queue_id": queue_id, "last_event_id": -1, "dont_block": "true"}
    body = ok(api(server, "GET", "events", auth=auth, params=params))
    return [e for e in body["events"] if e["type"] != "heartbeat"]


def topic_contents(server, stream, topic):
    return [m["content"] for m in server.messages(stream, topic)]


@pytest.fixture
def server(devserver_factory):
    dev = devserver_factory(heartbeat_seconds=10)
    dev.add_user(ALICE[0], ALICE[1], full_name="Alice", bot=False)
    dev.add_user(ADMIN[0], ADMIN[1], full_name="Ada Admin", bot=False, role="admin")
    return dev


# --- content edits ------------------------------------------------------------------------


def test_content_edit_changes_the_message_and_records_history(server):
    message_id = say(server, content="build *started*")
    ok(patch(server, message_id, content="build **passed**"))
    view = get(server, message_id, apply_markdown=False)
    assert view["content"] == "build **passed**"
    assert view["content_type"] == "text/x-markdown"
    [entry] = view["edit_history"]
    assert entry["prev_content"] == "build *started*" and entry["user_id"] == view["sender_id"]
    assert "prev_rendered_content" in entry
    assert view["last_edit_timestamp"] == entry["timestamp"]
    assert "last_moved_timestamp" not in view


def test_content_edit_event_reaches_the_queues_that_saw_the_message(server):
    alice_queue = register(server, auth=ALICE, event_types=["update_message"])["queue_id"]
    message_id = say(server, content="old text")
    ok(patch(server, message_id, content="new text"))
    [event] = events(server, alice_queue, auth=ALICE)
    assert event["type"] == "update_message" and event["rendering_only"] is False
    assert event["message_id"] == message_id and event["message_ids"] == [message_id]
    assert event["orig_content"] == "old text" and event["content"] == "new text"
    assert "new text" in event["rendered_content"] and event["rendered_content"].startswith("<")
    assert event["orig_rendered_content"] != event["rendered_content"]
    assert event["user_id"] == server.store.user_by_email(BOT[0]).user_id
    assert isinstance(event["edit_timestamp"], int) and event["stream_name"] == "general"
    assert "propagate_mode" not in event and "subject" not in event
    assert event["flags"] == []


def test_only_the_sender_edits_content(server):
    message_id = say(server, content="mine")
    error(patch(server, message_id, auth=ALICE, content="hers"), "You don't have permission to edit this message")
    assert server.message(message_id)["content"] == "mine"


def test_nothing_to_change(server):
    message_id = say(server)
    error(patch(server, message_id), "Nothing to change")
    error(patch(server, message_id, topic="build"), "Nothing to change")  # the same topic is no change


def test_editing_an_unknown_or_invisible_message_is_invalid(server):
    error(patch(server, 999999, content="x"), "Invalid message(s)")
    private = ok(server_dm(server))["id"]
    error(patch(server, private, auth=ADMIN, content="x"), "Invalid message(s)")


def server_dm(server):
    data = {"type": "private", "to": json.dumps([ALICE[0]]), "content": "psst"}
    return api(server, "POST", "messages", data=data)


def test_direct_messages_have_no_topics(server):
    private = ok(server_dm(server))["id"]
    error(patch(server, private, topic="t"), "Direct messages cannot have topics.")
    ok(patch(server, private, content="edited"))
    assert server.message(private)["content"] == "edited"


def test_edit_time_limit(server):
    message_id = say(server, content="v1")
    server.set_realm(message_content_edit_limit_seconds=60)
    server.backdate_message(message_id, 70)  # inside Zulip's 20 s grace
    ok(patch(server, message_id, content="v2"))
    server.backdate_message(message_id, 30)
    error(patch(server, message_id, content="v3"), "The time limit for editing this message has past")
    server.set_realm(message_content_edit_limit_seconds=None)
    ok(patch(server, message_id, content="v3"))


def test_editing_turned_off(server):
    message_id = say(server)
    server.set_realm(allow_message_editing=False)
    error(patch(server, message_id, content="x"), "Your organization has turned off message editing")


def test_empty_content_edit_becomes_deleted(server):
    message_id = say(server, content="oops")
    ok(patch(server, message_id, content="  "))
    assert server.message(message_id)["content"] == "(deleted)"


def test_propagate_mode_needs_a_move(server):
    message_id = say(server)
    error(
        patch(server, message_id, content="x", propagate_mode="change_all"), "Invalid propagate_mode without topic edit"
    )
    error(patch(server, message_id, topic="t2", propagate_mode="sideways"), "Invalid propagate_mode")


# --- topic moves ------------------------------------------------------------------------------


@pytest.fixture
def thread(server):
    """Three messages in general > build, a fourth elsewhere."""
    ids = [say(server, topic="build", content=f"m{i}") for i in range(3)]
    say(server, topic="other", content="elsewhere")
    return ids


@pytest.mark.parametrize(
    "mode, index, moved",
    [("change_one", 1, [1]), ("change_later", 1, [1, 2]), ("change_all", 1, [0, 1, 2])],
)
def test_each_propagate_mode_moves_its_messages(server, thread, mode, index, moved):
    queue = register(server, auth=ALICE, event_types=["update_message"])["queue_id"]
    ok(patch(server, thread[index], topic="deploy", propagate_mode=mode))
    in_new = server.messages("general", "deploy")
    assert [m["id"] for m in in_new[:-1]] == [thread[i] for i in moved]
    assert in_new[-1]["sender_email"] == "notification-bot@zulip.com"  # send_notification_to_new_thread defaults on
    [event] = events(server, queue, auth=ALICE)
    assert event["message_ids"] == [thread[i] for i in moved]
    assert event["propagate_mode"] == mode
    assert event["orig_subject"] == "build" and event["subject"] == "deploy"
    assert event["topic_links"] == [] and event["stream_id"] == server.store.stream_by_name("general").stream_id
    assert "orig_content" not in event
    moved_view = get(server, thread[index])
    assert moved_view["edit_history"][0]["prev_topic"] == "build"
    assert moved_view["edit_history"][0]["topic"] == "deploy"
    assert "last_moved_timestamp" in moved_view and "last_edit_timestamp" not in moved_view


def test_move_notifications_to_the_old_and_new_thread(server, thread):
    ok(
        patch(
            server,
            thread[0],
            topic="deploy",
            propagate_mode="change_all",
            send_notification_to_old_thread=True,
            send_notification_to_new_thread=True,
        )
    )
    bot_id = server.store.user_by_email(BOT[0]).user_id
    mention = f"@_**Test Bot|{bot_id}**"
    assert topic_contents(server, "general", "build") == [f"This topic was moved to #**general>deploy** by {mention}."]
    assert topic_contents(server, "general", "deploy")[-1] == (
        f"This topic was moved here from #**general>build** by {mention}."
    )
    notices = server.messages("general")
    assert {m["sender_email"] for m in notices if "moved" in m["content"]} == {"notification-bot@zulip.com"}


def test_partial_move_notifications_count_messages(server, thread):
    ok(patch(server, thread[1], topic="deploy", propagate_mode="change_later", send_notification_to_old_thread=True))
    mention = f"@_**Test Bot|{server.store.user_by_email(BOT[0]).user_id}**"
    assert topic_contents(server, "general", "build")[-1] == (
        f"2 messages were moved from this topic to #**general>deploy** by {mention}."
    )
    assert topic_contents(server, "general", "deploy")[-1] == (
        f"2 messages were moved here from #**general>build** by {mention}."
    )
    ok(patch(server, thread[0], topic="one", send_notification_to_new_thread=True))
    notice = topic_contents(server, "general", "one")[-1]
    assert notice.startswith("[A message](http://") and f"/near/{thread[0]}) was moved here" in notice


def test_no_notifications_when_both_are_off(server, thread):
    ok(patch(server, thread[0], topic="quiet", propagate_mode="change_all", send_notification_to_new_thread=False))
    assert topic_contents(server, "general", "quiet") == ["m0", "m1", "m2"]
    assert topic_contents(server, "general", "build") == []


def test_moving_to_another_channel(server, thread):
    ci = server.store.stream_by_name("ci").stream_id
    queue = register(server, auth=ALICE, event_types=["update_message"])["queue_id"]
    ok(patch(server, thread[0], stream_id=ci, propagate_mode="change_all", send_notification_to_new_thread=False))
    assert [m["id"] for m in server.messages("ci", "build")] == thread
    [event] = events(server, queue, auth=ALICE)
    assert event["new_stream_id"] == ci and event["orig_subject"] == "build" and "subject" not in event
    assert get(server, thread[0])["edit_history"][0]["prev_stream"] != ci
    error(patch(server, thread[0], stream_id=ci, content="x"), "Cannot change message content while changing channel")


def test_empty_topic_is_valid_at_this_level(server, thread):
    ok(patch(server, thread[0], topic="", propagate_mode="change_one", send_notification_to_new_thread=False))
    assert server.message(thread[0])["subject"] == ""
    assert get(server, thread[0])["subject"] == "general chat"
    assert get(server, thread[0], allow_empty_topic_name=True)["subject"] == ""


def test_topic_move_permission(server, thread):
    server.set_realm(can_move_messages_between_topics_group="admins")
    error(patch(server, thread[0], auth=ALICE, topic="x"), "You don't have permission to edit this message")
    ok(patch(server, thread[0], auth=ADMIN, topic="x"))
    server.set_realm(can_move_messages_between_topics_group="nobody")
    error(patch(server, thread[1], auth=ADMIN, topic="x"), "You don't have permission to edit this message")


def test_group_setting_as_an_object_of_members(server, thread):
    alice_id = server.store.user_by_email(ALICE[0]).user_id
    server.set_realm(can_move_messages_between_topics_group={"direct_members": [alice_id], "direct_subgroups": []})
    ok(patch(server, thread[0], auth=ALICE, topic="x"))
    error(patch(server, thread[1], auth=BOT, topic="x"), "You don't have permission to edit this message")


def test_channel_move_permission(server, thread):
    server.set_realm(can_move_messages_between_channels_group="admins")
    ci = server.store.stream_by_name("ci").stream_id
    error(patch(server, thread[0], stream_id=ci), "You don't have permission to move this message")
    ok(patch(server, thread[0], auth=ADMIN, stream_id=ci))


def test_topic_move_time_limit(server, thread):
    server.set_realm(move_messages_within_stream_limit_seconds=60)
    server.backdate_message(thread[0], 100)
    error(patch(server, thread[0], topic="late"), "The time limit for editing this message's topic has passed.")
    ok(patch(server, thread[0], auth=ADMIN, topic="late"))  # administrators are exempt


def test_change_all_beyond_the_move_limit_is_move_messages_time_limit_exceeded(server, thread):
    server.set_realm(move_messages_within_stream_limit_seconds=60)
    server.backdate_message(thread[0], 100)
    body = error(
        patch(server, thread[2], topic="late", propagate_mode="change_all"), code="MOVE_MESSAGES_TIME_LIMIT_EXCEEDED"
    )
    assert body["msg"] == "You only have permission to move the 2/3 most recent messages in this topic."
    assert body["first_message_id_allowed_to_move"] == thread[1]
    assert body["total_messages_in_topic"] == 3 and body["total_messages_allowed_to_move"] == 2
    assert topic_contents(server, "general", "build") == ["m0", "m1", "m2"]  # nothing moved
    ok(patch(server, thread[1], topic="late", propagate_mode="change_later"))  # what the error suggests


# --- resolving --------------------------------------------------------------------------------------


def test_resolve_and_unresolve_post_zulips_notices(server, thread):
    queue = register(server, auth=ALICE, event_types=["update_message", "message"])["queue_id"]
    ok(patch(server, thread[0], topic=RESOLVED + "build", propagate_mode="change_all"))
    bot_id = server.store.user_by_email(BOT[0]).user_id
    resolved = topic_contents(server, "general", RESOLVED + "build")
    assert resolved == ["m0", "m1", "m2", f"@_**Test Bot|{bot_id}** has marked this topic as resolved."]
    assert server.messages("general", RESOLVED + "build")[-1]["sender_full_name"] == "Notification Bot"
    kinds = [e["type"] for e in events(server, queue, auth=ALICE)]
    assert kinds == ["update_message", "message"]  # the move, then the notice (no "moved here" notice)
    view = get(server, thread[0])
    assert "last_moved_timestamp" not in view  # resolving is not a move
    ok(patch(server, thread[0], topic="build", propagate_mode="change_all"))
    assert (
        topic_contents(server, "general", "build")[-1]
        == f"@_**Test Bot|{bot_id}** has marked this topic as unresolved."
    )


def test_the_empty_topic_cannot_be_resolved(server):
    message_id = say(server, topic="")
    error(
        patch(server, message_id, topic=RESOLVED, propagate_mode="change_all"),
        "General chat cannot be marked as resolved",
    )
    error(
        patch(server, message_id, topic=RESOLVED + "general chat", propagate_mode="change_all"),
        "General chat cannot be marked as resolved",
    )


def test_resolve_permission_is_its_own_group(server, thread):
    server.set_realm(can_resolve_topics_group="admins", can_move_messages_between_topics_group="everyone")
    error(
        patch(server, thread[0], topic=RESOLVED + "build", propagate_mode="change_all"),
        "You don't have permission to resolve topics in this channel.",
    )
    ok(patch(server, thread[0], topic="renamed", propagate_mode="change_all"))  # moving is still allowed
    server.set_realm(can_resolve_topics_group="everyone", can_move_messages_between_topics_group="nobody")
    ok(patch(server, thread[0], topic=RESOLVED + "renamed", propagate_mode="change_all"))


def test_resolving_old_topics_ignores_the_move_limit(server, thread):
    server.set_realm(move_messages_within_stream_limit_seconds=60)
    server.backdate_message(thread[0], 1000)
    ok(patch(server, thread[2], topic=RESOLVED + "build", propagate_mode="change_all"))


# --- feature levels ----------------------------------------------------------------------------------------


def test_below_level_367_resolving_follows_the_move_permission_and_limits(devserver_factory):
    server = devserver_factory(feature_level=366, realm={"can_move_messages_between_topics_group": "nobody"})
    message_id = say(server)
    error(
        patch(server, message_id, topic=RESOLVED + "build", propagate_mode="change_all"),
        "You don't have permission to edit this message",
    )
    state = register(server, fetch_event_types=["realm"])
    assert "realm_can_resolve_topics_group" not in state
    assert state["realm_can_move_messages_between_topics_group"] == 1
    server.set_realm(can_move_messages_between_topics_group="everyone", move_messages_within_stream_limit_seconds=60)
    server.backdate_message(message_id, 1000)
    error(
        patch(server, message_id, topic=RESOLVED + "build", propagate_mode="change_all"),
        "The time limit for editing this message's topic has passed.",
    )


def test_below_level_334_the_empty_topic_is_refused(devserver_factory):
    server = devserver_factory(feature_level=333)
    response = api(server, "POST", "messages", data={"type": "stream", "to": "general", "topic": "", "content": "x"})
    error(response, "Topic can't be empty!")
    response = api(server, "POST", "messages", data={"type": "stream", "to": "general", "content": "x"})
    error(response, "Missing topic")
    message_id = say(server)
    error(patch(server, message_id, topic=""), "Topic can't be empty")
    state = register(server, fetch_event_types=["realm"])
    assert "realm_empty_topic_display_name" not in state
    assert state["zulip_feature_level"] == 333
    assert ok(api(server, "GET", "server_settings", auth=None))["zulip_feature_level"] == 333


def test_below_level_370_no_topic_is_a_topic_name(devserver_factory):
    old = devserver_factory(feature_level=369)
    assert old.message(say(old, topic="(no topic)"))["subject"] == "(no topic)"
    new = devserver_factory()
    assert new.message(say(new, topic="(no topic)"))["subject"] == ""


def test_below_level_316_edit_topic_policy_replaces_the_group(devserver_factory):
    server = devserver_factory(feature_level=315, realm={"can_move_messages_between_topics_group": "admins"})
    state = register(server, fetch_event_types=["realm"])
    assert state["realm_edit_topic_policy"] == 2  # 2 = administrators
    assert "realm_can_move_messages_between_topics_group" not in state
    server.set_realm(can_move_messages_between_topics_group="everyone")
    assert register(server, fetch_event_types=["realm"])["realm_edit_topic_policy"] == 5


# --- realm settings in /register, over the control API, and their events ------------------------------------


def test_register_returns_the_editing_settings_and_system_groups(server):
    state = register(server)  # no fetch_event_types: everything
    assert state["realm_allow_message_editing"] is True
    assert state["realm_message_content_edit_limit_seconds"] == 600
    assert state["realm_move_messages_within_stream_limit_seconds"] == 604800
    assert state["realm_move_messages_between_streams_limit_seconds"] == 604800
    assert state["realm_empty_topic_display_name"] == "general chat"
    groups = {g["name"]: g for g in state["realm_user_groups"]}
    assert state["realm_can_move_messages_between_topics_group"] == groups["role:everyone"]["id"]
    assert state["realm_can_resolve_topics_group"] == groups["role:everyone"]["id"]
    assert state["realm_can_move_messages_between_channels_group"] == groups["role:members"]["id"]
    admin_id = server.store.user_by_email(ADMIN[0]).user_id
    assert groups["role:administrators"]["members"] == [admin_id]
    assert groups["role:administrators"]["direct_subgroup_ids"] == [groups["role:owners"]["id"]]
    assert all(g["is_system_group"] for g in groups.values())
    assert groups["role:nobody"]["members"] == [] and groups["role:nobody"]["direct_subgroup_ids"] == []
    only_groups = register(server, fetch_event_types=["realm_user_groups"])
    assert "realm_user_groups" in only_groups and "realm_allow_message_editing" not in only_groups


def test_control_api_sets_and_reads_realm_settings_and_pushes_update_dict(server):
    queue = register(server, event_types=["realm"])["queue_id"]
    response = requests.post(
        f"{server.site}/devserver/realm",
        json={"message_content_edit_limit_seconds": None, "realm_can_move_messages_between_topics_group": "admins"},
        timeout=5,
    )
    data = ok(response)["realm"]
    assert data["message_content_edit_limit_seconds"] is None and data["can_move_messages_between_topics_group"] == 3
    assert ok(requests.get(f"{server.site}/devserver/realm", timeout=5))["realm"] == data
    [event] = events(server, queue)
    assert event == {
        "type": "realm",
        "op": "update_dict",
        "property": "default",
        "data": {"message_content_edit_limit_seconds": None, "can_move_messages_between_topics_group": 3},
        "id": 0,
    }
    error(requests.post(f"{server.site}/devserver/realm", json={"can_resolve_topics_group": "wizards"}, timeout=5))
    error(requests.post(f"{server.site}/devserver/realm", json={"frobnicate": True}, timeout=5))
    assert register(server, fetch_event_types=["realm"])["realm_can_resolve_topics_group"] == 7  # unchanged


def test_control_api_backdates_messages(server):
    message_id = say(server)
    before = server.message(message_id)["timestamp"]
    ok(
        requests.post(
            f"{server.site}/devserver/messages/backdate", data={"message_id": message_id, "seconds": 90}, timeout=5
        )
    )
    assert server.message(message_id)["timestamp"] == before - 90


# --- reactions ---------------------------------------------------------------------------------------


def test_reactions_add_show_and_remove_with_events(server):
    message_id = say(server)
    queue = register(server, auth=ALICE, event_types=["reaction"])["queue_id"]
    ok(api(server, "POST", f"messages/{message_id}/reactions", data={"emoji_name": "white_check_mark"}))
    ok(api(server, "POST", f"messages/{message_id}/reactions", auth=ALICE, data={"emoji_name": "+1"}))
    bot_id = server.store.user_by_email(BOT[0]).user_id
    reactions = get(server, message_id)["reactions"]
    assert reactions[0] == {
        "emoji_name": "white_check_mark",
        "emoji_code": "2705",
        "reaction_type": "unicode_emoji",
        "user_id": bot_id,
    }
    assert reactions[1]["emoji_code"] == "1f44d"
    listed = ok(api(server, "GET", "messages", params={"anchor": "newest", "num_before": 1, "num_after": 0}))
    assert listed["messages"][0]["reactions"] == reactions
    ok(api(server, "DELETE", f"messages/{message_id}/reactions", data={"emoji_name": "white_check_mark"}))
    assert [r["emoji_name"] for r in get(server, message_id)["reactions"]] == ["+1"]
    added, _, removed = events(server, queue, auth=ALICE)
    assert added["type"] == "reaction" and added["op"] == "add" and added["message_id"] == message_id
    assert (added["emoji_name"], added["emoji_code"], added["reaction_type"], added["user_id"]) == (
        "white_check_mark",
        "2705",
        "unicode_emoji",
        bot_id,
    )
    assert removed["op"] == "remove" and removed["emoji_name"] == "white_check_mark"


@pytest.mark.parametrize(
    "name, code",
    [
        (n, c)
        for n, c in [
            ("hourglass", "231b"),
            ("warning", "26a0"),
            ("octagonal_sign", "1f6d1"),
            ("x", "274c"),
            ("tada", "1f389"),
            ("heavy_check_mark", "2714"),
            ("red_circle", "1f534"),
            ("large_green_circle", "1f7e2"),
            ("construction", "1f6a7"),
            ("repeat", "1f501"),
            ("stop_sign", "1f6d1"),
            ("eyes", "1f440"),
            ("thumbs_up", "1f44d"),
        ]
    ],
)
def test_common_emoji_names_resolve_to_their_codes(server, name, code):
    message_id = say(server)
    ok(api(server, "POST", f"messages/{message_id}/reactions", data={"emoji_name": name}))
    assert get(server, message_id)["reactions"][0]["emoji_code"] == code


def test_reaction_errors(server):
    message_id = say(server)
    url = f"messages/{message_id}/reactions"
    ok(api(server, "POST", url, data={"emoji_name": "tada"}))
    error(api(server, "POST", url, data={"emoji_name": "tada"}), "Reaction already exists.", "REACTION_ALREADY_EXISTS")
    error(api(server, "DELETE", url, data={"emoji_name": "eyes"}), "Reaction doesn't exist.", "REACTION_DOES_NOT_EXIST")
    error(api(server, "POST", url, data={"emoji_name": "no_such_emoji"}), "Emoji 'no_such_emoji' does not exist")
    error(api(server, "POST", url, data={"emoji_name": "tada", "emoji_code": "zzzz"}), "Invalid emoji code")
    error(api(server, "POST", url, data={}), code="REQUEST_VARIABLE_MISSING")
    error(api(server, "POST", "messages/999999/reactions", data={"emoji_name": "tada"}), "Invalid message(s)")
    # the same emoji by code and type, as clients voting on an existing reaction send it
    ok(api(server, "DELETE", url, data={"emoji_name": "tada", "emoji_code": "1f389", "reaction_type": "unicode_emoji"}))


# --- single messages, topics, render -------------------------------------------------------------------


def test_get_one_message_rendered_or_raw(server):
    message_id = say(server, content="**bold**")
    body = ok(api(server, "GET", f"messages/{message_id}"))
    assert body["raw_content"] == "**bold**"
    assert body["message"]["content_type"] == "text/html" and body["message"]["content"].startswith("<p>")
    assert body["message"]["flags"] == ["read"]
    raw = get(server, message_id, apply_markdown=False)
    assert raw["content"] == "**bold**" and raw["content_type"] == "text/x-markdown"
    error(api(server, "GET", "messages/999999"), "Invalid message(s)")


def test_message_history_lists_versions_oldest_first(server):
    message_id = say(server, topic="a", content="v1")
    ok(patch(server, message_id, content="v2"))
    ok(patch(server, message_id, topic="b"))
    history = ok(api(server, "GET", f"messages/{message_id}/history"))["message_history"]
    assert [(h["topic"], h["content"]) for h in history] == [("a", "v1"), ("a", "v2"), ("b", "v2")]
    assert history[1]["prev_content"] == "v1" and history[2]["prev_topic"] == "a"


def test_topics_newest_first_with_their_max_id(server):
    first = say(server, topic="alpha")
    second = say(server, topic="beta")
    third = say(server, topic="alpha")
    say(server, to="ci", topic="gamma")
    stream_id = server.store.stream_by_name("general").stream_id
    topics = ok(api(server, "GET", f"users/me/{stream_id}/topics"))["topics"]
    assert topics == [{"max_id": third, "name": "alpha"}, {"max_id": second, "name": "beta"}]
    assert first < second
    error(api(server, "GET", "users/me/999999/topics"), "Invalid channel ID")


def test_render_returns_html(server):
    body = ok(api(server, "POST", "messages/render", data={"content": "hello <world>"}))
    assert "hello &lt;world&gt;" in body["rendered"] and body["rendered"].startswith("<p>")
    error(api(server, "POST", "messages/render", data={}), code="REQUEST_VARIABLE_MISSING")


# --- local echo, apply_markdown in events ----------------------------------------------------------------


def test_local_id_reaches_the_senders_queue_only(server):
    mine = register(server, event_types=["message"])["queue_id"]
    other = register(server, event_types=["message"])["queue_id"]
    say(server, content="echo", queue_id=mine, local_id="100.01")
    [event] = events(server, mine)
    assert event["local_message_id"] == "100.01"
    [plain] = events(server, other)
    assert "local_message_id" not in plain
    response = api(
        server,
        "POST",
        "messages",
        data={"type": "stream", "to": "general", "topic": "t", "content": "x", "queue_id": mine},
    )
    error(response, code="REQUEST_VARIABLE_MISSING")


def test_the_senders_queue_gets_its_message_even_outside_its_narrow(server):
    narrow = [{"operator": "channel", "operand": "ci"}]
    queue = register(server, event_types=["message"], narrow=narrow)["queue_id"]
    say(server, to="general", content="elsewhere", queue_id=queue, local_id="1")
    assert events(server, queue) == []  # the narrow still filters (Zulip checks accepts_event)


def test_message_events_are_rendered_for_apply_markdown_queues(server):
    html_queue = register(server, event_types=["message"], apply_markdown=True)["queue_id"]
    raw_queue = register(server, event_types=["message"], apply_markdown=False)["queue_id"]
    say(server, content="a <b>")
    [rendered] = events(server, html_queue)
    [raw] = events(server, raw_queue)
    assert rendered["message"]["content_type"] == "text/html" and "&lt;b&gt;" in rendered["message"]["content"]
    assert raw["message"]["content_type"] == "text/x-markdown" and raw["message"]["content"] == "a <b>"


def test_empty_topic_name_capability_in_events(server):
    capable = register(server, event_types=["message"], client_capabilities={"empty_topic_name": True})["queue_id"]
    legacy = register(server, event_types=["message"])["queue_id"]
    say(server, topic="")
    assert events(server, capable)[0]["message"]["subject"] == ""
    assert events(server, legacy)[0]["message"]["subject"] == "general chat"


# --- who hears about edits; the command line's realm flags ----------------------------------------------


def test_update_and_reaction_events_skip_users_who_cannot_see_the_message(server):
    data = {"subscriptions": json.dumps([{"name": "secret"}]), "invite_only": "true"}
    ok(api(server, "POST", "users/me/subscriptions", data=data))  # a private channel only the bot is in
    outsider = register(server, auth=ALICE, event_types=["update_message", "reaction"])["queue_id"]
    insider = register(server, event_types=["update_message", "reaction"])["queue_id"]
    message_id = say(server, to="secret", content="hush")
    ok(patch(server, message_id, content="still hush"))
    ok(api(server, "POST", f"messages/{message_id}/reactions", data={"emoji_name": "eyes"}))
    assert [e["type"] for e in events(server, insider)] == ["update_message", "reaction"]
    assert events(server, outsider, auth=ALICE) == []
    error(api(server, "GET", f"messages/{message_id}", auth=ALICE), "Invalid message(s)")


def _cli_server(*argv):
    import argparse

    from wyzepal_notifier.devserver.cli import build_server
    from wyzepal_notifier.devserver.options import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return build_server(parser.parse_args(["--port", "0", "--user", f"{BOT[0]}:{BOT[1]}", *argv]), env={})


def test_command_line_flags_set_the_realm(devserver_factory):
    server = _cli_server(
        "--edit-limit",
        "none",
        "--move-limit",
        "120",
        "--no-allow-editing",
        "--move-topics-group",
        "admins",
        "--resolve-topics-group",
        "nobody",
        "--feature-level",
        "370",
    ).start()
    try:
        state = register(server)
        assert state["zulip_feature_level"] == 370
        assert state["realm_message_content_edit_limit_seconds"] is None
        assert state["realm_move_messages_within_stream_limit_seconds"] == 120
        assert state["realm_move_messages_between_streams_limit_seconds"] == 120
        assert state["realm_allow_message_editing"] is False
        assert state["realm_can_move_messages_between_topics_group"] == 3
        assert state["realm_can_resolve_topics_group"] == 1
    finally:
        server.close()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--feature-level", "999"], "--feature-level: 999 is not between 1 and 372"),
        (["--edit-limit", "soon"], "Invalid message_content_edit_limit_seconds: 'soon'"),
        (["--move-topics-group", "wizards"], "Unknown user group 'wizards'"),
    ],
)
def test_bad_realm_flags_are_one_clear_line(argv, message):
    with pytest.raises(SystemExit, match=re.escape(message)):
        _cli_server(*argv)


def test_control_api_changes_the_feature_level(server):
    data = ok(requests.post(f"{server.site}/devserver/realm", json={"zulip_feature_level": 316}, timeout=5))
    assert data["zulip_feature_level"] == 316 and "can_resolve_topics_group" not in data["realm"]
    assert register(server)["zulip_feature_level"] == 316


# --- more of Zulip's details ----------------------------------------------------------------------------


def test_moving_to_another_channel_while_resolving_notifies_the_new_channel(server, thread):
    ci = server.store.stream_by_name("ci").stream_id
    ok(patch(server, thread[0], stream_id=ci, topic=RESOLVED + "build", propagate_mode="change_all"))
    bot_id = server.store.user_by_email(BOT[0]).user_id
    contents = topic_contents(server, "ci", RESOLVED + "build")
    assert contents[:3] == ["m0", "m1", "m2"]
    assert contents[3] == f"@_**Test Bot|{bot_id}** has marked this topic as resolved."
    assert contents[4].startswith("This topic was moved here from #**general>build**")  # a channel move is news


def test_direct_message_edits_reach_only_its_participants(server):
    alice = register(server, auth=ALICE, event_types=["update_message"])["queue_id"]
    admin = register(server, auth=ADMIN, event_types=["update_message"])["queue_id"]
    private = ok(server_dm(server))["id"]
    ok(patch(server, private, content="psst, edited"))
    [event] = events(server, alice, auth=ALICE)
    assert event["content"] == "psst, edited" and "stream_id" not in event and "stream_name" not in event
    assert events(server, admin, auth=ADMIN) == []


def test_update_events_show_the_empty_topic_as_the_client_can(server, thread):
    capable = register(server, event_types=["update_message"], client_capabilities={"empty_topic_name": True})
    legacy = register(server, event_types=["update_message"])
    ok(patch(server, thread[0], topic="", send_notification_to_new_thread=False))
    assert events(server, capable["queue_id"])[0]["subject"] == ""
    assert events(server, legacy["queue_id"])[0]["subject"] == "general chat"


def test_before_level_365_last_edit_timestamp_counts_moves(devserver_factory):
    server = devserver_factory(feature_level=364)
    message_id = say(server)
    ok(patch(server, message_id, topic="moved"))
    view = get(server, message_id)
    assert view["last_edit_timestamp"] == view["edit_history"][0]["timestamp"]
    assert "last_moved_timestamp" not in view


@pytest.mark.parametrize("level, has_user", [(372, True), (330, False), (327, True)])
def test_reaction_events_carry_the_deprecated_user_object_where_the_level_had_it(devserver_factory, level, has_user):
    server = devserver_factory(feature_level=level)
    message_id = say(server)
    queue = register(server, event_types=["reaction"])["queue_id"]
    ok(api(server, "POST", f"messages/{message_id}/reactions", data={"emoji_name": "tada"}))
    [event] = events(server, queue)
    assert ("user" in event) is has_user
    if has_user:
        assert event["user"]["email"] == BOT[0]


def test_system_groups_nest_by_role(server):
    groups = {g["name"]: g for g in register(server, fetch_event_types=["realm_user_groups"])["realm_user_groups"]}
    by_id = {g["id"]: g for g in groups.values()}

    def everyone_in(name):
        group = groups[name]
        found = set(group["members"])
        for sub in group["direct_subgroup_ids"]:
            found |= everyone_in(by_id[sub]["name"])
        return found

    ids = {email: server.store.user_by_email(email).user_id for email in (BOT[0], ALICE[0], ADMIN[0])}
    assert everyone_in("role:everyone") == set(ids.values())
    assert everyone_in("role:members") == set(ids.values())
    assert everyone_in("role:moderators") == {ids[ADMIN[0]]}
    assert everyone_in("role:nobody") == set()


def test_message_history_errors(server):
    message_id = say(server)
    error(api(server, "GET", "messages/999999/history"), "Invalid message(s)")
    server.set_realm(allow_edit_history=False)
    error(api(server, "GET", f"messages/{message_id}/history"), "Message edit history is disabled in this organization")
    ok(patch(server, message_id, content="edited"))
    assert "edit_history" not in get(server, message_id)  # not shown when the organisation hides it


def test_moving_to_a_channel_that_does_not_exist_or_by_a_bad_id(server, thread):
    error(patch(server, thread[0], stream_id=999999), "Invalid channel ID")
    error(api(server, "PATCH", f"messages/{thread[0]}", data={"stream_id": '"ci"'}), "stream_id is not an integer")
