"""The other Subversion hooks: post-lock, post-unlock, post-revprop-change (a log edit edits the message); diffstat."""
from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from svnrig import changeset, spool_empties

README = Path(__file__).resolve().parents[2] / "plugins" / "svn" / "README.md"


def readme_pre_revprop_change() -> str:
    """The README's ``pre-revprop-change`` hook, the one that allows log edits only."""
    found = re.search(r"hook allows it\..*?```sh\n(.*?)```", README.read_text(), re.S)
    assert found, "the README lost its pre-revprop-change hook"
    return found.group(1)


def install_as_the_readme_says(repo) -> None:
    """The README's install loop for post-lock, post-unlock and post-revprop-change, run in the repository."""
    found = re.search(r"Install them as the post-commit hook.*?```sh\n(.*?)```", README.read_text(), re.S)
    assert found, "the README lost its install lines for the other hooks"
    script = found.group(1).replace("cd /srv/svn/project/hooks", f"cd {repo.repos / 'hooks'}")
    scripts = Path(sys.executable).parent  # where pip put the console scripts
    subprocess.run(["sh", "-ec", script], env={"PATH": f"{scripts}:/usr/bin:/bin"}, check=True)


def wait_for_content(devserver, message_id: int, changed_from: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in devserver.messages() if m["id"] == message_id]
        if found and found[0]["content"] != changed_from:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"message {message_id} was not edited within {timeout} s")


def test_locks_and_unlocks_are_announced_in_the_locks_topic(repo, devserver):
    install_as_the_readme_says(repo)
    repo.commit("Files", files={"trunk/a.txt": "1\n", "trunk/b c.txt": "1\n"})
    devserver.wait_for_messages(1, timeout=10, topic="repo")
    repo.svn("lock", "-m", "Editing @**all** of it", "trunk/a.txt", "trunk/b c.txt", "--username", "bob", cwd=repo.wc)

    locked = devserver.wait_for_messages(1, timeout=10, topic="locks")[0]["content"]
    assert locked == ("**bob** locked 2 paths in `repo`:\n"
                      "* `/trunk/a.txt`: Editing @\u200b\\*\\*all\\*\\* of it\n"
                      "* `/trunk/b c.txt`: Editing @\u200b\\*\\*all\\*\\* of it")
    repo.svn("unlock", "trunk/a.txt", "--username", "bob", cwd=repo.wc)
    unlocked = devserver.wait_for_messages(2, timeout=10, topic="locks")[-1]["content"]
    assert unlocked == "**bob** unlocked 1 path in `repo`:\n* `/trunk/a.txt`"


def test_lock_notices_follow_path_conditions_and_their_topic_setting(repo, devserver):
    repo.install_command("post-lock", 2)
    repo.write_config(LOCK_TOPIC="{repo} locks", CONFIGURATIONS=[
        {"description": "web", "conditions": {"path": "/trunk/web"}, "stream": "web"}])
    repo.commit("Files", files={"trunk/web/a.css": "1\n", "trunk/api/b.py": "1\n"})
    devserver.wait_for_messages(1, timeout=10, stream="web")
    repo.svn("lock", "trunk/api/b.py", cwd=repo.wc)
    repo.svn("lock", "trunk/web/a.css", cwd=repo.wc)

    found = devserver.wait_for_messages(2, timeout=10, stream="web")
    assert spool_empties(repo.spool())
    assert [(m["subject"], m["content"].split("\n")[-1]) for m in found][-1] == ("repo locks", "* `/trunk/web/a.css`")
    assert len(devserver.messages(stream="web")) == 2  # the commit and the web lock, not the api lock


def test_a_changed_log_message_edits_the_original_message(repo, devserver):
    repo.install("pre-revprop-change", readme_pre_revprop_change())
    repo.install_command("post-revprop-change", 5)
    revision, _ = repo.commit("Fix teh typo", files={"trunk/a.txt": "1\n"})
    original = devserver.wait_for_messages(1, timeout=10, topic="repo")[0]

    repo.svn("propset", "--revprop", "-r", str(revision), "svn:log", "Fix the typo @**all**", repo.url,
             "--username", "carol")
    edited = wait_for_content(devserver, original["id"], original["content"])
    assert edited["content"] == (f"**alice** committed {changeset(revision)} to `repo`:\n"
                                 "```quote\nFix the typo @\u200b**all**\n```\n* `A /trunk/`\n* `A /trunk/a.txt`"
                                 "\n\n*(log message edited by carol)*")
    assert spool_empties(repo.spool())
    assert len(devserver.messages()) == 1  # an edit, not a second message


