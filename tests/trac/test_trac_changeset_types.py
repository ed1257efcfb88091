"""A changeset is labelled by its repository's type, not by what its hash looks like.

A git hash whose first seven characters are digits (1 in 27 of them) was shown
as a Subversion revision ``r1856524``. The commit here is made until its hash
starts with seven digits, so the case is met on every run.
"""
from __future__ import annotations

import subprocess

from wyzepal_trac.events.changeset import repository_type
from wyzepal_trac.render.changeset import numbered


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def digits_only_commit(repo) -> str:
    """Amend the commit until its short hash is all digits (about 27 tries; bounded)."""
    for attempt in range(3000):
        git(repo, "-c", "user.name=Alice", "-c", "user.email=alice@example.com", "commit", "-q", "--amend",
            "--allow-empty", "-m", f"Release notes, take {attempt}")
        sha = git(repo, "rev-parse", "HEAD")
        if sha[:7].isdigit():
            return sha
    raise AssertionError("no all-digit short hash in 3000 commits")


def test_a_git_hash_made_of_digits_is_not_a_subversion_revision(make_trac, fresh_chat, tmp_path):
    from trac.versioncontrol.api import RepositoryManager
    from tracopt.versioncontrol.git.git_fs import GitConnector  # noqa: F401 - imported: the component exists

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "-c", "user.name=Alice", "-c", "user.email=alice@example.com", "commit", "-q", "--allow-empty",
        "-m", "start")
    sha = digits_only_commit(repo)
    trac = make_trac(extra=("tracopt.versioncontrol.git.*",))
    trac.env.config.set("repositories", "code.dir", str(repo / ".git"))
    trac.env.config.set("repositories", "code.type", "git")
    RepositoryManager(trac.env).notify("changeset_added", "code", [sha])
    assert trac.flush()
    [message] = fresh_chat.messages()
    assert f"committed [{sha[:7]}](" in message["content"]
    assert f"r{sha[:7]}" not in message["content"]


def test_subversion_revisions_keep_their_r():
    assert numbered({"rev": "42", "repository_type": "svn"})
    assert numbered({"rev": "42", "repository_type": "direct-svnfs"})
    assert not numbered({"rev": "1856524", "repository_type": "git"})
    # an event held before the type travelled with it: the full revision decides (a full hash is never digits)
    assert numbered({"rev": "42"}) and not numbered({"rev": "1856524" + "a" * 33, "display_rev": "1856524"})


def test_the_type_comes_from_the_params_or_the_backend():
    class Params:
        params = {"type": "git"}

    class SubversionRepository:
        params: dict = {}

    class CachedRepository:
        params: dict = {}
        repos = SubversionRepository()

    assert repository_type(Params()) == "git"
    assert repository_type(SubversionRepository()) == "svn"
    assert repository_type(CachedRepository()) == "svn"
