"""What a push says beyond its commit list: force pushes, tag messages and short logs, diffstats, merges, compares."""
from __future__ import annotations

from gitrig import git, line, spool_empties, url


def only_message(devserver, stream="commits", topic=None):
    found = devserver.wait_for_messages(1, timeout=10, stream=stream, topic=topic)
    assert len(found) == 1, found
    return found[0]


def test_force_push_tells_discarded_commits_from_those_still_on_other_branches(remote, devserver):
    remote.commit("One")
    kept = remote.commit("Kept on a branch")
    remote.push("origin", "main", "main:keep")
    gone = remote.commit("Gone @**all**")
    remote.push("origin", "main")
    devserver.wait_for_messages(3, timeout=10)
    git("reset", "-q", "--hard", "HEAD~2", cwd=remote.work)
    new = remote.commit("Redone")
    remote.push("--force", "origin", "main")

    found = devserver.wait_for_messages(3, timeout=10, topic="main")
    assert found[-1]["content"] == (
        f"Branch `main` in `project` was force-pushed (history rewritten: `{gone[:7]}` → [{new[:7]}]({url(new)})).\n\n"
        f"1 commit discarded (no longer on any branch or tag):\n"
        f"* `{gone[:7]}` Gone @\u200b\\*\\*all\\*\\* (Alice Doe)\n\n"
        f"1 commit omitted from this branch (still on other branches or tags):\n"
        + line(kept, "Kept on a branch") + "\n\n1 new commit:\n" + line(new, "Redone"))


def test_annotated_tag_message_and_short_log_since_the_previous_tag_lightweight_tag_plain(remote, devserver):
    git("tag", "-a", "v1.0", "-m", "Release 1.0", cwd=remote.work)
    first = remote.commit("Feature one")
    second = remote.commit("Feature two")
    git("tag", "-a", "v1.1", "-m", "Release 1.1\n\nWith *two* features.", cwd=remote.work)
    git("tag", "nightly", cwd=remote.work)
    remote.push("origin", "main", "v1.0")
    devserver.wait_for_messages(2, timeout=10)
    remote.push("origin", "v1.1")
    remote.push("origin", "nightly")

    found = devserver.wait_for_messages(3, timeout=10, topic="tags")[1:]
    assert found[0]["content"] == (
        f"Tag `v1.1` was created in `project` at [{second[:7]}]({url(second)}):\n"
        "```quote\nRelease 1.1\n\nWith *two* features.\n```\n"
        "2 commits since `v1.0`:\n" + line(first, "Feature one") + "\n" + line(second, "Feature two"))
    assert found[1]["content"] == f"Tag `nightly` was created in `project` at [{second[:7]}]({url(second)})."


def test_tag_short_log_is_capped_and_can_be_turned_off(remote, devserver):
    remote.write_config(MAX_COMMITS=2, CONFIGURATIONS=[
        {"description": "with short log", "stream": "commits"},
        {"description": "without", "stream": "releases", "settings": {"TAG_SHORTLOG": False}}])
    shas = [remote.commit(f"Step {n}") for n in range(4)]
    git("tag", "-a", "v2", "-m", "Two", cwd=remote.work)
    remote.push("origin", "main", "v2")

    capped = only_message(devserver, stream="commits", topic="tags")["content"]
    assert capped.endswith("5 commits up to this tag (no earlier annotated tag on its line):\n"
                           + line(shas[2], "Step 2") + "\n" + line(shas[3], "Step 3") + "\n\n… and 3 more commits.")
    plain = only_message(devserver, stream="releases", topic="tags")["content"]
    assert plain == f"Tag `v2` was created in `project` at [{shas[3][:7]}]({url(shas[3])}):\n```quote\nTwo\n```"


def test_diffstat_per_commit_capped_in_files(remote, devserver):
    remote.write_config(DIFFSTAT=True, MAX_DIFFSTAT_FILES=2)
    sha = remote.commit_files("Three files", {"a.txt": "1\n2\n", "b.txt": "1\n", "c/d.txt": "1\n2\n3\n"})
    small = remote.commit_files("One file", {"a.txt": "1\n"})
    remote.push("origin", "main")

    assert only_message(devserver, topic="main")["content"] == (
        "2 commits were pushed to branch `main` in `project`:\n"
        + line(sha, "Three files") + "\n  3 files changed, +6 −0: `a.txt` +2 −0, `b.txt` +1 −0, and 1 more file\n"
        + line(small, "One file") + "\n  1 file changed, +0 −1: `a.txt` +0 −1")


def test_merge_commits_can_be_left_out_of_lists_and_counts(remote, devserver):
    remote.write_config(CONFIGURATIONS=[
        {"description": "no merges", "stream": "commits", "settings": {"EXCLUDE_MERGES": True}},
        {"description": "everything", "stream": "releases"}])
    git("checkout", "-q", "-b", "feature", cwd=remote.work)
    feature = remote.commit("On the feature", file="f.txt")
    git("checkout", "-q", "main", cwd=remote.work)
    fix = remote.commit("On main", file="m.txt")
    git("merge", "-q", "--no-ff", "-m", "Merge feature", "feature", cwd=remote.work)
    merge = remote.rev("HEAD")
    remote.push("origin", "main")

    without = only_message(devserver, stream="commits", topic="main")["content"]
    assert without.startswith("2 commits were pushed to branch `main` in `project`:\n")
    assert {line(feature, "On the feature"), line(fix, "On main")} == set(without.split("\n")[1:])
    everything = only_message(devserver, stream="releases", topic="main")["content"]
    assert everything.startswith("3 commits were pushed") and line(merge, "Merge feature") in everything


def test_compare_link_for_the_whole_push(remote, devserver):
    remote.write_config(COMPARE_URL="https://git.example.com/{repo}/compare/{old_short}...{new_short}")
    old = remote.rev("HEAD")
    remote.commit("A")
    new = remote.commit("B")
    remote.push("origin", "main")

    head = only_message(devserver, topic="main")["content"].split("\n")[0]
    assert head == ("2 commits were pushed to branch `main` in `project` "
                    f"([compare](https://git.example.com/project/compare/{old[:7]}...{new[:7]})):")
    assert spool_empties(remote.spool())
