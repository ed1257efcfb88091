"""Where a push goes: digests of many refs, path conditions, one hook for many repositories (git config)."""
from __future__ import annotations

import re

from gitrig import BARE_ENV, git, hook_program, line, spool_empties


def test_thirty_tags_in_one_push_are_one_message_branches_keep_their_topics(remote, devserver):
    tip = remote.commit("Tagged often")
    for n in range(30):
        git("tag", f"build-{n:02}", cwd=remote.work)
    git("checkout", "-q", "-b", "other", cwd=remote.work)
    other = remote.commit("On other")
    remote.push("origin", "--tags", "main", "other")

    devserver.wait_for_messages(3, timeout=15)
    assert spool_empties(remote.spool())
    assert sorted(m["subject"] for m in devserver.messages()) == ["main", "other", "tags"]
    tags = devserver.messages(topic="tags")[0]["content"].split("\n\n")
    assert tags == [f"Tag `build-{n:02}` was created in `project` at [{tip[:7]}](https://git.example.com/project/"
                    f"commit/{tip})." for n in range(30)]
    assert devserver.messages(topic="other")[0]["content"].endswith(line(other, "On other"))


def test_a_digest_past_the_size_limit_splits_into_numbered_parts_between_entries(remote, devserver):
    remote.write_config(MAX_MESSAGE_LENGTH=1000)
    for n in range(30):
        git("tag", f"build-{n:02}", cwd=remote.work)
    remote.push("origin", "--tags")

    parts = devserver.wait_for_messages(2, timeout=15, topic="tags")
    assert spool_empties(remote.spool())
    parts = devserver.messages(topic="tags")
    count = len(parts)
    assert count >= 3
    entries = []
    for n, part in enumerate(parts, start=1):
        content = part["content"]
        assert len(content) <= 1000
        label, _, rest = content.partition("\n\n")
        assert label == f"*(part {n} of {count})*"
        entries += rest.split("\n\n")
    assert [re.match(r"Tag `(build-\d+)` was created in `project` at \[\w+\]\(\S+\)\.$", e).group(1)
            for e in entries] == [f"build-{n:02}" for n in range(30)]


def test_path_conditions_hide_commits_and_files_from_a_destination(remote, devserver):
    remote.write_config(DIFFSTAT=True, CONFIGURATIONS=[
        {"description": "all but secrets", "stream": "commits", "settings": {"EXCLUDE_PATHS": ["secret"]}},
        {"description": "docs only", "stream": "releases", "settings": {"PATHS": ["docs/*", "*.md"]}},
    ])
    hidden = remote.commit_files("Rotate the key", {"secret/key.pem": "k\n"})
    mixed = remote.commit_files("App and its key", {"secret/app.pem": "k\n", "src/app.py": "x = 1\n"})
    docs = remote.commit_files("Docs", {"docs/guide.txt": "read me\n", "README.md": "hi\n"})
    remote.push("origin", "main")

    shown = devserver.wait_for_messages(1, timeout=10, stream="commits", topic="main")[0]["content"]
    assert shown == ("2 commits were pushed to branch `main` in `project`:\n"
                     + line(mixed, "App and its key") + "\n  1 file changed, +1 −0: `src/app.py` +1 −0\n"
                     + line(docs, "Docs") + "\n  2 files changed, +2 −0: `README.md` +1 −0, `docs/guide.txt` +1 −0")
    assert "secret" not in shown and hidden[:7] not in shown and "Rotate" not in shown
    docs_only = devserver.wait_for_messages(1, timeout=10, stream="releases", topic="main")[0]["content"]
    assert docs_only == ("1 commit was pushed to branch `main` in `project`:\n" + line(docs, "Docs")
                         + "\n  2 files changed, +2 −0: `README.md` +1 −0, `docs/guide.txt` +1 −0")

    # A push of only excluded paths says nothing where they are excluded.
    remote.commit_files("Another key", {"secret/other.pem": "k\n"})
    remote.push("origin", "main")
    assert spool_empties(remote.spool())
    assert len(devserver.messages(stream="commits")) == 1 and len(devserver.messages(stream="releases")) == 1


SHARED_CONFIG = "WYZEPAL_SITE = {site!r}\nWYZEPAL_USER = {user!r}\nWYZEPAL_API_KEY = {key!r}\n" \
                "STREAM_FOR_NOTIFICATIONS = 'commits'\n"


