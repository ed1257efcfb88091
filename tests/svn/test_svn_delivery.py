"""A commit never depends on the chat server, the environment or a correct config."""
from __future__ import annotations

import pytest
from svnrig import changeset, pending_in, spool_empties


def test_server_down_during_the_commit_delays_the_notice_and_loses_nothing(repo, devserver):
    devserver.stop()
    revision, output = repo.commit("Committed while the chat server was down", files={"x": "1\n"})

    assert "Warning" not in output, output
    waiting = pending_in(repo.spool())
    assert len(waiting) == 1 and "Committed while the chat server was down" in waiting[0]

    devserver.start()
    found = devserver.wait_for_messages(1, timeout=30, stream="commits", topic="repo")
    assert found[0]["content"].startswith(f"**alice** committed {changeset(revision)} to `repo`:\n")
    assert spool_empties(repo.spool())


def test_a_slow_server_never_holds_up_the_commit(repo, devserver):
    devserver.faults.delay(6, n=1, path="messages")  # the first message is stored 6 s after it arrives
    revision, output = repo.commit("Committed while the chat server answers slowly", files={"x": "1\n"})

    # A hook that delivered before exiting would return only once the server had stored the message.
    assert devserver.messages() == []
    assert len(pending_in(repo.spool())) == 1
    found = devserver.wait_for_messages(1, timeout=30, stream="commits", topic="repo")
    assert found[0]["content"].startswith(f"**alice** committed {changeset(revision)} to `repo`:\n")


def test_hook_gets_no_home_and_no_path_yet_finds_config_spool_and_svnlook(repo, devserver):
    repo.write_config(extra="import os\nassert 'HOME' not in os.environ and 'PATH' not in os.environ, "
                            "sorted(os.environ)\n")
    revision, output = repo.commit("Bare", files={"x": "1\n"})

    assert "Warning" not in output, output
    found = devserver.wait_for_messages(1, timeout=10, topic="repo")
    assert found[0]["content"].startswith(f"**alice** committed {changeset(revision)}")
    assert repo.spool().is_file()


@pytest.mark.parametrize("settings, explained", [
    ({"REVISION_URL": "https://trac.example.com/changeset/{rev}"},
     ["REVISION_URL: uses the unknown placeholder {rev}",
      "Fix: set REVISION_URL to text with any of {revision}, {repo}"]),
    ({"STREAM_FOR_NOTIFICATIONS": None}, ["STREAM_FOR_NOTIFICATIONS: is missing", "the channel notifications go to"]),
    ({"SVNLOOK_PATH": "/nowhere/svnlook"}, ["SVNLOOK_PATH: /nowhere/svnlook is not an executable file",
                                           "give the full path of svnlook"]),
])
def test_broken_config_is_shown_to_the_committer_and_the_commit_stands(repo, devserver, settings, explained):
    repo.write_config(**settings)
    revision, output = repo.commit("Committed anyway", files={"x": "1\n"})

    assert revision == 1
    assert "post-commit hook failed (exit code 1) with output:" in output
    for fragment in explained:
        assert fragment in output
    assert "no notification was sent" in output
    assert devserver.messages() == []


def test_missing_config_lists_where_it_looked(repo, devserver):
    repo.config.unlink()
    _, output = repo.commit("Nowhere", files={"x": "1\n"})
    assert "no wyzepal_svn_config.py found" in output
    assert str(repo.repos / "hooks" / "wyzepal_svn_config.py") in output
