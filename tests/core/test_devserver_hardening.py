"""The dev server against forged browser requests, and how it is seeded: users from a file
or the environment (keys off the command line), names for bots and people, channels and
bots from plugin configs, and a banner that says where it listens and what arrived."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import requests
from wyzepal_notifier.devserver.cli import build_server, describe
from wyzepal_notifier.devserver.options import add_arguments

BOT = ("bot@example.com", "x" * 32)
REPO = Path(__file__).resolve().parents[2]


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(["--port", "0", *argv])


@pytest.fixture
def started():
    servers = []

    def start(*argv, env=None):
        server = build_server(parse(*argv), env=env or {}).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def banner(server):
    out = io.StringIO()
    describe(server, out)
    return out.getvalue()


# --- Host and Origin -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/devserver/users", "/api/v1/messages"])
def test_a_foreign_host_is_refused_before_anything_happens(devserver, path):
    url = f"http://127.0.0.1:{devserver.port}{path}"
    data = {"email": "evil@example.com", "type": "stream", "to": "general", "topic": "t", "content": "x"}
    response = requests.post(
        url, data=data, auth=BOT, headers={"Host": f"attacker.example:{devserver.port}"}, timeout=5
    )
    assert response.status_code == 403
    body = response.json()
    assert body["result"] == "error" and body["code"] == "BAD_HOST" and "attacker.example" in body["msg"]
    assert devserver.store.user_by_email("evil@example.com") is None and devserver.messages() == []


def test_the_right_host_with_another_port_is_refused(devserver):
    response = requests.get(f"{devserver.site}/devserver/messages", headers={"Host": "127.0.0.1:1"}, timeout=5)
    assert response.status_code == 403 and response.json()["code"] == "BAD_HOST"


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1"])
def test_loopback_names_pass(devserver, name):
    response = requests.get(
        f"{devserver.site}/devserver/messages", headers={"Host": f"{name}:{devserver.port}"}, timeout=5
    )
    assert response.status_code == 200


def test_a_cross_site_origin_is_refused_and_the_own_origin_passes(devserver):
    url = f"{devserver.site}/devserver/users"
    forged = requests.post(
        url, data={"email": "evil@example.com"}, headers={"Origin": "https://attacker.example"}, timeout=5
    )
    assert forged.status_code == 403
    assert forged.json()["code"] == "CSRF_FAILED" and "attacker.example" in forged.json()["msg"]
    assert devserver.store.user_by_email("evil@example.com") is None
    null = requests.post(url, data={"email": "evil@example.com"}, headers={"Origin": "null"}, timeout=5)
    assert null.status_code == 403
    own = requests.post(url, data={"email": "ok@example.com"}, headers={"Origin": devserver.site}, timeout=5)
    assert own.status_code == 200
    assert requests.post(url, data={"email": "curl@example.com"}, timeout=5).status_code == 200  # no Origin


def test_the_api_keeps_its_own_authentication(devserver):
    response = requests.get(f"{devserver.api_url}/users/me", headers={"Origin": devserver.site}, timeout=5)
    assert response.status_code == 401


def test_allowed_hosts_add_names(devserver_factory):
    server = devserver_factory(allowed_hosts=["devbox.internal"])
    headers = {"Host": f"devbox.internal:{server.port}", "Origin": f"http://devbox.internal:{server.port}"}
    assert requests.get(f"{server.site}/devserver/messages", headers=headers, timeout=5).status_code == 200


def test_all_interfaces_accept_the_machines_name_and_warn(started):
    server = started("--host", "0.0.0.0")
    text = banner(server)
    assert f"bound to 0.0.0.0:{server.port}" in text and "WARNING" in text and "no authentication" in text
    name = socket.gethostname()
    response = requests.get(f"{server.site}/devserver/messages", headers={"Host": f"{name}:{server.port}"}, timeout=5)
    assert response.status_code == 200


# --- keys off the command line ------------------------------------------------------------------


def test_users_file_creates_bots_with_names_and_the_banner_hides_their_keys(tmp_path, started):
    users = tmp_path / "users"
    users.write_text("# bots\nhubot-bot@example.com:hubotkey123:Hubot\n\nci-bot@example.com:cikey456\n")
    users.chmod(0o600)
    server = started("--users-file", str(users))
    hubot = server.store.user_by_email("hubot-bot@example.com")
    assert (hubot.full_name, hubot.api_key, hubot.is_bot) == ("Hubot", "hubotkey123", True)
    assert server.api_key("ci-bot@example.com") == "cikey456"
    text = banner(server)
    assert "hubotkey123" not in text and "cikey456" not in text
    assert "key=(the key you gave)" in text


def test_a_users_file_others_can_read_is_warned_about(tmp_path):
    users = tmp_path / "users"
    users.write_text("ci-bot@example.com:cikey456\n")
    users.chmod(0o644)
    with pytest.warns(UserWarning, match=r"readable by other users; run: chmod 600"):
        build_server(parse("--users-file", str(users)), env={}).close()
    users.chmod(0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_server(parse("--users-file", str(users)), env={}).close()  # mode 600: no warning


def test_users_from_the_environment(started):
    env = {"WYZEPAL_DEVSERVER_USERS": "a-bot@example.com:akey:Alpha, b-bot@example.com:bkey"}
    server = started(env=env)
    assert server.api_key("a-bot@example.com") == "akey" and server.api_key("b-bot@example.com") == "bkey"
    assert server.store.user_by_email("a-bot@example.com").full_name == "Alpha"


def test_a_generated_key_is_printed_because_nobody_else_knows_it(started):
    server = started("--user", "new-bot@example.com")
    assert server.api_key("new-bot@example.com") in banner(server)


def test_bad_user_specs_are_one_clear_line(tmp_path):
    with pytest.raises(SystemExit, match=r"--user: 'nobody' is not EMAIL\[:KEY\[:FULL NAME\]\]"):
        build_server(parse("--user", "nobody"), env={})
    with pytest.raises(SystemExit, match="--users-file .*missing: cannot read it"):
        build_server(parse("--users-file", str(tmp_path / "missing")), env={})
    with pytest.raises(SystemExit, match=r"\$WYZEPAL_DEVSERVER_USERS: 'x' is not EMAIL"):
        build_server(parse(), env={"WYZEPAL_DEVSERVER_USERS": "x"})


# --- people and names ---------------------------------------------------------------------------


def test_the_old_user_form_still_works_and_persons_are_humans(started):
    server = started("--user", "bot@example.com:oldkey", "--person", "alice@example.com:Alice Liddell")
    assert server.api_key("bot@example.com") == "oldkey"
    alice = server.store.user_by_email("alice@example.com")
    assert alice.full_name == "Alice Liddell" and alice.is_bot is False


def test_a_named_bot_answers_to_its_mention(started):
    """The Hubot README's `@**Hubot** help`: the bot named Hubot is mentioned by it."""
    server = started("--user", "hubot-bot@example.com:hk:Hubot", "--person", "alice@example.com:Alice")
    queue = requests.post(
        f"{server.api_url}/register",
        auth=("hubot-bot@example.com", "hk"),
        data={"event_types": json.dumps(["message"])},
        timeout=5,
    ).json()["queue_id"]
    server.send_message("alice@example.com", "general", "@**Hubot** help", topic="hubot")
    polled = requests.get(
        f"{server.api_url}/events",
        auth=("hubot-bot@example.com", "hk"),
        params={"queue_id": queue, "last_event_id": -1, "dont_block": "true"},
        timeout=5,
    ).json()
    [event] = polled["events"]
    assert "mentioned" in event["flags"]


