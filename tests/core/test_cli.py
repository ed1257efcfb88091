"""The wyzepal-integrations command as a user runs it: a separate process, real HTTP."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest
from wyzepal_notifier.devserver.middleware import RECORD_ENV
from wyzepal_notifier.devserver.runner import DevServer

KEY = "clitestkey0123456789abcdefghijkl"


@pytest.fixture(scope="module")
def server():
    with DevServer(streams=["general", "ci"]) as dev:
        dev.add_user("cli@example.com", KEY, full_name="CLI Bot")
        dev.add_user("bot@example.com")
        yield dev


def run(*args, env=None, stdin=None, server=None):
    # No WYZEPAL_* settings leak in; the session's response recording does (see tests/conftest.py).
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WYZEPAL_") or k == RECORD_ENV}
    if server is not None:
        environment.update(WYZEPAL_SITE=server.site, WYZEPAL_USER="cli@example.com", WYZEPAL_API_KEY=KEY)
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "wyzepal_notifier", *args], input=stdin, capture_output=True,
                          text=True, env=environment, timeout=60)


def config_file(tmp_path, server, stream="ci", extra=""):
    path = tmp_path / "wyzepal_generic_config.py"
    path.write_text(textwrap.dedent(f"""
        WYZEPAL_SITE = "{server.site}"
        WYZEPAL_USER = "cli@example.com"
        WYZEPAL_API_KEY = "{KEY}"
        STREAM_FOR_NOTIFICATIONS = "{stream}"
    """) + extra)
    path.chmod(0o600)
    return path


@pytest.mark.parametrize("command", ["send", "check", "template", "list", "demo", "devserver", "outbox"])
def test_every_subcommand_has_help(command):
    result = run(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: wyzepal-integrations " + command in result.stdout


def test_no_subcommand_is_bad_usage():
    assert run().returncode == 2


def test_send_with_environment_credentials(server):
    result = run("send", "--stream", "ci", "--topic", "cli", "--content", "from the shell", server=server)
    assert result.returncode == 0, result.stderr
    assert server.messages(stream="ci", topic="cli")[-1]["content"] == "from the shell"


def test_send_reads_content_from_stdin(server):
    result = run("send", "--stream", "ci", "--topic", "stdin", stdin="line one\nline two\n", server=server)
    assert result.returncode == 0, result.stderr
    assert server.messages(stream="ci", topic="stdin")[-1]["content"] == "line one\nline two"


def test_send_direct_message_with_config_file(server, tmp_path):
    result = run("send", "--to", "bot@example.com", "--content", "psst", "--config", str(config_file(tmp_path, server)))
    assert result.returncode == 0, result.stderr
    assert any(m["type"] == "private" and m["content"] == "psst" for m in server.messages())


def test_send_with_wyzepalrc(server, tmp_path):
    rc = tmp_path / "wyzepalrc"
    rc.write_text(f"[api]\nemail=cli@example.com\nkey={KEY}\nsite={server.site}\n")
    rc.chmod(0o600)
    result = run("send", "--stream", "ci", "--topic", "rc", "--content", "via rc", env={"WYZEPAL_CONFIG": str(rc)})
    assert result.returncode == 0, result.stderr


def test_send_rejected_key_exits_1_with_clear_message(server):
    result = run("send", "--stream", "ci", "--topic", "t", "--content", "x", server=server,
                 env={"WYZEPAL_API_KEY": "badbadbadbadbadbadbadbadbadbad00"})
    assert result.returncode == 1
    assert "API key of cli@example.com was rejected" in result.stderr
    assert "Traceback" not in result.stderr and "badbad" not in result.stderr


def test_send_to_missing_channel_exits_1(server):
    result = run("send", "--stream", "nowhere", "--topic", "t", "--content", "x", server=server)
    assert result.returncode == 1 and "'nowhere' does not exist" in result.stderr


@pytest.mark.parametrize("args", [("--stream", "ci", "--topic", "t", "--content", "  "),
                                  ("--stream", "ci", "--content", "no topic")])
def test_send_bad_usage_exits_2(server, args):
    result = run("send", *args, server=server)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_send_without_any_credentials_exits_2_and_says_where_it_looked(tmp_path):
    result = run("send", "--stream", "ci", "--topic", "t", "--content", "x", env={"HOME": str(tmp_path)})
    assert result.returncode == 2 and "wyzepalrc" in result.stderr


def test_check_valid_and_invalid(server, tmp_path):
    good = config_file(tmp_path, server)
    result = run("check", "--config", str(good))
    assert result.returncode == 0 and "valid:" in result.stdout
    bad = tmp_path / "wyzepal_other_config.py"
    bad.write_text('WYZEPAL_SITE = "https://x.example.com"\nWYZEPAL_USER = "nobody"\n')
    result = run("check", "--config", str(bad))
    assert result.returncode == 2
    assert str(bad) in result.stderr and "WYZEPAL_USER" in result.stderr and "Fix:" in result.stderr


def test_check_warns_about_unknown_keys(server, tmp_path):
    result = run("check", "--config", str(config_file(tmp_path, server, extra='TOPC = "x"\n')))
    assert result.returncode == 0 and "did you mean TOPIC" in result.stdout


def test_check_ping_verdicts(server, tmp_path):
    result = run("check", "--ping", "--config", str(config_file(tmp_path, server)))
    assert result.returncode == 0, result.stderr
    assert "logged in" in result.stdout and "ready to deliver" in result.stdout
    result = run("check", "--ping", "--config", str(config_file(tmp_path, server, stream="missing")))
    assert result.returncode == 1 and "missing" in result.stderr


def test_list_shows_the_installed_integrations():
    try:
        declared = [ep for ep in metadata.distribution("wyzepal-integrations").entry_points
                    if ep.group == "wyzepal.integrations"]
    except metadata.PackageNotFoundError:
        pytest.skip("the project is not installed (run through tox)")
    loadable, broken = set(), set()
    for entry_point in declared:  # in a fresh process: pytest's sys.path has tests/<tool> folders on it
        probe = subprocess.run([sys.executable, "-c", f"import {entry_point.value.split(':')[0]}"],
                               capture_output=True)
        (loadable if probe.returncode == 0 else broken).add(entry_point.name)
    result = run("list")
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.splitlines()
              if line and not line.startswith(" ") and "not usable here" not in line}
    if loadable:
        assert listed == loadable
    else:  # installed metadata without the plugins' code (a stale egg-info in a source checkout)
        assert "no integrations installed" in result.stdout
    for name in broken:  # listed, with the extra to install (python-jenkins, Trac)
        assert f"{name:<10} not usable here: the {name} plugin needs the" in result.stdout


def test_demo_delivers_every_sample():
    result = run("demo")
    assert result.returncode == 0, result.stderr
    assert "queued 5 notifications from 3 events; 5 arrived" in result.stdout
    assert "#security > #42" in result.stdout and "#ci > deploy-web" in result.stdout
    contents = [line for line in result.stdout.splitlines() if line.startswith("    ")]
    assert any("all" in line for line in contents)
    assert not any(re.search(r"@_?\*", line) for line in contents)  # the hostile summary pings nobody


@pytest.mark.parametrize("tool", ["trac", "jenkins", "hubot", "git", "svn"])
def test_template_prints_the_plugin_template(tool):
    result = run("template", tool)
    assert result.returncode == 0, result.stderr
    shipped = (Path(__file__).resolve().parents[2] / "templates" / f"wyzepal_{tool}_config.py").read_text()
    assert result.stdout == shipped and "WYZEPAL_API_KEY" in shipped


def test_template_writes_a_private_file_and_keeps_an_existing_one(tmp_path):
    result = run("template", "git", "--output", str(tmp_path))
    target = tmp_path / "wyzepal_git_config.py"
    assert result.returncode == 0 and target.is_file() and (target.stat().st_mode & 0o777) == 0o600
    target.write_text("# edited\n")
    again = run("template", "git", "--output", str(target))
    assert again.returncode == 2 and "already exists" in again.stderr and target.read_text() == "# edited\n"


def test_template_for_an_unknown_tool_names_the_known_ones():
    result = run("template", "jira")
    assert result.returncode == 2 and "trac" in result.stderr and "jenkins" in result.stderr