def test_a_log_edit_finds_the_message_by_its_revision_when_the_spool_forgot_it(repo, devserver):
    repo.install("pre-revprop-change", readme_pre_revprop_change())
    repo.install_command("post-revprop-change", 5)
    revision, _ = repo.commit("First words", files={"trunk/a.txt": "1\n"})
    original = devserver.wait_for_messages(1, timeout=10, topic="repo")[0]
    assert spool_empties(repo.spool())
    for leftover in repo.repos.glob("wyzepal-outbox.sqlite3*"):  # another server posted it, or the spool was lost
        leftover.unlink()

    repo.svn("propset", "--revprop", "-r", str(revision), "svn:log", "Better words", repo.url)
    edited = wait_for_content(devserver, original["id"], original["content"])
    assert "```quote\nBetter words\n```" in edited["content"]
    assert len(devserver.messages()) == 1


def test_pre_revprop_change_from_the_readme_refuses_other_properties(repo, devserver):
    repo.install("pre-revprop-change", readme_pre_revprop_change())
    revision, _ = repo.commit("Mine", files={"trunk/a.txt": "1\n"})
    try:
        repo.svn("propset", "--revprop", "-r", str(revision), "svn:author", "mallory", repo.url)
    except AssertionError as refused:
        assert "Only log messages (svn:log) may be changed" in str(refused)
    else:
        raise AssertionError("svn:author was changed although pre-revprop-change allows only svn:log")


def test_other_revision_properties_are_a_short_notice_in_the_revision_topic(repo, devserver):
    repo.install("pre-revprop-change", "#!/bin/sh\nexit 0\n")
    repo.install_command("post-revprop-change", 5)
    revision, _ = repo.commit("Mine", files={"trunk/a.txt": "1\n"})
    devserver.wait_for_messages(1, timeout=10, topic="repo")
    repo.svn("propset", "--revprop", "-r", str(revision), "svn:author", "carol *x*", repo.url, "--username", "dave")
    repo.svn("propset", "--revprop", "-r", str(revision), "release-note", "yes", repo.url, "--username", "dave")

    found = devserver.wait_for_messages(3, timeout=10, topic="repo")
    assert [m["content"] for m in found[1:]] == [
        f"**dave** changed the property `svn:author` of {changeset(revision)} in `repo`: `alice` → `carol *x*`.",
        f"**dave** added the property `release-note` of {changeset(revision)} in `repo`: `yes`.",
    ]


def test_diffstat_shows_lines_added_and_removed_per_path(repo, devserver):
    repo.write_config(DIFFSTAT=True)
    repo.commit("Start", files={"trunk/a.txt": "1\n2\n3\n", "trunk/gone.txt": "x\ny\n"})
    revision, _ = repo.commit("Change", files={"trunk/a.txt": "1\nzwei\n3\n4\n"}, remove=("trunk/gone.txt",))

    content = devserver.wait_for_messages(2, timeout=10, topic="repo")[-1]["content"]
    assert content == (f"**alice** committed {changeset(revision)} to `repo`:\n```quote\nChange\n```\n"
                       "* `M /trunk/a.txt` +2 −1\n* `D /trunk/gone.txt` +0 −2")


def test_a_log_edit_past_the_servers_edit_limit_follows_in_the_same_topic(repo, devserver):
    repo.install("pre-revprop-change", readme_pre_revprop_change())
    repo.install_command("post-revprop-change", 5)
    revision, _ = repo.commit("Old words", files={"trunk/a.txt": "1\n"})
    original = devserver.wait_for_messages(1, timeout=10, topic="repo")[0]
    devserver.backdate_message(original["id"], 3600)  # Zulip's default limit is 10 minutes

    repo.svn("propset", "--revprop", "-r", str(revision), "svn:log", "New words", repo.url, "--username", "carol")
    found = devserver.wait_for_messages(2, timeout=20, topic="repo")
    assert found[0]["content"] == original["content"]  # the server refused to change it
    assert "```quote\nNew words\n```" in found[1]["content"]
    assert found[1]["content"].endswith("*(log message edited by carol)*")
