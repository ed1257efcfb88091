"""The client against the dev server over loopback: no mocking of requests."""
from __future__ import annotations

import time

import pytest
from wyzepal_notifier import APIError, Client, Message, RateLimited, RetryPolicy, ServerUnreachable
from wyzepal_notifier.client import normalize_site
from wyzepal_notifier.devserver.runner import DevServer

KEY = "clienttestkey0123456789abcdefghi"
FAST = RetryPolicy(budget=10.0, base=0.05, cap=0.2)


@pytest.fixture
def server():
    with DevServer(streams=["general", "ci"]) as dev:
        dev.add_user("tester@example.com", KEY, full_name="Tester")
        dev.add_user("bot@example.com")
        yield dev


def client_for(server, **options):
    options.setdefault("retry", FAST)
    return Client(server.site, "tester@example.com", KEY, **options)


def statuses(server, path="/messages"):
    return [entry[2] for entry in server.requests if path in entry[1]]


def test_send_channel_and_direct_messages(server):
    client = client_for(server)
    result = client.send_message(Message.to_stream("ci", "build 7", "**passed**"))
    assert result["result"] == "success" and isinstance(result["id"], int)
    client.send_message(Message.direct(["bot@example.com"], "hello"))
    stored = server.messages(stream="ci")
    assert [(m["subject"], m["content"]) for m in stored] == [("build 7", "**passed**")]
    assert any(m["type"] == "private" and m["content"] == "hello" for m in server.messages())


@pytest.mark.parametrize("suffix", ["", "/", "/api", "/api/v1/"])
def test_site_with_or_without_api_suffix(server, suffix):
    client = Client(server.site + suffix, "tester@example.com", KEY, retry=FAST)
    assert client.get_profile()["email"] == "tester@example.com"


def test_site_without_scheme_defaults_to_https():
    assert normalize_site("chat.example.com/api/v1") == "https://chat.example.com"


def test_user_agent_names_integration_version_and_platform(server):
    client = client_for(server, client_name="WyzePalTrac", client_version="1.2.3")
    agent = client.session.headers["User-Agent"]
    assert agent.startswith("WyzePalTrac/1.2.3 (") and agent.endswith(")") and ";" in agent
    client.send_message(Message.to_stream("ci", "t", "x"))
    assert server.messages(stream="ci")[-1]["client"] == "WyzePalTrac"


def test_tls_is_verified_by_default():
    assert Client("https://chat.example.com", "a@b.c", KEY).session.verify is True
    assert Client("https://chat.example.com", "a@b.c", KEY, cert_bundle="/ca.pem").session.verify == "/ca.pem"


def test_rejected_key_is_a_clear_error_without_the_key(server):
    client = Client(server.site, "tester@example.com", "wrongkey" * 4, retry=FAST)
    with pytest.raises(APIError) as info:
        client.get_profile()
    err = info.value
    assert err.code == "INVALID_API_KEY" and err.status == 401 and err.permanent
    assert "tester@example.com" in str(err) and server.site in str(err)
    assert "wrongkey" not in str(err) and KEY not in str(err)
    assert statuses(server, "/users/me") == [401]  # not retried


def test_unknown_channel_is_stream_does_not_exist(server):
    with pytest.raises(APIError) as info:
        client_for(server).send_message(Message.to_stream("nope", "t", "x"))
    assert info.value.code == "STREAM_DOES_NOT_EXIST" and info.value.permanent
    assert "'nope' does not exist" in str(info.value)
    assert statuses(server) == [400]


def test_5xx_is_retried_until_it_succeeds(server):
    server.faults.fail_next(3, status=503)
    client_for(server).send_message(Message.to_stream("ci", "t", "after 503s"))
    assert statuses(server) == [503, 503, 503, 200]
    assert server.messages(stream="ci")[-1]["content"] == "after 503s"


