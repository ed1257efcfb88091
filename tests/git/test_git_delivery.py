"""A push never depends on the chat server: down, refusing or misconfigured, the push succeeds."""
from __future__ import annotations

import sqlite3
import time

import pytest
from gitrig import line, pending_in, spool_empties


def test_server_down_during_the_push_delays_the_notice_and_loses_nothing(remote, devserver):
    devserver.stop()
    sha = remote.commit("Pushed while the chat server was down")
    pushed = remote.push("origin", "main")

    assert "main -> main" in pushed.stderr
    assert "Traceback" not in pushed.stderr
    waiting = pending_in(remote.spool())
    assert len(waiting) == 1 and "Pushed while the chat server was down" in waiting[0]

    devserver.start()  # same port, same data: the detached worker's next retry gets through
    found = devserver.wait_for_messages(1, timeout=30, stream="commits", topic="main")
    assert found[0]["content"] == ("1 commit was pushed to branch `main` in `project`:\n"
                                   + line(sha, "Pushed while the chat server was down"))
    assert spool_empties(remote.spool())


def test_a_slow_server_never_holds_up_the_push(remote, devserver):
    devserver.faults.delay(6, n=1, path="messages")  # the first message is stored 6 s after it arrives
    sha = remote.commit("Pushed while the chat server answers slowly")
    remote.push("origin", "main")

    # A hook that delivered before exiting would return only once the server had stored the message.
    assert devserver.messages() == []
    assert len(pending_in(remote.spool())) == 1
    found = devserver.wait_for_messages(1, timeout=30, stream="commits", topic="main")
    assert found[0]["content"].endswith(line(sha, "Pushed while the chat server answers slowly"))


def test_hook_runs_with_no_home_and_a_minimal_path(remote, devserver):
    # gitrig pushes under env -i PATH=/usr/bin:/bin; the config (run by the hook) checks what it sees.
    probe = remote.bare / "hooks" / "wyzepal_git_config.py"
    probe.write_text(probe.read_text() + "import os\nassert 'HOME' not in os.environ, os.environ\n"
                     "assert os.environ['PATH'].endswith('/usr/bin:/bin')\n")
    sha = remote.commit("Bare environment")
    remote.push("origin", "main")
    assert devserver.wait_for_messages(1, timeout=10, topic="main")[0]["content"].endswith(
        line(sha, "Bare environment"))
    assert remote.spool().is_file()  # the spool lives in the repository, not under a HOME


@pytest.mark.parametrize("settings, explained", [
    ({"COMMIT_URL": "https://git.example.com/commit/{hash}"},
     ["COMMIT_URL: uses the unknown placeholder {hash}",
      "Fix: set COMMIT_URL to text with any of {sha}, {short}, {repo}"]),
    ({"WYZEPAL_API_KEY": None}, ["WYZEPAL_API_KEY: is missing", "Fix: add WYZEPAL_API_KEY = ..."]),
    ({"MAX_COMMITS": "20"}, ["MAX_COMMITS: has the wrong type str ('20')", "set MAX_COMMITS to a whole number"]),
])
def test_broken_config_is_explained_to_the_pusher_and_the_push_succeeds(remote, devserver, settings, explained):
    remote.write_config(**settings)
    remote.commit("Will not be announced")
    pushed = remote.push("origin", "main")

    assert "main -> main" in pushed.stderr
    lines = [text for text in pushed.stderr.splitlines() if "wyzepal-git-post-receive:" in text]
    assert len(lines) == 1, pushed.stderr
    assert f"{remote.config}: " in lines[0]
    for fragment in explained:
        assert fragment in lines[0]
    assert "no notification was sent" in lines[0]
    assert devserver.messages() == []


def test_missing_config_lists_where_it_looked(remote, devserver):
    remote.config.unlink()
    remote.commit("Nowhere to go")
    pushed = remote.push("origin", "main")

    assert "main -> main" in pushed.stderr
    assert "no wyzepal_git_config.py found" in pushed.stderr
    assert str(remote.bare / "hooks" / "wyzepal_git_config.py") in pushed.stderr
    assert "$WYZEPAL_GIT_CONFIG (not set)" in pushed.stderr


def test_config_named_by_the_environment_variable(remote, devserver, tmp_path):
    elsewhere = tmp_path / "etc" / "wyzepal_git_config.py"
    elsewhere.parent.mkdir()
    remote.config.rename(elsewhere)
    sha = remote.commit("Config from elsewhere")
    remote.push("origin", "main", env={"WYZEPAL_GIT_CONFIG": str(elsewhere)})
    assert devserver.wait_for_messages(1, timeout=10, topic="main")[0]["content"].endswith(
        line(sha, "Config from elsewhere"))


def test_a_rejected_api_key_never_shows_in_the_push_output_or_the_spool_errors(remote, devserver):
    secret = "s" * 32
    remote.write_config(WYZEPAL_API_KEY=secret)
    remote.commit("Wrong key")
    pushed = remote.push("origin", "main")
    assert secret not in pushed.stdout + pushed.stderr

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with sqlite3.connect(str(remote.spool())) as db:
            dead = db.execute("SELECT last_error FROM messages WHERE state = 'dead'").fetchall()
        if dead:
            break
        time.sleep(0.05)
    assert dead and "rejected" in dead[0][0] and secret not in dead[0][0]


def test_a_spool_that_cannot_be_created_falls_back_to_a_private_one(remote, devserver, tmp_path):
    remote.write_config(OUTBOX_PATH="/dev/null/outbox.sqlite3")
    sha = remote.commit("Spool elsewhere")
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    pushed = remote.push("origin", "main", env={"TMPDIR": str(private_tmp)})

    assert "/dev/null/outbox.sqlite3: OUTBOX_PATH: cannot be created" in pushed.stderr
    assert f"using {private_tmp}/wyzepal-integrations-" in pushed.stderr
    message = devserver.wait_for_messages(1, timeout=10, topic="main")[0]
    assert message["content"].endswith(line(sha, "Spool elsewhere"))
    assert list(private_tmp.glob("wyzepal-integrations-*/git-outbox.sqlite3"))
