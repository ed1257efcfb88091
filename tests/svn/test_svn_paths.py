"""``PATHS`` / ``EXCLUDE_PATHS`` per configuration: a destination never learns a hidden path, not even by a count."""
from __future__ import annotations

import re

from svnrig import changeset, spool_empties
from test_svn_hooks import README, readme_pre_revprop_change, wait_for_content

SECRET = "nuclear-plans.txt"  # a name that must never reach the "commits" channel


def everything_but_the_secrets(**settings) -> list[dict]:
    """``commits`` may not see ``trunk/secret`` nor any ``*.pem``; ``api`` (an audit channel) sees everything."""
    return [
        {"description": "all but the secrets", "stream": "commits",
         "settings": {"EXCLUDE_PATHS": ["/trunk/secret", "*.pem"], **settings}},  # a leading / is harmless
        {"description": "audit", "stream": "api", "settings": settings},
    ]


def contents(devserver, stream: str) -> list[str]:
    return [m["content"] for m in devserver.messages(stream=stream)]


def assert_no_secret(devserver, stream: str = "commits") -> None:
    for content in contents(devserver, stream):
        assert SECRET not in content and "secret" not in content and ".pem" not in content, content


def test_a_revision_touching_only_excluded_paths_reaches_nothing_there(repo, devserver):
    repo.write_config(CONFIGURATIONS=everything_but_the_secrets())
    start, _ = repo.commit("Start", files={"trunk/README": "hi\n"})
    hidden, _ = repo.commit("Secret stuff", files={f"trunk/secret/{SECRET}": "x\n", "trunk/key.pem": "k\n"})
    after, _ = repo.commit("After", files={"trunk/README": "hello\n"})

    audit = devserver.wait_for_messages(3, timeout=15, stream="api")
    assert spool_empties(repo.spool())  # all queued is delivered: nothing more can arrive
    assert [m["content"].split("\n")[0] for m in audit][1] == f"**alice** committed {changeset(hidden)} to `repo`:"
    assert SECRET in audit[1]["content"]
    assert [c.split("\n")[0] for c in contents(devserver, "commits")] == [
        f"**alice** committed {changeset(start)} to `repo`:", f"**alice** committed {changeset(after)} to `repo`:"]
    assert_no_secret(devserver)


def test_a_mixed_revision_lists_counts_and_diffstats_only_the_shown_paths(repo, devserver):
    repo.write_config(MAX_PATHS=2, DIFFSTAT=True, CONFIGURATIONS=everything_but_the_secrets())
    repo.commit("Start", files={"trunk/a.txt": "1\n", "trunk/b.txt": "1\n", "trunk/c.txt": "1\n"})
    mixed, _ = repo.commit("Mixed", files={
        "trunk/a.txt": "2\n", "trunk/b.txt": "2\n3\n", "trunk/c.txt": "2\n",
        f"trunk/secret/{SECRET}": "launch codes\n", "trunk/key.pem": "k\n"})

    devserver.wait_for_messages(2, timeout=15, stream="api")
    assert spool_empties(repo.spool())
    shown = contents(devserver, "commits")
    assert shown[1] == (f"**alice** committed {changeset(mixed)} to `repo`:\n```quote\nMixed\n```\n"
                        "* `M /trunk/a.txt` +1 −1\n* `M /trunk/b.txt` +2 −1\n\n… and 1 more path.")
    assert_no_secret(devserver)
    audit = contents(devserver, "api")[1]
    assert audit.endswith("… and 4 more paths.")  # the audit channel counts all six