def test_5xx_beyond_the_budget_raises_server_unreachable(server):
    server.faults.fail_next(100, status=502)
    client = client_for(server, retry=RetryPolicy(budget=0.5, base=0.05, cap=0.1))
    with pytest.raises(ServerUnreachable, match="HTTP 502"):
        client.send_message(Message.to_stream("ci", "t", "x"))
    assert server.messages(stream="ci") == []


def test_dropped_connections_are_retried(server):
    server.faults.drop_next(2)
    client_for(server).send_message(Message.to_stream("ci", "t", "after drops"))
    assert server.messages(stream="ci")[-1]["content"] == "after drops"


def test_server_down_is_server_unreachable_without_secrets(server):
    site = server.site
    server.stop()
    client = Client(site, "tester@example.com", KEY, retry=RetryPolicy(budget=0.3, base=0.05, cap=0.1))
    with pytest.raises(ServerUnreachable) as info:
        client.get_profile()
    assert "could not be reached" in str(info.value) and KEY not in str(info.value)


def test_slow_server_times_out_then_succeeds(server):
    server.faults.delay(1.0)
    client = client_for(server, read_timeout=0.3, retry=RetryPolicy(budget=1.0, base=0.05, cap=0.1))
    with pytest.raises(ServerUnreachable, match="timed out"):
        client.get_profile()
    server.faults.clear()
    assert client.get_profile()["email"] == "tester@example.com"


def test_429_is_waited_out_and_every_message_delivered():
    with DevServer(streams=["ci"], rate_limit=(3, 1.0)) as server:
        server.add_user("tester@example.com", KEY)
        client = client_for(server)
        started = time.monotonic()
        for number in range(8):
            client.send_message(Message.to_stream("ci", "t", f"message {number}"))
        assert [m["content"] for m in server.messages(stream="ci")] == [f"message {n}" for n in range(8)]
        assert time.monotonic() - started >= 1.0  # it waited for the window to reset
        codes = statuses(server)
        assert codes.count(200) == 8
        assert 429 not in codes  # X-RateLimit-Remaining: 0 made it wait for the reset instead of hitting the limit


def test_429_with_retry_after_is_honoured():
    with DevServer(streams=["ci"], rate_limit=(1, 1.0)) as server:
        server.add_user("tester@example.com", KEY)
        first = client_for(server)
        second = client_for(server)  # a second process of the same bot, unaware of the first's headers
        first.send_message(Message.to_stream("ci", "t", "one"))
        second.send_message(Message.to_stream("ci", "t", "two"))
        assert 429 in statuses(server)
        assert [m["content"] for m in server.messages(stream="ci")] == ["one", "two"]


def test_429_longer_than_the_budget_raises_rate_limited_with_the_wait():
    with DevServer(streams=["ci"], rate_limit=(1, 30.0)) as server:
        server.add_user("tester@example.com", KEY)
        client_for(server).send_message(Message.to_stream("ci", "t", "one"))
        impatient = client_for(server, retry=RetryPolicy(budget=1.0, base=0.05, cap=0.1))
        with pytest.raises(RateLimited) as info:
            impatient.send_message(Message.to_stream("ci", "t", "two"))
        assert info.value.retry_after > 1 and not info.value.permanent


def test_other_4xx_are_not_retried(server):
    with pytest.raises(APIError) as info:
        client_for(server).call("POST", "messages", {"type": "stream", "to": "ci", "topic": "t"})
    assert info.value.status == 400 and info.value.permanent
    assert statuses(server) == [400]


def test_list_subscribe_and_server_settings(server):
    client = client_for(server)
    assert {"general", "ci"} <= {s["name"] for s in client.get_streams()}
    client.add_subscriptions(["releases"])
    assert "releases" in {s["name"] for s in client.get_subscriptions()}
    assert client.get_server_settings()["realm_url"] == server.site


def test_backoff_stays_at_the_cap_however_long_the_outage():
    policy = RetryPolicy(base=0.5, cap=30.0)
    assert 15.0 <= policy.backoff(10_000) <= 30.0  # 2**10000 would overflow a float
    assert 0.25 <= policy.backoff(0) <= 0.5