def test_one_hook_serves_two_repositories_whose_channels_come_from_git_config(tmp_path, devserver, devserver_bot):
    for stream in ("backend", "frontend"):
        devserver.add_stream(stream)
    hooks = tmp_path / "shared-hooks"  # as core.hooksPath, gitolite or Gerrit give every repository one hook
    hooks.mkdir()
    (hooks / "post-receive").symlink_to(hook_program(tmp_path))
    config = hooks / "wyzepal_git_config.py"
    config.write_text(SHARED_CONFIG.format(site=devserver.site, user=devserver_bot[0], key=devserver_bot[1]))
    config.chmod(0o600)
    pushed = {}
    for name, settings in (("api", {"stream": "backend", "topic": "{repo}: {branch}"}),
                           ("web", {"channel": "frontend", "maxCommits": "1"})):
        bare, work = tmp_path / f"{name}.git", tmp_path / name
        git("init", "-q", "--bare", "--initial-branch=main", str(bare))
        git("config", "core.hooksPath", str(hooks), cwd=bare)
        for key, value in settings.items():
            git("config", f"wyzepal.{key}", value, cwd=bare)
        git("clone", "-q", str(bare), str(work))
        git("commit", "-q", "--allow-empty", "-m", f"{name} first", cwd=work)
        git("commit", "-q", "--allow-empty", "-m", f"{name} second", cwd=work)
        git("push", "-q", "origin", "main", cwd=work)
        pushed[name] = git("rev-parse", "HEAD", cwd=work).stdout.strip()

    api = devserver.wait_for_messages(1, timeout=10, stream="backend")[0]
    web = devserver.wait_for_messages(1, timeout=10, stream="frontend")[0]
    assert api["subject"] == "api: main" and api["content"].startswith("Branch `main` was created in `api` at ")
    assert web["subject"] == "main" and web["content"].endswith("\n\n… and 1 more commit.")
    assert devserver.messages(stream="commits") == []
    assert (tmp_path / "api.git" / "wyzepal-outbox.sqlite3").is_file()  # each repository its own spool


def test_git_config_names_the_config_file_and_refuses_the_api_key(tmp_path, devserver, devserver_bot):
    devserver.add_stream("commits")
    bare, work = tmp_path / "p.git", tmp_path / "p"
    elsewhere = tmp_path / "etc"
    elsewhere.mkdir()
    config = elsewhere / "wyzepal.py"
    config.write_text(SHARED_CONFIG.format(site=devserver.site, user=devserver_bot[0], key=devserver_bot[1]))
    config.chmod(0o600)
    git("init", "-q", "--bare", "--initial-branch=main", str(bare))
    (bare / "hooks" / "post-receive").symlink_to(hook_program(tmp_path))
    git("config", "wyzepal.config", str(config), cwd=bare)
    git("clone", "-q", str(bare), str(work))
    git("commit", "-q", "--allow-empty", "-m", "First", cwd=work)
    git("push", "-q", "origin", "main", cwd=work)
    assert devserver.wait_for_messages(1, timeout=10, stream="commits")[0]["subject"] == "main"

    git("config", "wyzepal.apiKey", "in-the-open", cwd=bare)
    git("commit", "-q", "--allow-empty", "-m", "Second", cwd=work)
    done = git("push", "origin", "main", cwd=work, env=BARE_ENV)
    assert "git config: wyzepal.apikey: cannot be set in git config" in done.stderr
    assert "keep the API key in the config file" in done.stderr
    assert "in-the-open" not in done.stderr and "Traceback" not in done.stderr


def test_git_config_lists_switches_and_a_misspelt_key(remote, devserver):
    for value in ("secret", "*.pem"):
        git("config", "--add", "wyzepal.excludePaths", value, cwd=remote.bare)
    git("config", "wyzepal.diffstat", "true", cwd=remote.bare)
    shown = remote.commit_files("App and keys", {"secret/a.txt": "k\n", "b.pem": "k\n", "src/app.py": "x\n"})
    remote.push("origin", "main")
    assert only_message(devserver)["content"] == (
        "1 commit was pushed to branch `main` in `project`:\n" + line(shown, "App and keys")
        + "\n  1 file changed, +1 −0: `src/app.py` +1 −0")

    git("config", "wyzepal.maxComits", "5", cwd=remote.bare)
    still = remote.commit("Typo in the config")
    done = remote.push("origin", "main")
    assert "git config: wyzepal.maxcomits is not a setting and is ignored" in done.stderr
    assert "git config --unset wyzepal.maxcomits" in done.stderr
    found = devserver.wait_for_messages(2, timeout=10, topic="main")  # the rest of the config still applies
    assert found[-1]["content"] == ("1 commit was pushed to branch `main` in `project`:\n"
                                    + line(still, "Typo in the config"))


def only_message(devserver, stream="commits", topic="main"):
    found = devserver.wait_for_messages(1, timeout=10, stream=stream, topic=topic)
    assert len(found) == 1, found
    return found[0]