def test_paths_takes_only_the_revisions_touching_them(repo, devserver):
    repo.write_config(CONFIGURATIONS=[
        {"description": "web team", "stream": "web", "settings": {"PATHS": ["/trunk/web/", "*.css"]}},
        {"description": "everything", "stream": "commits"},
    ])
    web, _ = repo.commit("Web", files={"trunk/web/index.html": "<p>\n"})
    repo.commit("API only", files={"trunk/api/views.py": "1\n"})
    both, _ = repo.commit("Both", files={"trunk/api/urls.py": "1\n", "trunk/style/site.css": "a {}\n"})

    devserver.wait_for_messages(3, timeout=15, stream="commits")
    assert spool_empties(repo.spool())
    assert contents(devserver, "web") == [
        f"**alice** committed {changeset(web)} to `repo`:\n```quote\nWeb\n```\n"
        "* `A /trunk/web/`\n* `A /trunk/web/index.html`",  # not /trunk/ itself: it is not under trunk/web
        f"**alice** committed {changeset(both)} to `repo`:\n```quote\nBoth\n```\n"
        "* `A /trunk/style/site.css`",  # the glob takes the file; its new folder /trunk/style/ is not shown
    ]


def test_a_lock_of_hidden_paths_only_sends_nothing_there(repo, devserver):
    repo.install_command("post-lock", 2)
    repo.write_config(CONFIGURATIONS=everything_but_the_secrets())
    repo.commit("Files", files={"trunk/a.txt": "1\n", f"trunk/secret/{SECRET}": "1\n"})
    devserver.wait_for_messages(1, timeout=10, stream="api")
    repo.svn("lock", "-m", "mine", f"trunk/secret/{SECRET}", "--username", "bob", cwd=repo.wc)
    repo.svn("unlock", f"trunk/secret/{SECRET}", "--username", "bob", cwd=repo.wc)
    repo.svn("lock", "-m", "both", "trunk/a.txt", f"trunk/secret/{SECRET}", "--username", "bob", cwd=repo.wc)

    audit = devserver.wait_for_messages(3, timeout=15, stream="api")
    assert spool_empties(repo.spool())
    assert audit[1]["content"] == f"**bob** locked 1 path in `repo`:\n* `/trunk/secret/{SECRET}`: mine"
    assert audit[2]["content"].startswith("**bob** locked 2 paths in `repo`:")
    assert contents(devserver, "commits")[1:] == ["**bob** locked 1 path in `repo`:\n* `/trunk/a.txt`: both"]
    assert_no_secret(devserver)


def test_a_property_change_of_a_hidden_revision_sends_nothing_there(repo, devserver):
    repo.install("pre-revprop-change", "#!/bin/sh\nexit 0\n")  # log edits and other properties
    repo.install_command("post-revprop-change", 5)
    repo.write_config(CONFIGURATIONS=everything_but_the_secrets(DIFFSTAT=True))
    repo.commit("Start", files={"trunk/README": "hi\n"})
    hidden, _ = repo.commit("Secret stuff", files={f"trunk/secret/{SECRET}": "x\n"})
    original = devserver.wait_for_messages(2, timeout=15, stream="api")[1]

    repo.svn("propset", "--revprop", "-r", str(hidden), "svn:log", "Secret stuff, better said", repo.url)
    edited = wait_for_content(devserver, original["id"], original["content"])
    assert "```quote\nSecret stuff, better said\n```" in edited["content"] and SECRET in edited["content"]
    repo.svn("propset", "--revprop", "-r", str(hidden), "release-note", "yes", repo.url)
    devserver.wait_for_messages(3, timeout=15, stream="api")

    assert spool_empties(repo.spool())
    assert len(contents(devserver, "commits")) == 1  # only "Start": no original, no edit, no follow-up, no notice
    assert_no_secret(devserver)


def test_a_filtered_destination_still_gets_the_edits_of_revisions_it_sees(repo, devserver):
    """A hidden revision before it does not put its messages out of step with their handles."""
    repo.install("pre-revprop-change", readme_pre_revprop_change())
    repo.install_command("post-revprop-change", 5)
    repo.write_config(CONFIGURATIONS=everything_but_the_secrets())
    repo.commit("Start", files={"trunk/README": "hi\n"})
    hidden, _ = repo.commit("Secret", files={f"trunk/secret/{SECRET}": "x\n"})
    shown, _ = repo.commit("Open", files={"trunk/open.txt": "x\n"})
    devserver.wait_for_messages(3, timeout=15, stream="api")
    mine = devserver.wait_for_messages(2, timeout=15, stream="commits")[1]

    repo.svn("propset", "--revprop", "-r", str(shown), "svn:log", "Open, edited", repo.url)
    edited = wait_for_content(devserver, mine["id"], mine["content"])
    assert "```quote\nOpen, edited\n```" in edited["content"]
    assert spool_empties(repo.spool())
    assert len(contents(devserver, "commits")) == 2 and hidden != shown


