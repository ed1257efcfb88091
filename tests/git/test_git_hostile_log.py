"""Any byte a commit or tag may carry is text to the hook: it never shifts the fields of ``git log``.

The hook reads many commits from one ``git log``; when it split the output at
bytes a subject may contain (``\\x1d``, ``\\x1e``, ``\\x1f``), one such commit
cost the whole push its notice. Each case is a real commit (``git commit-tree``
with the bytes as they are) read back through ``GitRepository``.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from gitrig import BARE_ENV
from wyzepal_git.repository import GitRepository

#: (case, subject line, body after it, author name); bytes, since some are not UTF-8.
HOSTILE = [
    ("record separator in subject", b"fix \x1e parser", b"", b"Alice Doe"),
    ("unit separator in subject", b"a\x1fb\x1fc", b"", b"Alice Doe"),
    ("group separator in subject", b"\x1dstarts a record", b"", b"Alice Doe"),
    ("all three separators", b"\x1d\x1e\x1f", b"", b"Alice Doe"),
    ("separators in the author", b"plain subject", b"", b"Eve \x1e\x1f\x1d Mallory"),
    ("tab in subject", b"col\tumn", b"", b"Alice Doe"),
    ("tab in author", b"plain", b"", b"Tab\tby"),
    ("digits and tabs like numstat", b"1\t2\tpath", b"", b"3\t4"),
    ("subject like a sha line", b">" + b"a" * 40, b"", b"Alice Doe"),
    ("other control characters", b"bell \x07 esc \x1b[31m del \x7f", b"", b"Ctl \x01\x02"),
    ("newlines in the body", b"subject", b"line 1\n\x1e\n\n\x1d\x1f more\n", b"Alice Doe"),
    ("body like a numstat", b"subject", b"1\t0\tfile\n-\t-\tbin\n", b"Alice Doe"),
    ("invalid UTF-8 in subject", b"caf\xe9 \xff\xfe", b"", b"Alice Doe"),
    ("invalid UTF-8 in author", b"plain", b"", b"Ren\xe9 \xc3"),
    ("carriage return", b"one\rtwo", b"", b"Alice Doe"),
    ("mention and markdown", b"@**all** `x` **y**", b"", b"@**everyone**"),
]


def _git(repo: Path, *args: str, env=None, stdin: bytes = b"") -> bytes:
    base = {**BARE_ENV, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Committer",
            "GIT_COMMITTER_EMAIL": "dev@example.com", "GIT_AUTHOR_NAME": "Alice Doe",
            "LC_ALL": "C.UTF-8"}  # as the hook runs git
    environ = {k.encode(): v.encode() for k, v in base.items()}
    environ.update(env or {})
    return subprocess.run(["git", "--git-dir", str(repo), *args], input=stdin, env=environ,
                          capture_output=True, check=True).stdout


def _commit(repo: Path, parent: str, subject: bytes, body: bytes, author: bytes, file: str) -> str:
    """A commit adding ``file`` to its parent's tree."""
    blob = _git(repo, "hash-object", "-w", "--stdin", stdin=subject + b"\n").strip().decode()
    listing = _git(repo, "ls-tree", parent) if parent else b""
    listing += f"100644 blob {blob}\t{file}\n".encode()
    tree = _git(repo, "mktree", stdin=listing).strip().decode()
    message = subject + (b"\n\n" + body if body else b"\n")
    args = ["commit-tree", tree, "-F", "-"] + (["-p", parent] if parent else [])
    return _git(repo, *args, env={b"GIT_AUTHOR_NAME": author}, stdin=message).strip().decode()


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _stored(repo: Path, sha: str) -> tuple[str, str]:
    """Author and subject as git keeps them (it trims control characters off a name's ends), one commit alone."""
    author, subject = _git(repo, "show", "-s", "--format=%an%x00%s", sha).split(b"\x00")
    return _text(author), _text(subject.rstrip(b"\n"))


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """One bare repository: a plain root commit, then every hostile commit, then a plain last one."""
    repo = tmp_path_factory.mktemp("hostile") / "h.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True, env=BARE_ENV)
    root = _commit(repo, "", b"root", b"", b"Alice Doe", "root.txt")
    shas, parent = [], root
    for number, (_, subject, body, author) in enumerate(HOSTILE):
        parent = _commit(repo, parent, subject, body, author, f"file{number}.txt")
        shas.append(parent)
    last = _commit(repo, parent, b"after them all", b"", b"Alice Doe", "last.txt")
    return GitRepository(repo, "git"), root, shas, last


@pytest.mark.parametrize("number", range(len(HOSTILE)), ids=[case[0] for case in HOSTILE])
@pytest.mark.parametrize("files", [False, True], ids=["log", "numstat"])
def test_a_hostile_commit_reads_back_exactly(history, number, files):
    repo, root, shas, last = history
    _, subject, _, author = HOSTILE[number]
    stored_author, stored_subject = _stored(repo.git_dir, shas[number])
    if b"\xff" not in subject:  # git shows a subject that is not UTF-8 as Latin-1
        assert stored_subject == _text(subject)  # the case is what it says: the bytes are in the commit
    parent = root if number == 0 else shas[number - 1]
    change = repo.ref_change(parent, shas[number], files=files)

    assert [c.sha for c in change.added] == [shas[number]]
    commit = change.added[0]
    assert commit.title == stored_subject
    assert commit.author == stored_author and stored_author[:2] == _text(author)[:2]
    assert commit.parents == (parent,)
    if files:
        assert [f.path for f in commit.files] == [f"file{number}.txt"]


@pytest.mark.parametrize("files", [False, True], ids=["log", "numstat"])
def test_the_whole_hostile_history_in_one_log(history, files):
    repo, root, shas, last = history
    commits = repo.commit_range(last, [root], files=files).commits
    assert [c.sha for c in commits] == shas + [last]
    assert [c.title for c in commits] == [_stored(repo.git_dir, sha)[1] for sha in shas] + ["after them all"]
    assert [c.title for c in commits][:4] == [_text(s) for _, s, _, _ in HOSTILE[:4]]


def test_an_annotated_tag_whose_message_holds_separators(history):
    repo, root, shas, last = history
    message = b"v1 \x1e title\n\nbody \x1e\x1f\x1d end\n"
    _git(repo.git_dir, "tag", "-a", "v1", "-F", "-", last, stdin=message,
         env={b"GIT_COMMITTER_NAME": b"Tagger"})
    _git(repo.git_dir, "tag", "v0", root)
    found = repo.tags(["refs/tags/v1", "refs/tags/v0"])
    assert found["refs/tags/v1"].commit == last
    assert found["refs/tags/v1"].title == "v1 \x1e title"
    assert "body \x1e\x1f\x1d end" in found["refs/tags/v1"].message
    assert found["refs/tags/v0"].commit == root and not found["refs/tags/v0"].annotated


def test_a_push_of_a_hostile_commit_is_still_told(remote, devserver):
    """End to end: the hook, the detached worker, the dev server; the separator is shown as text."""
    sha = remote.commit("fix \x1e the \x1f parser")
    remote.push("origin", "main")
    found = devserver.wait_for_messages(1, timeout=30, stream="commits", topic="main")
    content = found[0]["content"]
    assert f"[{sha[:7]}]" in content and "parser" in content and "Alice Doe" in content
