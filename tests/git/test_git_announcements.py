"""Real pushes to a real bare repository; the exact messages the dev server receives."""
from __future__ import annotations

from gitrig import git, hook_program, line, url


def only_message(devserver, stream="commits", topic=None):
    found = devserver.wait_for_messages(1, timeout=10, stream=stream, topic=topic)
    assert len(found) == 1, found
    return found[0]


def test_push_lists_commits_with_link_title_and_author(remote, devserver):
    first = remote.commit("Add the login form", author="Alice Doe")
    second = remote.commit("Fix @**all** the *typos*", author="Bob Roe")
    remote.push("origin", "main")

    message = only_message(devserver, topic="main")
    assert message["display_recipient"] == "commits"
    assert message["content"] == (
        "2 commits were pushed to branch `main` in `project`:\n"
        + line(first, "Add the login form") + "\n"
        + line(second, "Fix @\u200b\\*\\*all\\*\\* the \\*typos\\*", "Bob Roe")
    )


def test_first_push_to_an_empty_repository_creates_the_branch(tmp_path, devserver, devserver_bot):
    bare, work = tmp_path / "empty.git", tmp_path / "clone"
    git("init", "-q", "--bare", "--initial-branch=main", str(bare))
    (bare / "hooks" / "post-receive").symlink_to(hook_program(tmp_path))
    (bare / "hooks" / "wyzepal_git_config.py").write_text(
        f"WYZEPAL_SITE = {devserver.site!r}\nWYZEPAL_USER = {devserver_bot[0]!r}\n"
        f"WYZEPAL_API_KEY = {devserver_bot[1]!r}\nSTREAM_FOR_NOTIFICATIONS = 'ci'\n")
    git("clone", "-q", str(bare), str(work))
    git("commit", "-q", "--allow-empty", "-m", "First", cwd=work)
    git("commit", "-q", "--allow-empty", "-m", "Second", cwd=work)
    git("push", "-q", "origin", "main", cwd=work)
    first, second = (git("rev-parse", rev, cwd=work).stdout.strip() for rev in ("HEAD~1", "HEAD"))

    message = only_message(devserver, stream="ci", topic="main")
    assert message["content"] == (
        f"Branch `main` was created in `empty` at `{second[:7]}` with 2 new commits:\n"
        f"* `{first[:7]}` First (Alice Doe)\n* `{second[:7]}` Second (Alice Doe)")


def test_a_push_names_the_pusher_when_the_git_server_does(remote, devserver):
    sha = remote.commit("Second")
    remote.push("origin", "main", env={"GL_USERNAME": "carol"})

    assert only_message(devserver, topic="main")["content"] == (
        "**carol** pushed 1 commit to branch `main` in `project`:\n" + line(sha, "Second"))


def test_sixty_commit_push_lists_twenty_and_counts_the_rest(remote, devserver):
    shas = [remote.commit(f"Change number {n}") for n in range(1, 61)]
    remote.push("origin", "main")

    content = only_message(devserver, topic="main")["content"]
    expected_lines = [line(sha, f"Change number {n}") for n, sha in enumerate(shas[:20], start=1)]
    assert content == ("60 commits were pushed to branch `main` in `project`:\n"
                       + "\n".join(expected_lines) + "\n\n… and 40 more commits.")


def test_new_branch_lists_only_commits_no_other_branch_has(remote, devserver):
    base = remote.commit("On main")
    remote.push("origin", "main")
    devserver.wait_for_messages(1, timeout=10)
    remote_branch = "feature/login"
    git("checkout", "-q", "-b", remote_branch, cwd=remote.work)
    new = remote.commit("Login page")
    remote.push("origin", remote_branch)

    message = only_message(devserver, topic=remote_branch)
    assert message["content"] == (
        f"Branch `feature/login` was created in `project` at [{new[:7]}]({url(new)}) with 1 new commit:\n"
        + line(new, "Login page"))
    assert base not in message["content"]


def test_branch_pointing_at_existing_commit_and_its_deletion(remote, devserver):
    tip = remote.commit("Release candidate")
    remote.push("origin", "main")
    remote.push("origin", "main:release/1.0")
    assert only_message(devserver, topic="release/1.0")["content"] == (
        f"Branch `release/1.0` was created in `project` at [{tip[:7]}]({url(tip)}).")

    remote.push("origin", "--delete", "release/1.0")
    found = devserver.wait_for_messages(2, timeout=10, topic="release/1.0")
    assert found[-1]["content"] == f"Branch `release/1.0` was deleted in `project` (it was at `{tip[:7]}`)."


