"""Wiki pages, milestones and changesets of a stub Trac (a real git repository for changesets)."""
from __future__ import annotations

import subprocess
from datetime import datetime, timezone

from test_trac_tickets import only_message


def save_page(trac, name, text, author="alice", comment=""):
    from trac.wiki.model import WikiPage

    page = WikiPage(trac.env, name)
    page.text = text
    page.save(author, comment)
    return page


def test_a_new_wiki_page_is_announced_in_the_page_topic(make_trac, fresh_chat):
    trac = make_trac()
    save_page(trac, "Guide/Install", "= Install =", comment="first draft")
    message = only_message(trac, fresh_chat)
    assert message["subject"] == "wiki: Guide/Install"
    assert message["content"] == ("**alice** created wiki page [Guide/Install]"
                                  "(http://trac.example.com/proj/wiki/Guide/Install): *first draft*")


def test_a_wiki_edit_links_to_its_diff(make_trac, fresh_chat):
    trac = make_trac()
    save_page(trac, "Roadmap", "v1")
    trac.forget_sent(fresh_chat)
    save_page(trac, "Roadmap", "v2", author="bob", comment="dates")
    assert only_message(trac, fresh_chat)["content"] == (
        "**bob** edited wiki page [Roadmap](http://trac.example.com/proj/wiki/Roadmap) "
        "(version 2, [diff](http://trac.example.com/proj/wiki/Roadmap?action=diff&version=2)): *dates*")


def test_deleting_and_renaming_pages_are_announced(make_trac, fresh_chat):
    trac = make_trac()
    page = save_page(trac, "OldName", "text")
    trac.forget_sent(fresh_chat)
    page.rename("NewName")
    renamed = only_message(trac, fresh_chat)
    assert renamed["subject"] == "wiki: NewName"
    assert renamed["content"] == ("Wiki page **OldName** was renamed to "
                                  "[NewName](http://trac.example.com/proj/wiki/NewName).")
    fresh_chat.reset()
    page.delete()
    assert only_message(trac, fresh_chat)["content"] == "Wiki page **NewName** was deleted."


def test_milestones_created_and_completed_are_announced(make_trac, fresh_chat):
    from trac.ticket.model import Milestone

    trac = make_trac()
    milestone = Milestone(trac.env)
    milestone.name = "2.0"
    milestone.due = datetime(2030, 1, 31, tzinfo=timezone.utc)
    milestone.description = "The '''big''' one."
    milestone.insert()
    created = only_message(trac, fresh_chat)
    assert created["subject"] == "milestone 2.0"
    assert created["content"] == ("Milestone [2\\.0](http://trac.example.com/proj/milestone/2.0) was created, "
                                  "due 2030-01-31:\n\n```quote\nThe **big** one.\n```")
    fresh_chat.reset()
    milestone.description = "Still big."
    milestone.update()
    trac.flush()
    assert fresh_chat.messages() == []  # an edit is not news
    milestone.completed = datetime(2030, 2, 2, tzinfo=timezone.utc)
    milestone.update()
    assert only_message(trac, fresh_chat)["content"] == (
        "Milestone [2\\.0](http://trac.example.com/proj/milestone/2.0) was completed on 2030-02-02.")


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def test_a_changeset_added_to_a_connected_repository_is_announced(make_trac, fresh_chat, tmp_path):
    from trac.versioncontrol.api import RepositoryManager
    from tracopt.versioncontrol.git.git_fs import GitConnector

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "README").write_text("hello\n")
    git(repo, "add", "README")
    git(repo, "-c", "user.name=Alice", "-c", "user.email=alice@example.com", "commit", "-q",
        "-m", "Fix #1: do not crash on '''save'''")
    sha = git(repo, "rev-parse", "HEAD")
    trac = make_trac(extra=("tracopt.versioncontrol.git.*",))
    trac.env.config.set("repositories", "code.dir", str(repo / ".git"))
    trac.env.config.set("repositories", "code.type", "git")
    assert trac.env.is_enabled(GitConnector)
    RepositoryManager(trac.env).notify("changeset_added", "code", [sha])
    message = only_message(trac, fresh_chat)
    assert message["subject"] == "commits: code"
    assert message["content"] == (
        f"**Alice** committed [{sha[:7]}](http://trac.example.com/proj/changeset/{sha}/code) "
        "to **code**:\n\n```quote\nFix [\\#1](http://trac.example.com/proj/ticket/1): do not crash on **save**\n```")