# --- channels and bots from plugin configs ----------------------------------------------------------


def test_config_files_create_the_channels_and_bots_they_name(tmp_path, started):
    configs = []
    for tool in ("trac", "git", "jenkins", "hubot"):  # the templates as a user installs them (mode 600)
        copy = tmp_path / f"wyzepal_{tool}_config.py"
        copy.write_text((REPO / "templates" / copy.name).read_text())
        copy.chmod(0o600)
        configs.append(str(copy))
    server = started("--config", *configs)
    names = {s.name for s in server.store.streams()}
    assert {"trac", "commits", "ci", "general"} <= names
    trac_bot = server.store.user_by_email("trac-bot@chat.example.com")
    assert trac_bot.api_key == "0123456789abcdef0123456789abcdef" and trac_bot.full_name == "Trac"
    assert server.store.user_by_email("hubot-bot@chat.example.com").full_name == "Hubot"
    assert "0123456789abcdef0123456789abcdef" not in banner(server)


def test_configurations_entries_name_channels_too(tmp_path, started):
    config = tmp_path / "wyzepal_trac_config.py"
    config.write_text(
        "WYZEPAL_USER = 'trac-bot@example.com'\nWYZEPAL_API_KEY = 'k' * 32\nSTREAM_FOR_NOTIFICATIONS = 'trac'\n"
        "CONFIGURATIONS = [{'settings': {'stream': 'security'}}, {'stream': 'release'},"
        " {'settings': {'stream': 'per-{component}'}}]\n"
    )
    config.chmod(0o600)
    server = started("--config", str(config))
    assert [s.name for s in server.store.streams()] == ["trac", "security", "release"]