def test_svnlook_is_not_asked_for_what_no_destination_may_see(repo, devserver, tmp_path):
    """``svnlook diff`` only for a revision a DIFFSTAT destination sees; ``svnlook lock`` only for shown paths."""
    calls = tmp_path / "svnlook-calls"
    svnlook = tmp_path / "svnlook"  # the real svnlook, each call noted
    svnlook.write_text(f'#!/bin/sh\necho "$1" >> {calls}\nexec /usr/bin/svnlook "$@"\n')
    svnlook.chmod(0o755)
    repo.install_command("post-lock", 2)
    repo.install("pre-revprop-change", "#!/bin/sh\nexit 0\n")
    repo.install_command("post-revprop-change", 5)
    repo.write_config(SVNLOOK_PATH=str(svnlook), CONFIGURATIONS=[
        {"description": "diffstat, no secrets", "stream": "commits",
         "settings": {"DIFFSTAT": True, "EXCLUDE_PATHS": ["trunk/secret", "trunk/private"]}},
        {"description": "audit, no diffstat", "stream": "api", "settings": {"EXCLUDE_PATHS": ["trunk/private"]}}])

    def looks(action, announced: bool = True) -> list[str]:
        """What the hook asked svnlook while svn ran ``action`` (svn waits for its hooks)."""
        calls.write_text("")
        before = len(devserver.messages(stream="api"))
        action()
        if announced:
            devserver.wait_for_messages(before + 1, timeout=15, stream="api")
        assert spool_empties(repo.spool())
        return calls.read_text().split()

    shown, _ = repo.commit("Shown", files={"trunk/a.txt": "1\n", "trunk/private/x": "1\n"})
    assert "diff" in looks(lambda: repo.commit("Shown again", files={"trunk/a.txt": "2\n"}))
    hidden = looks(lambda: repo.commit("Hidden", files={f"trunk/secret/{SECRET}": "1\n"}))
    assert "changed" in hidden and "diff" not in hidden  # the only DIFFSTAT destination does not see it
    assert "lock" not in looks(lambda: repo.svn("lock", "trunk/private/x", cwd=repo.wc), announced=False)
    assert "lock" in looks(lambda: repo.svn("lock", "trunk/a.txt", cwd=repo.wc))
    assert "diff" not in looks(lambda: repo.svn("propset", "--revprop", "-r", str(shown), "note", "x", repo.url))
    assert "diff" in looks(lambda: repo.svn("propset", "--revprop", "-r", str(shown), "svn:log", "New", repo.url),
                           announced=False)  # an edit, not a new message


def test_the_readme_example_works_as_written(repo, devserver):
    found = re.search(r"## Paths: which revisions.*?```python\n(.*?)```", README.read_text(), re.S)
    assert found, "the README lost its PATHS / EXCLUDE_PATHS example"
    repo.write_config(extra=found.group(1))
    repo.commit("Start", files={"trunk/README": "hi\n"})
    mixed, _ = repo.commit("Mixed", files={"trunk/web/site.css": "a {}\n", "trunk/secret/server.pem": "k\n",
                                           f"trunk/secret/{SECRET}": "x\n"})
    repo.commit("Secret only", files={f"trunk/secret/{SECRET}": "y\n"})

    devserver.wait_for_messages(1, timeout=15, stream="web")
    devserver.wait_for_messages(2, timeout=15, stream="commits")
    assert spool_empties(repo.spool())
    listing = f"**alice** committed {changeset(mixed)} to `repo`:\n```quote\nMixed\n```\n" \
              "* `A /trunk/web/`\n* `A /trunk/web/site.css`"
    assert contents(devserver, "commits")[1:] == [listing]
    assert contents(devserver, "web") == [listing]
    assert_no_secret(devserver)
