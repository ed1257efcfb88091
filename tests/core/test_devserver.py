"""The dev server's REST API over real loopback HTTP: shapes, errors, narrows, the zulip client."""

from __future__ import annotations

import json

import pytest
import requests

BOT = ("bot@example.com", "x" * 32)
HUMAN = ("alice@example.com", "a" * 32)


def api(server, method, path, auth=BOT, **kwargs):
    return requests.request(method, f"{server.api_url}/{path}", auth=auth, timeout=5, **kwargs)


def send(server, auth=BOT, **data):
    data.setdefault("type", "stream")
    response = api(server, "POST", "messages", auth=auth, data=data)
    return response


def fetch(server, auth=BOT, narrow=None, anchor="newest", num_before=100, num_after=0, **params):
    params.update(anchor=anchor, num_before=num_before, num_after=num_after, apply_markdown="false")
    if narrow is not None:
        params["narrow"] = json.dumps(narrow)
    response = api(server, "GET", "messages", auth=auth, params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def server(devserver):
    devserver.add_user(HUMAN[0], HUMAN[1], full_name="Alice", bot=False)
    return devserver


# --- server settings and authentication ----------------------------------------------


def test_server_settings_needs_no_auth_and_reports_versions_and_limits(server):
    response = requests.get(f"{server.api_url}/server_settings", timeout=5)
    body = response.json()
    assert response.status_code == 200 and body["result"] == "success" and body["msg"] == ""
    assert body["zulip_feature_level"] == 372
    assert body["zulip_version"] and body["zulip_merge_base"]
    assert "max_message_length" not in body  # limits are in POST /register, not here (the spec)
    assert body["realm_url"] == body["realm_uri"] == server.site
    assert body["realm_name"] and body["push_notifications_enabled"] is False
    assert body["authentication_methods"]["password"] is True


def test_missing_credentials_are_401_unauthorized_with_a_challenge(server):
    response = requests.get(f"{server.api_url}/users/me", timeout=5)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED" and response.json()["result"] == "error"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("auth", [(BOT[0], "wrong-key"), ("nobody@example.com", BOT[1]), (HUMAN[0], BOT[1])], ids=str)
def test_wrong_credentials_are_401_with_the_spec_code(server, auth):
    response = api(server, "GET", "users/me", auth=auth)
    assert response.status_code == 401
    assert response.json() == {"result": "error", "msg": "Invalid API key", "code": "INVALID_API_KEY"}
    assert "WWW-Authenticate" in response.headers


def test_deactivated_user_is_401_user_deactivated(server):
    server.deactivate_user(HUMAN[0])
    response = api(server, "GET", "users/me", auth=HUMAN)
    assert response.status_code == 401 and response.json()["code"] == "USER_DEACTIVATED"


def test_users_me_and_users(server):
    me = api(server, "GET", "users/me").json()
    assert me["email"] == BOT[0] and me["full_name"] == "Test Bot" and me["is_bot"] is True
    assert isinstance(me["user_id"], int) and me["role"] == 400
    members = api(server, "GET", "users").json()["members"]
    assert {m["email"]: m["is_bot"] for m in members} == {BOT[0]: True, HUMAN[0]: False}


def test_unknown_endpoint_is_a_json_404(server):
    response = api(server, "GET", "no/such/thing")
    assert response.status_code == 404 and response.json()["result"] == "error"


# --- sending ------------------------------------------------------------------------


@pytest.mark.parametrize("msg_type", ["stream", "channel"])
@pytest.mark.parametrize("to", ["general", "General", "1", '["general"]'])
def test_channel_message_by_name_or_id_is_stored(server, msg_type, to):
    response = send(server, type=msg_type, to=to, topic="builds", content="hello")
    assert response.status_code == 200
    body = response.json()
    assert body["result"] == "success" and body["msg"] == "" and isinstance(body["id"], int)
    [stored] = server.messages(stream="general", topic="builds")
    assert stored["id"] == body["id"] and stored["content"] == "hello"


def test_legacy_subject_parameter_names_the_topic(server):
    send(server, to="ci", subject="legacy", content="old client")
    assert [m["subject"] for m in server.messages(stream="ci")] == ["legacy"]


def test_get_messages_has_the_spec_message_shape(server):
    message_id = send(server, to="general", topic="t", content="**bold**").json()["id"]
    body = fetch(server)
    assert body["found_newest"] and body["found_oldest"] and not body["found_anchor"]
    [message] = body["messages"]
    assert message["id"] == message_id
    assert message["type"] == "stream" and message["display_recipient"] == "general"
    assert message["stream_id"] == 1 and message["subject"] == "t" and message["content"] == "**bold**"
    assert message["sender_email"] == BOT[0] and message["sender_full_name"] == "Test Bot"
    assert message["sender_id"] == api(server, "GET", "users/me").json()["user_id"]
    assert isinstance(message["timestamp"], int) and message["client"] == "python-requests"
    assert message["flags"] == ["read"] and message["reactions"] == [] and "recipient_id" in message


def test_content_is_rendered_to_html_by_default(server):
    send(server, to="general", topic="t", content="a < b")
    params = {"anchor": "newest", "num_before": 1, "num_after": 0}
    [message] = api(server, "GET", "messages", params=params).json()["messages"]
    assert message["content"] == "<p>a &lt; b</p>" and message["content_type"] == "text/html"


@pytest.mark.parametrize("msg_type", ["direct", "private"])
@pytest.mark.parametrize("to", [json.dumps([HUMAN[0]]), json.dumps([2]), HUMAN[0], f"{HUMAN[0]},"])
def test_direct_message_to_emails_or_ids(server, msg_type, to):
    response = send(server, type=msg_type, to=to, content="psst")
    assert response.status_code == 200, response.text
    [message] = fetch(server, auth=HUMAN, narrow=[["is", "dm"]])["messages"]
    assert message["type"] == "private" and message["subject"] == "" and "stream_id" not in message
    assert [(u["email"], u["full_name"]) for u in message["display_recipient"]] == [
        (BOT[0], "Test Bot"),
        (HUMAN[0], "Alice"),
    ]


def test_unknown_channel_is_stream_does_not_exist_with_its_name(server):
    response = send(server, to="nope", topic="t", content="x")
    assert response.status_code == 400
    assert response.json() == {
        "result": "error",
        "code": "STREAM_DOES_NOT_EXIST",
        "msg": "Channel 'nope' does not exist (dev server: start it with --stream NAME or --config PLUGIN_CONFIG,"
        " or POST /devserver/streams name=NAME)",
        "stream": "nope",
    }
    by_id = send(server, to="99", topic="t", content="x").json()
    assert by_id["code"] == "STREAM_DOES_NOT_EXIST" and by_id["msg"].startswith("Channel with ID '99' does not exist")
    assert server.messages() == []


def test_unknown_direct_recipient_is_400(server):
    response = send(server, type="direct", to=json.dumps(["ghost@example.com"]), content="x")
    assert response.status_code == 400 and response.json()["msg"] == "Invalid email 'ghost@example.com'"


@pytest.mark.parametrize("content", ["", "   ", "\n\n"])
def test_empty_content_is_400_bad_request(server, content):
    response = send(server, to="general", topic="t", content=content)
    assert response.status_code == 400 and response.json()["code"] == "BAD_REQUEST"


def test_missing_content_is_400_request_variable_missing(server):
    response = send(server, to="general", topic="t")
    assert response.status_code == 400
    assert response.json()["code"] == "REQUEST_VARIABLE_MISSING" and response.json()["var_name"] == "content"


def test_invalid_message_type_is_400(server):
    assert send(server, type="fax", to="general", content="x").status_code == 400


def test_long_topic_and_content_are_truncated_like_zulip(server):
    send(server, to="general", topic="t" * 100, content="c" * 10050)
    [message] = server.messages()
    assert len(message["subject"]) == 60 and message["subject"].endswith("…")
    assert len(message["content"]) == 10000 and message["content"].endswith("\n[message truncated]")


# --- channels and subscriptions ----------------------------------------------------------


def test_streams_and_subscriptions_list_the_channels(server):
    streams = api(server, "GET", "streams").json()["streams"]
    assert [(s["stream_id"], s["name"], s["invite_only"]) for s in streams] == [
        (1, "general", False),
        (2, "ci", False),
    ]
    subs = api(server, "GET", "users/me/subscriptions", params={"include_subscribers": "true"}).json()
    assert [s["name"] for s in subs["subscriptions"]] == ["general", "ci"]
    assert len(subs["subscriptions"][0]["subscribers"]) == 2
    assert api(server, "GET", "get_stream_id", params={"stream": "ci"}).json()["stream_id"] == 2


def test_subscribing_creates_the_channel_then_reports_already_subscribed(server):
    me = str(api(server, "GET", "users/me").json()["user_id"])
    data = {"subscriptions": json.dumps([{"name": "deploys", "description": "prod"}])}
    first = api(server, "POST", "users/me/subscriptions", data=data).json()
    assert first["result"] == "success"
    assert first["subscribed"] == {me: ["deploys"]} and first["already_subscribed"] == {}
    again = api(server, "POST", "users/me/subscriptions", data=data).json()
    assert again["subscribed"] == {} and again["already_subscribed"] == {me: ["deploys"]}
    names = {s["name"]: s["description"] for s in api(server, "GET", "streams").json()["streams"]}
    assert names["deploys"] == "prod"
    assert send(server, to="deploys", topic="t", content="live").status_code == 200


def test_subscribing_others_and_unsubscribing(server):
    alice_id = str(api(server, "GET", "users/me", auth=HUMAN).json()["user_id"])
    data = {"subscriptions": json.dumps([{"name": "ops"}]), "principals": json.dumps([HUMAN[0]])}
    assert api(server, "POST", "users/me/subscriptions", data=data).json()["subscribed"] == {alice_id: ["ops"]}
    gone = api(server, "DELETE", "users/me/subscriptions", auth=HUMAN, data={"subscriptions": '["ops"]'}).json()
    assert gone["removed"] == ["ops"] and gone["not_removed"] == []


def test_private_channels_are_hidden_from_non_subscribers(server):
    data = {"subscriptions": json.dumps([{"name": "secret"}]), "invite_only": "true"}
    assert api(server, "POST", "users/me/subscriptions", data=data).status_code == 200
    assert send(server, to="secret", topic="t", content="hush").status_code == 200
    assert "secret" not in [s["name"] for s in api(server, "GET", "streams", auth=HUMAN).json()["streams"]]
    refused = send(server, auth=HUMAN, to="secret", topic="t", content="let me in")
    assert refused.status_code == 400 and refused.json()["msg"] == "Not authorized to send to channel 'secret'"
    assert fetch(server, auth=HUMAN, narrow=[["channel", "secret"]])["messages"] == []
    assert api(server, "POST", "users/me/subscriptions", auth=HUMAN, data=data).status_code == 400


def test_subscribe_rejects_bad_input(server):
    missing = api(server, "POST", "users/me/subscriptions", data={})
    assert missing.status_code == 400 and missing.json()["var_name"] == "subscriptions"
    bad_json = api(server, "POST", "users/me/subscriptions", data={"subscriptions": "[{"})
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["msg"]
    too_long = api(server, "POST", "users/me/subscriptions", data={"subscriptions": json.dumps([{"name": "n" * 61}])})
    assert too_long.status_code == 400


# --- narrows and anchors -----------------------------------------------------------------


@pytest.fixture
def history(server):
    send(server, to="general", topic="t1", content="g1")
    send(server, to="general", topic="t2", content="g2")
    send(server, to="ci", topic="t1", content="c1")
    send(server, type="direct", to=json.dumps([HUMAN[0]]), content="dm-from-bot")
    send(server, auth=HUMAN, to="general", topic="T1", content="g3 from alice")
    return server


@pytest.mark.parametrize(
    "narrow, expected",
    [
        ([], ["g1", "g2", "c1", "dm-from-bot", "g3 from alice"]),
        ([["stream", "general"]], ["g1", "g2", "g3 from alice"]),
        ([{"operator": "channel", "operand": "general"}], ["g1", "g2", "g3 from alice"]),
        ([{"operator": "channel", "operand": 2}], ["c1"]),
        ([["channel", "general"], ["topic", "t1"]], ["g1", "g3 from alice"]),
        (
            [{"operator": "channel", "operand": "general"}, {"operator": "topic", "operand": "t1", "negated": True}],
            ["g2"],
        ),
        ([["subject", "t1"]], ["g1", "c1", "g3 from alice"]),
        ([["is", "private"]], ["dm-from-bot"]),
        ([{"operator": "is", "operand": "dm"}], ["dm-from-bot"]),
        ([["pm-with", HUMAN[0]]], ["dm-from-bot"]),
        ([{"operator": "dm", "operand": [2]}], ["dm-from-bot"]),
        ([["sender", HUMAN[0]]], ["g3 from alice"]),
        ([{"operator": "sender", "operand": 1, "negated": True}], ["g3 from alice"]),
        ([["search", "FROM"]], ["dm-from-bot", "g3 from alice"]),
    ],
)
def test_narrows_in_legacy_and_dict_forms(history, narrow, expected):
    assert [m["content"] for m in fetch(history, narrow=narrow)["messages"]] == expected


def test_unknown_narrow_operator_is_400(history):
    response = api(
        history,
        "GET",
        "messages",
        params={"anchor": "newest", "num_before": 1, "num_after": 0, "narrow": '[["bogus", "x"]]'},
    )
    assert response.status_code == 400 and "narrow" in response.json()["msg"]


def test_anchor_windows_and_found_flags(history):
    ids = [m["id"] for m in fetch(history)["messages"]]
    oldest = fetch(history, anchor="oldest", num_before=0, num_after=2)
    assert [m["id"] for m in oldest["messages"]] == ids[:2]
    assert oldest["found_oldest"] and not oldest["found_newest"]
    middle = fetch(history, anchor=ids[2], num_before=1, num_after=1)
    assert [m["id"] for m in middle["messages"]] == ids[1:4] and middle["found_anchor"]
    assert not middle["found_oldest"] and not middle["found_newest"] and middle["anchor"] == ids[2]
    excluded = fetch(history, anchor=ids[2], num_before=0, num_after=1, include_anchor="false")
    assert [m["id"] for m in excluded["messages"]] == [ids[3]] and not excluded["found_anchor"]
    newest = fetch(history, anchor="newest", num_before=2)
    assert [m["id"] for m in newest["messages"]] == ids[-2:]
    assert newest["found_newest"] and not newest["found_oldest"]
    unread = fetch(history, auth=HUMAN, anchor="first_unread", num_before=0, num_after=0)
    assert [m["content"] for m in unread["messages"]] == ["g1"] and unread["found_anchor"]
    by_ids = api(history, "GET", "messages", params={"message_ids": json.dumps(ids[:2])}).json()
    assert [m["id"] for m in by_ids["messages"]] == ids[:2] and "anchor" not in by_ids


def test_get_messages_requires_its_range_arguments(server):
    response = api(server, "GET", "messages", params={"anchor": "newest"})
    assert response.status_code == 400 and response.json()["code"] == "REQUEST_VARIABLE_MISSING"
    assert api(server, "GET", "messages", params={"anchor": "soon", "num_before": 1, "num_after": 1}).status_code == 400


def test_unsubscribed_channel_history_needs_a_channel_narrow(history):
    api(history, "DELETE", "users/me/subscriptions", auth=HUMAN, data={"subscriptions": '["ci"]'})
    assert "c1" not in [m["content"] for m in fetch(history, auth=HUMAN)["messages"]]
    assert [m["content"] for m in fetch(history, auth=HUMAN, narrow=[["channel", "ci"]])["messages"]] == ["c1"]


# --- the official client and the control endpoints ----------------------------------------------


def test_the_official_zulip_client_works_unchanged(server):
    import zulip  # in the core env's deps: the interop test must run, not skip
    client = zulip.Client(site=server.site, email=BOT[0], api_key=BOT[1])
    assert client.feature_level == 372
    result = client.send_message({"type": "stream", "to": "general", "topic": "from zulip", "content": "hi"})
    assert result["result"] == "success"
    [stored] = server.messages(stream="general", topic="from zulip")
    assert stored["id"] == result["id"] and stored["client"] == "ZulipPython"
    dm = client.send_message({"type": "private", "to": [HUMAN[0]], "content": "direct"})
    assert dm["result"] == "success"
    fetched = client.get_messages({"anchor": "newest", "num_before": 10, "num_after": 0, "narrow": [["is", "dm"]]})
    assert [m["content"] for m in fetched["messages"]] == ["<p>direct</p>"]
    assert client.get_profile()["email"] == BOT[0]
    assert client.add_subscriptions([{"name": "zulip-made"}])["result"] == "success"
    queue = client.register(event_types=["message"])
    client.send_message({"type": "stream", "to": "zulip-made", "topic": "t", "content": "event"})
    events = client.get_events(queue_id=queue["queue_id"], last_event_id=-1)["events"]
    assert [e["message"]["content"] for e in events] == ["event"]
    assert client.deregister(queue["queue_id"])["result"] == "success"


def test_control_endpoints_drive_the_server_over_http(server):
    base = server.site + "/devserver"
    created = requests.post(f"{base}/users", data={"email": "carol@example.com", "bot": "false"}, timeout=5).json()
    assert created["email"] == "carol@example.com" and len(created["api_key"]) == 32
    assert requests.post(f"{base}/streams", data={"name": "news"}, timeout=5).json()["name"] == "news"
    said = requests.post(
        f"{base}/messages",
        json={"sender": "carol@example.com", "to": "news", "topic": "t", "content": "extra"},
        timeout=5,
    ).json()
    listed = requests.get(f"{base}/messages", params={"stream": "news"}, timeout=5).json()["messages"]
    assert [(m["id"], m["sender_email"]) for m in listed] == [(said["id"], "carol@example.com")]
    assert requests.post(f"{base}/reset", timeout=5).json()["result"] == "success"
    assert server.messages() == []
    assert api(server, "GET", "users/me", auth=("carol@example.com", created["api_key"])).status_code == 200


def test_wyzepalrc_is_ready_to_use(server):
    text = server.wyzepalrc(BOT[0])
    assert text == f"[api]\nemail={BOT[0]}\nkey={BOT[1]}\nsite={server.site}\n"