def test_a_broken_config_is_one_clear_line(tmp_path):
    config = tmp_path / "wyzepal_trac_config.py"
    config.write_text("STREAM_FOR_NOTIFICATIONS = (\n")
    with pytest.raises(SystemExit, match=r"--config .*wyzepal_trac_config.py: .*not valid Python"):
        build_server(parse("--config", str(config)), env={})


def test_without_config_only_general_exists_and_the_error_says_how_to_create_more(started):
    server = started()
    assert [s.name for s in server.store.streams()] == ["general"]
    email, key = server.credentials()[0]
    response = requests.post(
        f"{server.api_url}/messages",
        auth=(email, key),
        timeout=5,
        data={"type": "stream", "to": "trac", "topic": "t", "content": "x"},
    )
    body = response.json()
    assert body["code"] == "STREAM_DOES_NOT_EXIST" and body["stream"] == "trac"
    assert "--stream NAME" in body["msg"] and "--config" in body["msg"]


def test_the_banner_says_how_to_read_what_arrived(started):
    server = started()
    text = banner(server)
    assert f"curl -s '{server.site}/devserver/messages'" in text
    assert "--stream NAME or --config" in text


# --- the demo ---------------------------------------------------------------------------------------


def _demo(*argv, until="keeping", state=None):
    """Start ``demo`` and read its output up to the line holding ``until`` (at most 60 s: never hang on it)."""
    env = dict(os.environ, XDG_STATE_HOME=str(state)) if state else None  # a fresh outbox of its own
    process = subprocess.Popen(
        [sys.executable, "-m", "wyzepal_notifier", "demo", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    output = b""
    deadline = time.monotonic() + 60
    while until.encode() not in output and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(process.stdout.fileno(), 65536)
        if not chunk:
            break
        output += chunk
    return process, output.decode(errors="replace")


def test_demo_keep_hint_names_the_running_servers_key_and_port_and_it_works(tmp_path):
    config = tmp_path / "wyzepal_git_config.py"
    config.write_text(
        "WYZEPAL_USER = 'git-bot@example.com'\nWYZEPAL_API_KEY = 'g' * 32\nSTREAM_FOR_NOTIFICATIONS = 'commits'\n"
    )
    config.chmod(0o600)
    process, output = _demo("--keep", "--config", str(config), state=tmp_path / "state")
    try:
        match = re.search(r"curl -u (\S+):(\S+) '(http://127\.0\.0\.1:\d+)/api/v1/messages\?([^']*)'", output)
        assert match, output
        email, key, site, query = match.groups()
        response = requests.get(f"{site}/api/v1/messages?{query}", auth=(email, key), timeout=5)
        assert response.status_code == 200 and len(response.json()["messages"]) == 5
        assert f"curl -s '{site}/devserver/messages'" in output
        assert f"set WYZEPAL_SITE = '{site}'" in output
        streams = requests.get(f"{site}/api/v1/streams", auth=(email, key), timeout=5).json()["streams"]
        assert "commits" in {s["name"] for s in streams}  # from --config
        me = requests.get(f"{site}/api/v1/users/me", auth=("git-bot@example.com", "g" * 32), timeout=5)
        assert me.status_code == 200 and me.json()["full_name"] == "Git"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def test_demo_without_keep_says_how_to_look(tmp_path):
    process, output = _demo(until="--keep", state=tmp_path)
    process.wait(timeout=60)
    process.stdout.close()
    process.stderr.close()
    assert "run 'wyzepal-integrations demo --keep'" in output
