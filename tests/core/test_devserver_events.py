"""The dev server's events API: register, long-poll, heartbeats, narrows, expiry, scale."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

BOT = ("bot@example.com", "x" * 32)
HUMAN = ("alice@example.com", "a" * 32)


def api(server, method, path, auth=BOT, timeout=5, **kwargs):
    return requests.request(method, f"{server.api_url}/{path}", auth=auth, timeout=timeout, **kwargs)


def register(server, auth=BOT, **data):
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    response = api(server, "POST", "register", auth=auth, data=data)
    assert response.status_code == 200, response.text
    return response.json()


def poll(server, queue_id, last_event_id=-1, auth=BOT, dont_block=False, timeout=5):
    params = {"queue_id": queue_id, "last_event_id": last_event_id, "dont_block": json.dumps(dont_block)}
    return api(server, "GET", "events", auth=auth, params=params, timeout=timeout)


def events(server, queue_id, last_event_id=-1, auth=BOT):
    response = poll(server, queue_id, last_event_id, auth=auth, dont_block=True)
    assert response.status_code == 200, response.text
    return response.json()["events"]


def say(server, to="general", topic="t", content="hello", auth=BOT, msg_type="stream"):
    data = {"type": msg_type, "to": to, "topic": topic, "content": content}
    response = api(server, "POST", "messages", auth=auth, data=data)
    assert response.status_code == 200, response.text
    return response.json()["id"]


@pytest.fixture
def server(devserver_factory):
    dev = devserver_factory(heartbeat_seconds=10)
    dev.add_user(HUMAN[0], HUMAN[1], full_name="Alice", bot=False)
    return dev


def test_register_returns_a_queue_and_the_realm_limits(server):
    body = register(server, event_types=["message"])
    assert body["result"] == "success" and isinstance(body["queue_id"], str)
    assert body["last_event_id"] == -1 and body["zulip_feature_level"] == 372
    assert body["max_message_length"] == 10000 and body["max_topic_length"] == 60
    assert body["event_queue_longpoll_timeout_seconds"] > 10
    assert body["max_message_id"] == -1
    assert "subscriptions" not in body
    assert server.queue_ids() == [body["queue_id"]]


def test_register_fetches_requested_initial_state(server):
    body = register(server, event_types=["message"], fetch_event_types=["subscription", "realm_user"])
    assert [s["name"] for s in body["subscriptions"]] == ["general", "ci"]
    assert {u["email"] for u in body["realm_users"]} == {BOT[0], HUMAN[0]}


def test_long_poll_waits_until_a_message_is_posted(server):
    queue_id = register(server, event_types=["message"])["queue_id"]
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(poll, server, queue_id)
        server.wait_for_polls(1)
        time.sleep(0.1)
        assert not pending.done()  # really parked, not answered empty
        started = time.monotonic()
        message_id = say(server, content="wake up")
        response = pending.result(timeout=20)
    assert time.monotonic() - started < 8  # woken by the message, not by the heartbeat (10 s)
    [event] = response.json()["events"]
    assert event["type"] == "message" and event["id"] == 0 and event["flags"] == ["read"]
    assert event["message"]["id"] == message_id and event["message"]["content"] == "wake up"


def test_message_event_has_the_same_shape_as_get_messages(server):
    queue_id = register(server, event_types=["message"], auth=HUMAN)["queue_id"]
    say(server, content="@**Alice** look")
    [event] = events(server, queue_id, auth=HUMAN)
    params = {"anchor": "newest", "num_before": 1, "num_after": 0, "apply_markdown": "false"}
    [fetched] = api(server, "GET", "messages", auth=HUMAN, params=params).json()["messages"]
    assert event["flags"] == fetched.pop("flags") == ["mentioned"]
    assert event["message"] == fetched
    assert event["message"]["display_recipient"] == "general" and event["message"]["subject"] == "t"


def test_heartbeat_when_nothing_happens(devserver_factory):
    server = devserver_factory(heartbeat_seconds=0.3)
    queue_id = register(server)["queue_id"]
    started = time.monotonic()
    response = poll(server, queue_id)
    assert 0.25 <= time.monotonic() - started < 3
    assert response.json()["events"] == [{"type": "heartbeat", "id": 0}]
    assert poll(server, queue_id, last_event_id=0).json()["events"] == [{"type": "heartbeat", "id": 1}]


def test_dont_block_answers_at_once_and_acknowledged_events_are_pruned(server):
    queue_id = register(server, event_types=["message"])["queue_id"]
    assert events(server, queue_id) == []
    say(server, content="one")
    say(server, content="two")
    assert [e["id"] for e in events(server, queue_id)] == [0, 1]
    assert [e["message"]["content"] for e in events(server, queue_id, last_event_id=0)] == ["two"]
    assert events(server, queue_id, last_event_id=1) == []
    assert events(server, queue_id, last_event_id=-1) == []  # pruned for good


@pytest.mark.parametrize(
    "narrow, expected",
    [
        ([["channel", "ci"]], ["ci-1"]),
        ([{"operator": "stream", "operand": "general"}, {"operator": "topic", "operand": "deploy"}], ["gen-deploy"]),
        ([["is", "dm"]], ["dm"]),
        ([["is", "private"]], ["dm"]),
        ([], ["ci-1", "gen-deploy", "gen-other", "dm"]),
    ],
)
def test_event_narrows_filter_messages(server, narrow, expected):
    queue_id = register(server, event_types=["message"], narrow=narrow, auth=HUMAN)["queue_id"]
    say(server, to="ci", content="ci-1")
    say(server, topic="deploy", content="gen-deploy")
    say(server, topic="other", content="gen-other")
    say(server, msg_type="direct", to=json.dumps([HUMAN[0]]), content="dm")
    assert [e["message"]["content"] for e in events(server, queue_id, auth=HUMAN)] == expected


def test_events_go_only_to_users_who_can_see_the_message(server):
    server.add_stream("quiet", subscribe_all=False)
    carol = server.add_user("carol@example.com", "c" * 32, subscribe=False)
    subscribed_only = register(server, event_types=["message"], auth=carol)["queue_id"]
    everything = register(server, event_types=["message"], all_public_streams=True, auth=carol)["queue_id"]
    say(server, to="quiet", content="public but unsubscribed")
    say(server, msg_type="direct", to=json.dumps([HUMAN[0]]), content="not for carol")
    say(server, msg_type="direct", to=json.dumps([carol[0]]), content="for carol")
    assert [e["message"]["content"] for e in events(server, subscribed_only, auth=carol)] == ["for carol"]
    assert [e["message"]["content"] for e in events(server, everything, auth=carol)] == [
        "public but unsubscribed",
        "for carol",
    ]


def test_event_types_filter_and_subscription_events(server):
    queue_id = register(server, event_types=["subscription"])["queue_id"]
    say(server, content="not wanted")
    api(server, "POST", "users/me/subscriptions", data={"subscriptions": json.dumps([{"name": "fresh"}])})
    [event] = events(server, queue_id)
    assert event["type"] == "subscription" and event["op"] == "add"
    assert event["subscriptions"][0]["name"] == "fresh"


def test_someone_elses_queue_is_refused(server):
    queue_id = register(server)["queue_id"]
    assert poll(server, queue_id, auth=HUMAN, dont_block=True).status_code == 400


def assert_bad_queue(response, queue_id):
    assert response.status_code == 400
    assert response.json() == {
        "result": "error",
        "code": "BAD_EVENT_QUEUE_ID",
        "msg": f"Bad event queue ID: {queue_id}",
        "queue_id": queue_id,
    }


def test_deleted_queue_is_bad_event_queue_id(server):
    queue_id = register(server)["queue_id"]
    assert api(server, "DELETE", "events", data={"queue_id": queue_id}).json()["result"] == "success"
    assert_bad_queue(poll(server, queue_id, dont_block=True), queue_id)
    assert_bad_queue(api(server, "DELETE", "events", data={"queue_id": queue_id}), queue_id)
    assert_bad_queue(poll(server, "no-such-queue", dont_block=True), "no-such-queue")


def test_queue_expired_mid_stream_answers_the_waiting_poll_with_bad_queue(server):
    queue_id = register(server)["queue_id"]
    say(server, content="before expiry")
    assert len(events(server, queue_id)) == 1
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(poll, server, queue_id, 0)
        server.wait_for_polls(1)
        assert server.expire_queue(queue_id) is True
        assert_bad_queue(pending.result(timeout=3), queue_id)
    assert_bad_queue(poll(server, queue_id, dont_block=True), queue_id)
    assert server.expire_queue(queue_id) is False


def test_expire_all_queues_and_over_http(server):
    first, second = register(server)["queue_id"], register(server)["queue_id"]
    assert server.expire_all_queues() == 2
    assert_bad_queue(poll(server, first, dont_block=True), first)
    third = register(server)["queue_id"]
    expired = requests.post(f"{server.site}/devserver/queues/expire", data={"queue_id": third}, timeout=5).json()
    assert expired["expired"] == 1 and server.queue_ids() == []
    assert_bad_queue(poll(server, second, dont_block=True), second)


def test_idle_queues_are_collected_but_polled_ones_are_kept(devserver_factory):
    server = devserver_factory(queue_timeout=1.0, heartbeat_seconds=0.25)
    idle = register(server)["queue_id"]
    busy = register(server)["queue_id"]
    last = -1
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:  # ~12 heartbeats: far longer than the timeout
        response = poll(server, busy, last)
        assert response.status_code == 200
        last = response.json()["events"][-1]["id"]
    assert server.queue_ids() == [busy]  # collected by the background sweep, not by a poll
    assert_bad_queue(poll(server, idle, dont_block=True), idle)


def test_stopping_the_server_breaks_a_waiting_poll_instead_of_hanging(server):
    queue_id = register(server)["queue_id"]
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(poll, server, queue_id)
        server.wait_for_polls(1)
        server.stop()
        with pytest.raises(requests.ConnectionError):
            pending.result(timeout=3)


def test_200_concurrent_long_polls_do_not_take_200_threads(server):
    import aiohttp
    clients = 200

    async def scenario():
        auth = {"Authorization": "Basic " + base64.b64encode(":".join(BOT).encode()).decode()}
        async with aiohttp.ClientSession(headers=auth, connector=aiohttp.TCPConnector(limit=0)) as session:

            async def register_one():
                async with session.post(f"{server.api_url}/register", data={"event_types": '["message"]'}) as r:
                    return (await r.json())["queue_id"]

            async def poll_one(queue_id):
                params = {"queue_id": queue_id, "last_event_id": "-1"}
                async with session.get(f"{server.api_url}/events", params=params) as r:
                    return (await r.json())["events"]

            queue_ids = await asyncio.gather(*(register_one() for _ in range(clients)))
            baseline = threading.active_count()
            polls = [asyncio.ensure_future(poll_one(q)) for q in queue_ids]
            while server.waiting_polls() < clients:
                await asyncio.sleep(0.01)
            parked = threading.active_count()
            data = {"type": "stream", "to": "general", "topic": "t", "content": "to everyone"}
            async with session.post(f"{server.api_url}/messages", data=data) as r:
                assert r.status == 200
            return baseline, parked, await asyncio.gather(*polls)

    baseline, parked, results = asyncio.run(asyncio.wait_for(scenario(), 15))
    assert parked <= baseline + 1, (baseline, parked)
    assert len(results) == clients
    assert all([e["message"]["content"] for e in r] == ["to everyone"] for r in results)


def test_official_client_event_loop_survives_heartbeats_and_an_expired_queue(devserver_factory):
    import zulip  # in the core env's deps: the interop test must run, not skip
    server = devserver_factory(heartbeat_seconds=0.2, users=[BOT, HUMAN])
    client = zulip.Client(site=server.site, email=BOT[0], api_key=BOT[1])
    received = []

    class Enough(Exception):
        pass

    def on_message(message):
        received.append(message["content"])
        if len(received) == 2:
            raise Enough

    def listen():
        with pytest.raises(Enough):
            client.call_on_each_message(on_message)

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    server.wait_for_polls(1)
    time.sleep(0.5)  # a couple of heartbeats go by
    server.send_message(HUMAN[0], "general", "one", topic="t")
    server.wait_for_polls(1)
    server.expire_all_queues()  # the client must re-register by itself
    server.wait_for_polls(1, timeout=10)
    server.send_message(HUMAN[0], "general", "two", topic="t")
    listener.join(10)
    assert not listener.is_alive() and received == ["one", "two"]
    statuses = [(r.path, r.status) for r in server.requests]
    assert ("/api/v1/events", 400) in statuses and statuses.count(("/api/v1/register", 200)) == 2