def test_force_push_says_history_was_rewritten_and_mentions_nobody(remote, devserver):
    remote.commit("One")
    two = remote.commit("Two")
    old = remote.commit("Three")
    remote.push("origin", "main")
    devserver.wait_for_messages(1, timeout=10)
    git("reset", "-q", "--hard", "HEAD~2", cwd=remote.work)
    new = remote.commit("Two, done right")
    remote.push("--force", "origin", "main")

    found = devserver.wait_for_messages(2, timeout=10, topic="main")
    assert found[-1]["content"] == (
        f"Branch `main` in `project` was force-pushed (history rewritten: `{old[:7]}` → "
        f"[{new[:7]}]({url(new)})).\n\n"
        f"2 commits discarded (no longer on any branch or tag):\n"
        f"* `{two[:7]}` Two (Alice Doe)\n* `{old[:7]}` Three (Alice Doe)\n\n"
        f"1 new commit:\n" + line(new, "Two, done right"))
    assert "@**" not in found[-1]["content"]


def test_tags_created_and_deleted_go_to_the_tag_topic(remote, devserver):
    tip = remote.commit("Ready")
    remote.push("origin", "main")
    devserver.wait_for_messages(1, timeout=10)
    git("tag", "-a", "v1.0", "-m", "Release 1.0 @**everyone**", cwd=remote.work)
    git("tag", "v1.0-light", cwd=remote.work)
    remote.push("origin", "v1.0", "v1.0-light")

    # Two tags in one push, one topic: one message (the digest), the entries in push order.
    created = only_message(devserver, topic="tags")["content"]
    entries = created.split("\n\n")
    assert sorted(entries) == [
        f"Tag `v1.0-light` was created in `project` at [{tip[:7]}]({url(tip)}).",
        f"Tag `v1.0` was created in `project` at [{tip[:7]}]({url(tip)}):\n"
        "```quote\nRelease 1.0 @\u200b**everyone**\n```\n"
        f"2 commits up to this tag (no earlier annotated tag on its line):\n"
        + line(remote.initial, "Initial commit") + "\n" + line(tip, "Ready"),
    ]

    remote.push("origin", "--delete", "v1.0")
    found = devserver.wait_for_messages(2, timeout=10, topic="tags")
    assert found[-1]["content"] == f"Tag `v1.0` was deleted in `project` (it was at `{tip[:7]}`)."


def test_without_commit_url_hashes_are_plain_code(remote, devserver):
    remote.write_config(COMMIT_URL=None)
    sha = remote.commit("No links here")
    remote.push("origin", "main")
    assert only_message(devserver, topic="main")["content"] == (
        f"1 commit was pushed to branch `main` in `project`:\n* `{sha[:7]}` No links here (Alice Doe)")


def test_two_new_branches_in_one_push_list_each_new_commit_once(remote, devserver):
    git("checkout", "-q", "-b", "feature/a", cwd=remote.work)
    a = remote.commit("Part A")
    git("checkout", "-q", "-b", "feature/b", cwd=remote.work)
    b = remote.commit("Part B")
    remote.push("origin", "feature/a", "feature/b")

    found = devserver.wait_for_messages(2, timeout=10, stream="commits")
    listed = [text for m in found for text in m["content"].split("\n") if text.startswith("* ")]
    assert sorted(listed) == sorted([line(a, "Part A"), line(b, "Part B")])
    assert sorted(m["subject"] for m in found) == ["feature/a", "feature/b"]


def test_a_moved_tag_says_from_where_to_where(remote, devserver):
    first = remote.commit("First")
    remote.push("origin", "main")
    git("tag", "nightly", cwd=remote.work)
    remote.push("origin", "nightly")
    second = remote.commit("Second")
    git("tag", "-f", "nightly", cwd=remote.work)
    remote.push("origin", "main")
    remote.push("--force", "origin", "nightly")

    found = devserver.wait_for_messages(2, timeout=10, topic="tags")
    assert found[-1]["content"] == (
        f"Tag `nightly` in `project` was moved from `{first[:7]}` to [{second[:7]}]({url(second)}).")
