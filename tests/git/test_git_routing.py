"""Which pushes go where: branch patterns, per-configuration settings, the destination function."""
from __future__ import annotations

import subprocess

from gitrig import BARE_ENV, git, hook_program, line, spool_empties


def test_branch_patterns_pick_what_is_announced_and_where(remote, devserver):
    remote.write_config(CONFIGURATIONS=[
        {"description": "main and releases", "conditions": {"branch": ["main", "release/*"]}},
        {"description": "tags", "conditions": {"tag": "v*"}, "stream": "releases", "topic": "{repo} tags"},
        {"description": "this repository's features", "conditions": {"repository": "proj*", "branch": "feature/*"},
         "stream": "general"},
        {"description": "another repository", "conditions": {"repository": "other"}, "stream": "general"},
    ], TAG_TOPIC="ignored by the tags configuration")
    main = remote.commit("On main")
    remote.push("origin", "main", "main:feature/x", "main:release/2.0")
    git("tag", "v2.0", cwd=remote.work)
    git("tag", "nightly-1", cwd=remote.work)
    remote.push("origin", "v2.0", "nightly-1")

    devserver.wait_for_messages(4, timeout=10)
    assert spool_empties(remote.spool())  # all queued is delivered: nothing more can arrive
    got = sorted((m["display_recipient"], m["subject"]) for m in devserver.messages())
    assert got == [("commits", "main"), ("commits", "release/2.0"), ("general", "feature/x"),
                   ("releases", "project tags")]
    assert devserver.messages(topic="main")[0]["content"].endswith(line(main, "On main"))


def test_topic_template_repository_name_and_commit_cap_per_configuration(remote, devserver):
    remote.write_config(REPOSITORY_NAME="webapp", TOPIC="{repo} / {branch}", MAX_COMMITS=5,
                        CONFIGURATIONS=[{"description": "short list", "stream": "commits"},
                                        {"description": "longer list", "stream": "general",
                                         "settings": {"MAX_COMMITS": 8}}])
    for n in range(10):
        remote.commit(f"Step {n}")
    remote.push("origin", "main")

    short = devserver.wait_for_messages(1, timeout=10, stream="commits", topic="webapp / main")[0]["content"]
    longer = devserver.wait_for_messages(1, timeout=10, stream="general", topic="webapp / main")[0]["content"]
    assert short.startswith("10 commits were pushed to branch `main` in `webapp`:\n")
    assert short.count("\n* ") == 5 and short.endswith("… and 5 more commits.")
    assert longer.count("\n* ") == 8 and longer.endswith("… and 2 more commits.")
    assert "https://git.example.com/webapp/commit/" in short


DESTINATION = '''
def commit_notice_destination(repo, branch, commit):
    if branch.startswith("wip/"):
        return None
    if branch.startswith("refs/tags/"):
        return dict(stream="releases", subject=repo + " " + branch[len("refs/tags/"):])
    return dict(stream="general", topic=repo + ":" + branch + ":" + commit[:7])

COMMIT_NOTICE_DESTINATION = commit_notice_destination
'''


def test_destination_function_as_the_classic_hook_has_it(remote, devserver):
    remote.write_config(extra=DESTINATION)
    sha = remote.commit("Routed by a function")
    remote.push("origin", "main", "main:wip/try")
    git("tag", "v3", cwd=remote.work)
    remote.push("origin", "v3")

    devserver.wait_for_messages(2, timeout=10)
    assert spool_empties(remote.spool())  # wip/try sends nothing
    got = sorted((m["display_recipient"], m["subject"]) for m in devserver.messages())
    assert got == [("general", f"project:main:{sha[:7]}"), ("releases", "project v3")]


def test_a_failing_destination_function_is_reported_and_the_notice_still_sent(remote, devserver):
    remote.write_config(extra="def broken(repo, branch, commit):\n    return 1 / 0\n"
                              "COMMIT_NOTICE_DESTINATION = broken\n")
    sha = remote.commit("Still announced")
    pushed = remote.push("origin", "main")

    assert "COMMIT_NOTICE_DESTINATION raised ZeroDivisionError" in pushed.stderr
    assert "sending to commits > main instead" in pushed.stderr
    message = devserver.wait_for_messages(1, timeout=10, stream="commits", topic="main")[0]
    assert message["content"].endswith(line(sha, "Still announced"))


def test_dry_run_prints_the_messages_and_sends_nothing(remote, devserver):
    old = remote.rev("HEAD")
    sha = remote.commit("Just looking")
    remote.push("origin", "main")
    devserver.wait_for_messages(1, timeout=10)

    shown = subprocess.run([str(hook_program(remote.root)), "--dry-run"], cwd=remote.bare, env=BARE_ENV,
                           input=f"{old} {sha} refs/heads/main\n", capture_output=True, text=True, check=True)
    assert shown.stdout == ("--- to #commits > main\n1 commit was pushed to branch `main` in `project`:\n"
                            + line(sha, "Just looking") + "\n\n")
    assert spool_empties(remote.spool())
    assert len(devserver.messages()) == 1  # the push's own notice, nothing from the dry run


def test_conditions_on_the_kind_of_change_and_the_pusher(remote, devserver):
    remote.write_config(CONFIGURATIONS=[
        {"description": "force pushes to main", "conditions": {"branch": "main", "type": "force_push"},
         "stream": "releases", "topic": "rewrites"},
        {"description": "carol's pushes", "conditions": {"pusher": "carol"}, "stream": "general"},
    ])
    remote.commit("Ordinary")
    remote.push("origin", "main")
    git("reset", "-q", "--hard", "HEAD~1", cwd=remote.work)
    remote.commit("Rewritten")
    remote.push("--force", "origin", "main", env={"GL_USERNAME": "carol"})

    devserver.wait_for_messages(2, timeout=10)
    assert spool_empties(remote.spool())
    got = sorted((m["display_recipient"], m["subject"], m["content"].split(" ")[0]) for m in devserver.messages())
    assert got == [("general", "main", "**carol**"), ("releases", "rewrites", "**carol**")]
