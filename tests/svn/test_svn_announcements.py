"""Real ``svn commit``s to a real repository; the exact messages the dev server receives."""
from __future__ import annotations

from svnrig import changeset


def test_commit_is_announced_with_author_link_log_and_changed_paths(repo, devserver):
    revision, _ = repo.commit("Première page\n\nPing @**all** and *everyone*", files={
        "trunk/web/index.html": "<h1>hi</h1>\n", "trunk/api/héllo.py": "print('hi')\n"})

    message = devserver.wait_for_messages(1, timeout=10, stream="commits", topic="repo")[0]
    assert message["content"] == (
        f"**alice** committed {changeset(revision)} to `repo`:\n"
        "```quote\nPremière page\n\nPing @\u200b**all** and *everyone*\n```\n"
        "* `A /trunk/`\n* `A /trunk/api/`\n* `A /trunk/api/héllo.py`\n* `A /trunk/web/`\n"
        "* `A /trunk/web/index.html`")


def test_modifications_deletions_and_an_empty_log(repo, devserver):
    repo.commit("Add", files={"trunk/a.txt": "1\n", "trunk/b.txt": "1\n"})
    revision, _ = repo.commit("", files={"trunk/a.txt": "2\n"}, remove=("trunk/b.txt",), author="bob")

    found = devserver.wait_for_messages(2, timeout=10, topic="repo")
    assert found[-1]["content"] == (f"**bob** committed {changeset(revision)} to `repo`:\n*(no log message)*\n"
                                    "* `M /trunk/a.txt`\n* `D /trunk/b.txt`")


def test_a_big_commit_lists_twenty_paths_and_counts_the_rest(repo, devserver):
    revision, _ = repo.commit("Import", files={f"trunk/f{n:02}.txt": "x\n" for n in range(30)})

    content = devserver.wait_for_messages(1, timeout=10, topic="repo")[0]["content"]
    paths = ["/trunk/"] + [f"/trunk/f{n:02}.txt" for n in range(19)]
    assert content == (f"**alice** committed {changeset(revision)} to `repo`:\n```quote\nImport\n```\n"
                       + "\n".join(f"* `A {p}`" for p in paths) + "\n\n… and 11 more paths.")


def test_without_revision_url_the_revision_is_plain_text(repo, devserver):
    repo.write_config(REVISION_URL=None, TOPIC="svn {repo}")
    revision, _ = repo.commit("Plain", files={"README": "x\n"})
    content = devserver.wait_for_messages(1, timeout=10, topic="svn repo")[0]["content"]
    assert content.startswith(f"**alice** committed r{revision} to `repo`:\n")
