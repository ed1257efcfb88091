"""The dev server's test knobs: rate limits, injected faults, restarts, the request log and the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from wyzepal_notifier.devserver import DevServer
from wyzepal_notifier.devserver.cli import add_arguments, build_server

BOT = ("bot@example.com", "x" * 32)
SHARED = Path(__file__).resolve().parents[2] / "shared"


def api(server, method="GET", path="users/me", auth=BOT, timeout=5, **kwargs):
    return requests.request(method, f"{server.api_url}/{path}", auth=auth, timeout=timeout, **kwargs)


def say(server, content="hello", timeout=5):
    data = {"type": "stream", "to": "general", "topic": "t", "content": content}
    return api(server, "POST", "messages", data=data, timeout=timeout)


# --- rate limiting ----------------------------------------------------------------------------


def test_rate_limit_headers_on_every_authenticated_response(devserver_factory):
    server = devserver_factory(rate_limit=(3, 60))
    first = api(server)
    assert first.headers["X-RateLimit-Limit"] == "3" and first.headers["X-RateLimit-Remaining"] == "2"
    assert time.time() < int(first.headers["X-RateLimit-Reset"]) <= time.time() + 61
    error = say(server, content="")  # an error response is still counted and labelled
    assert error.status_code == 400 and error.headers["X-RateLimit-Remaining"] == "1"
    assert "X-RateLimit-Limit" not in requests.get(f"{server.api_url}/server_settings", timeout=5).headers


def test_over_the_limit_is_429_rate_limit_hit_with_retry_after(devserver_factory):
    server = devserver_factory(rate_limit="2/0.6")
    assert [say(server).status_code for _ in range(2)] == [200, 200]
    refused = say(server)
    assert refused.status_code == 429
    body = refused.json()
    assert body["result"] == "error" and body["code"] == "RATE_LIMIT_HIT"
    assert body["msg"] == "API usage exceeded rate limit"
    assert body["retry-after"] == 1 and refused.headers["Retry-After"] == "1"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert len(server.messages()) == 2
    time.sleep(0.65)
    assert say(server).status_code == 200


def test_rate_limit_is_per_user_and_off_by_default(devserver_factory):
    server = devserver_factory(rate_limit=(1, 60))
    other = server.add_user("other@example.com", "o" * 32)
    assert api(server).status_code == 200 and api(server).status_code == 429
    assert api(server, auth=other).status_code == 200
    server.set_rate_limit(None)
    unlimited = [api(server) for _ in range(5)]
    assert {r.status_code for r in unlimited} == {200}
    assert "X-RateLimit-Limit" not in unlimited[0].headers


# --- injected faults --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_fail_next_n_requests_then_recover(devserver, status):
    devserver.faults.fail_next(2, status=status)
    failed = [say(devserver) for _ in range(2)]
    assert [r.status_code for r in failed] == [status, status]
    assert failed[0].json()["result"] == "error"
    assert say(devserver).status_code == 200
    assert [(r.method, r.path, r.status) for r in devserver.requests] == [
        ("POST", "/api/v1/messages", status),
        ("POST", "/api/v1/messages", status),
        ("POST", "/api/v1/messages", 200),
    ]
    assert devserver.request_count == 3 and len(devserver.messages()) == 1


def test_fail_next_only_for_a_path_and_method(devserver):
    devserver.faults.fail_next(1, status=500, path="messages", method="POST")
    assert api(devserver).status_code == 200
    assert api(devserver, path="messages", params={"anchor": "newest", "num_before": 1, "num_after": 0}).ok
    assert say(devserver).status_code == 500
    assert say(devserver).status_code == 200


def test_injected_429_and_custom_bodies(devserver):
    devserver.faults.fail_next(1, status=429, retry_after=3)
    limited = say(devserver)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert limited.json()["code"] == "RATE_LIMIT_HIT" and limited.json()["retry-after"] == 3
    devserver.faults.fail_next(1, status=502, body="<html>Bad Gateway</html>")
    gateway = say(devserver)
    assert gateway.status_code == 502 and gateway.text == "<html>Bad Gateway</html>"


def test_delay_holds_responses_until_cleared(devserver):
    devserver.faults.delay(1.0)
    with pytest.raises(requests.Timeout):
        say(devserver, timeout=0.2)
    assert timed(lambda: api(devserver).status_code == 200) >= 1.0
    devserver.faults.clear()
    assert timed(lambda: api(devserver).status_code == 200) < 1.0  # no longer held


def test_delay_for_a_number_of_requests(devserver):
    devserver.faults.delay(1.0, n=1)
    assert timed(lambda: api(devserver)) >= 1.0
    assert timed(lambda: api(devserver)) < 1.0  # only the first was held


def timed(call):
    started = time.monotonic()
    result = call()
    assert result is not False
    return time.monotonic() - started


@pytest.mark.parametrize("reset", [False, True])
def test_drop_next_closes_the_connection_without_an_answer(devserver, reset):
    devserver.faults.drop_next(1, reset=reset)
    with pytest.raises(requests.ConnectionError):
        say(devserver)
    assert devserver.messages() == []
    assert say(devserver).status_code == 200
    assert [r.status for r in devserver.requests] == [0, 200]


def test_faults_can_be_driven_over_http(devserver):
    control = devserver.site + "/devserver"
    requests.post(f"{control}/faults/fail", data={"count": 1, "status": 503, "path": "/api/v1/messages"}, timeout=5)
    requests.post(f"{control}/faults/drop", json={"count": 1, "path": "users/me"}, timeout=5)
    requests.post(f"{control}/faults/delay", data={"seconds": 5}, timeout=5)
    assert [f["kind"] for f in requests.get(f"{control}/faults", timeout=5).json()["faults"]] == [
        "fail",
        "drop",
        "delay",
    ]
    requests.post(f"{control}/faults/clear", timeout=5)
    assert requests.get(f"{control}/faults", timeout=5).json()["faults"] == []
    requests.post(f"{control}/faults/fail", data={"count": 1, "status": 503, "path": "/api/v1/messages"}, timeout=5)
    requests.post(f"{control}/faults/drop", json={"count": 1, "path": "users/me"}, timeout=5)
    assert say(devserver).status_code == 503
    with pytest.raises(requests.ConnectionError):
        api(devserver)
    logged = requests.get(f"{control}/requests", timeout=5).json()["requests"]
    assert [(r["path"], r["status"]) for r in logged] == [("/api/v1/messages", 503), ("/api/v1/users/me", 0)]


def test_reset_forgets_messages_faults_and_requests(devserver):
    say(devserver)
    devserver.faults.fail_next(5)
    devserver.reset()
    assert devserver.messages() == [] and devserver.requests == [] and devserver.faults.pending() == []
    assert say(devserver).status_code == 200


# --- stop and restart -------------------------------------------------------------------------


def test_stop_then_restart_on_the_same_port_keeps_the_data(devserver):
    first_id = say(devserver, content="before").json()["id"]
    port, site = devserver.port, devserver.site
    devserver.stop()
    assert not devserver.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{site}/api/v1/server_settings", timeout=2)
    devserver.start()
    assert devserver.port == port and devserver.site == site
    second_id = say(devserver, content="after").json()["id"]
    assert second_id > first_id
    assert [m["content"] for m in devserver.messages()] == ["before", "after"]
    devserver.restart()
    assert devserver.port == port and api(devserver).status_code == 200


def test_a_database_file_survives_a_new_server(tmp_path):
    db = str(tmp_path / "wyzepal.sqlite3")
    with DevServer(db=db, users=[BOT], streams=["general"]) as first:
        say(first, content="persisted")
    with DevServer(db=db) as second:
        assert [m["content"] for m in second.messages()] == ["persisted"]
        assert api(second).json()["email"] == BOT[0]


def test_starting_on_a_busy_port_raises(devserver):
    with pytest.raises(OSError):
        DevServer(port=devserver.port, host="127.0.0.1", users=[BOT]).start()


# --- command line ---------------------------------------------------------------------------


def start_cli(*args):
    env = dict(os.environ, PYTHONPATH=str(SHARED), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "wyzepal_notifier.devserver", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Press Ctrl+C"):
            break
    return process, "".join(lines)


def rc_of(output, email):
    block = output.split(f"# wyzepalrc for {email}\n", 1)[1]
    fields = dict(line.split("=", 1) for line in block.splitlines()[1:4])
    return fields["email"], fields["key"], fields["site"]


def test_cli_prints_site_and_ready_wyzepalrc_and_stops_on_sigterm():
    process, output = start_cli("--user", "ci@example.com:cikey", "--stream", "builds", "--rate-limit", "50/60")
    try:
        email, shown, site = rc_of(output, "ci@example.com")
        assert f"listening on {site}" in output and "[api]" in output
        assert shown == "(the key you gave)" and "cikey" not in output  # a given key is not echoed to the terminal
        key = "cikey"
        me = requests.get(f"{site}/api/v1/users/me", auth=(email, key), timeout=5)
        assert me.status_code == 200 and me.headers["X-RateLimit-Limit"] == "50"
        streams = requests.get(f"{site}/api/v1/streams", auth=(email, key), timeout=5).json()["streams"]
        assert [s["name"] for s in streams] == ["builds"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_cli_without_users_creates_one_bot_with_a_random_key():
    process, output = start_cli()
    try:
        email, key, site = rc_of(output, "bot@example.com")
        assert len(key) == 32 and key != "x" * 32
        sent = requests.post(
            f"{site}/api/v1/messages",
            auth=(email, key),
            data={"type": "stream", "to": "general", "topic": "t", "content": "hi"},
            timeout=5,
        )
        assert sent.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_cli_arguments_are_mountable_and_validated():
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--user", "a@example.com:k", "--stream", "s", "--port", "0", "--rate-limit", "5/1"])
    server = build_server(args)
    try:
        assert server.credentials() == [("a@example.com", "k")]
        assert server.state.limiter.rule == (5, 1.0)
    finally:
        server.close()
    with pytest.raises(SystemExit):
        build_server(parser.parse_args(["--rate-limit", "lots"]))


def test_cli_options_import_without_aiohttp():
    code = "import sys, wyzepal_notifier.devserver.options; sys.exit('aiohttp' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=str(SHARED))
    assert subprocess.run([sys.executable, "-c", code], env=env, timeout=30).returncode == 0
