"""The repository being pushed to, asked through the ``git`` command (no Python bindings).

A hook runs on every push, so each question is one ``git`` process with a
format, never one per commit: a ref update's added and removed commits come
from one ``git log --left-right``, with the files they touch only when a
configuration asks (a diffstat or path conditions).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, NamedTuple, Optional, Sequence

from wyzepal_notifier.scripthook import find_program, run_program

#: Each commit's fields end with a NUL, the one byte git keeps out of names and subjects; with ``-z``
#: a commit ends with another NUL and each of its ``--numstat`` lines with one (any other byte, a
#: ``\x1e`` or a newline in a subject, is text).
_LOG_FORMAT = "%m%H%x00%P%x00%an%x00%s%x00"


class FileChange(NamedTuple):
    """One file a commit touched; ``added``/``removed`` are None for a binary file."""

    path: str
    added: Optional[int]
    removed: Optional[int]


class Commit(NamedTuple):
    sha: str
    author: str
    title: str
    parents: tuple[str, ...] = ()
    #: None when the files were not asked for.
    files: Optional[tuple[FileChange, ...]] = None

    @property
    def short(self) -> str:
        return short(self.sha)

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


class CommitRange(NamedTuple):
    """Every commit of a range, oldest first."""

    commits: tuple[Commit, ...]

    @property
    def total(self) -> int:
        return len(self.commits)


class RefChange(NamedTuple):
    """What moving a ref from ``old`` to ``new`` did: commits added, and commits it no longer has."""

    added: tuple[Commit, ...]
    removed: tuple[Commit, ...]


class TagInfo(NamedTuple):
    commit: str
    title: Optional[str]
    #: An annotated tag's whole message (title included); None for a lightweight tag.
    message: Optional[str] = None

    @property
    def annotated(self) -> bool:
        return self.message is not None


def short(sha: str) -> str:
    return sha[:7]


class GitRepository:
    """One repository, found the way git finds it for a hook (``$GIT_DIR`` or the current folder)."""

    def __init__(self, git_dir: Path, git: str = "git", bare: Optional[bool] = None) -> None:
        self.git_dir = git_dir
        self.git = git
        self._bare = bare
        self._config: Optional[list[tuple[str, str]]] = None

    @classmethod
    def discover(cls, cwd: Optional[str] = None, env: Optional[dict] = None) -> GitRepository:
        """git sets ``$GIT_DIR`` for its hooks: then no ``git rev-parse`` is needed."""
        env = os.environ if env is None else env
        git = find_program("git")
        if env.get("GIT_DIR") and cwd is None:
            return cls(Path(os.path.abspath(env["GIT_DIR"])), git)
        found = run_program([git, "rev-parse", "--absolute-git-dir", "--is-bare-repository"], cwd=cwd).split()
        return cls(Path(found[0]), git, bare=found[-1] == "true")

    def run(self, *args: str, stdin: Optional[str] = None, check: bool = True) -> str:
        return run_program([self.git, f"--git-dir={self.git_dir}", *args], stdin=stdin, check=check)

    # -- git config ------------------------------------------------------------------

    def config(self, prefix: str = "wyzepal.") -> list[tuple[str, str]]:
        """Every ``prefix*`` key of ``git config`` (system, global, repository), in git's order.

        Read with ``core.bare`` in the same process: the one ``git config`` a push costs.
        """
        if self._config is None:
            output = self.run("config", "-z", "--get-regexp", r"^(wyzepal\.|core\.bare$)", check=False)
            pairs = []
            for item in output.split("\x00"):
                if item:
                    key, newline, value = item.partition("\n")
                    pairs.append((key, value if newline else "true"))  # a bare "[wyzepal] diffstat" is true
            self._config = pairs
            if self._bare is None:
                bare = [value for key, value in pairs if key == "core.bare"]
                self._bare = bool(bare) and bare[-1].strip().lower() in ("true", "yes", "on", "1")
        return [(key, value) for key, value in self._config if key.startswith(prefix)]

    @property
    def is_bare(self) -> bool:
        if self._bare is None:
            self.config()
        return bool(self._bare)

    def default_name(self) -> str:
        """``project`` for ``/srv/git/project.git`` and for ``/home/me/project/.git``."""
        folder = self.git_dir if self.is_bare else self.git_dir.parent
        name = folder.name
        return name[: -len(".git")] if name.endswith(".git") and len(name) > 4 else name

    # -- commits ---------------------------------------------------------------------

    def peel(self, sha: str) -> str:
        """The commit an (annotated) tag object points at, or ``sha`` itself."""
        return self.run("rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}", check=False).strip() or sha

    def ref_change(self, old: str, new: str, *, files: bool = False) -> RefChange:
        """Commits ``new`` has and ``old`` lacks, and the reverse (a force push), in one ``git log``."""
        commits = self._log(["--left-right", f"{old}...{new}"], files=files)
        return RefChange(tuple(c for side, c in commits if side != "<"),
                         tuple(c for side, c in commits if side == "<"))

    def commit_range(self, include: str, exclude: Sequence[str], *, files: bool = False) -> CommitRange:
        """Commits reachable from ``include`` and from none of ``exclude``, oldest first."""
        spec = "\n".join([include, *(f"^{sha}" for sha in exclude)]) + "\n"
        return CommitRange(tuple(c for _, c in self._log(["--stdin"], stdin=spec, files=files)))

    def first_commits(self, include: str, exclude: Optional[str], limit: int) -> tuple[tuple[Commit, ...], int]:
        """Up to ``limit`` of the newest commits in ``exclude..include`` (oldest first), and how many in all.

        A tag's short log: the range may be a whole history, so it is counted, not listed.
        """
        revisions = [include] + ([f"^{exclude}"] if exclude else [])
        shown = tuple(c for _, c in self._log([f"--max-count={limit}", *revisions], reverse=False))[::-1]
        total = len(shown) if len(shown) < limit else int(self.run("rev-list", "--count", *revisions).strip())
        return shown, total

    def discarded(self, old: str) -> set[str]:
        """Commits of ``old`` that no ref reaches any more (asked only on a force push: it walks every ref)."""
        return set(self.run("rev-list", old, "--not", "--all").split())

    def _log(self, revisions: list[str], *, stdin: Optional[str] = None, files: bool = False,
             reverse: bool = True) -> list[tuple[str, Commit]]:
        args = ["log", "-z", f"--format={_LOG_FORMAT}"] + (["--reverse"] if reverse else [])
        if files:
            args += ["--numstat", "--no-renames"]
        output = self.run("-c", "core.quotePath=false", *args, *revisions, stdin=stdin)
        return _parse_log(output, files)

    # -- refs ------------------------------------------------------------------------

    def branches(self) -> dict[str, str]:
        """Every branch's full ref name and the commit it points at now."""
        output = self.run("for-each-ref", "--format=%(refname)%00%(objectname)", "refs/heads/")
        pairs = (line.split("\x00") for line in output.splitlines() if line)
        return {ref: sha for ref, sha in pairs}

    def tags(self, refs: Iterable[str]) -> dict[str, TagInfo]:
        """Every named tag's commit and, for an annotated one, its message: one ``git for-each-ref``."""
        refs = list(refs)
        if not refs:
            return {}
        output = self.run("for-each-ref", "--format=%(refname)%00%(objecttype)%00%(objectname)%00"
                          "%(*objectname)%00%(contents:subject)%00%(contents)%00", *refs)
        found = {}
        tokens = output.split("\x00")  # six NUL-ended fields a tag, by position: a message may hold any other byte
        for at in range(0, len(tokens) - 5, 6):
            ref, kind, target, peeled, title, message = tokens[at:at + 6]
            ref = ref.lstrip("\n")
            if kind == "tag":
                found[ref] = TagInfo(peeled or target, title or None, _without_signature(message).strip())
            else:
                found[ref] = TagInfo(target, None)
        return found

    def tag(self, ref: str) -> TagInfo:
        """The commit a tag points at, and an annotated tag's title and message."""
        return self.tags([ref]).get(ref, TagInfo("", None))

    def previous_tag(self, commit: str) -> Optional[str]:
        """The nearest annotated tag before ``commit`` on its line (``git describe``), as git-multimail finds it."""
        name = self.run("describe", "--abbrev=0", f"{commit}^", check=False).strip()
        return name or None


def _parse_log(output: str, files: bool) -> list[tuple[str, Commit]]:
    """Read the fields by position between NULs, so no byte of a subject or a name can shift them.

    A record is the side and sha, the parents, the author, the subject; then, with
    ``files``, its numstat items (the only tokens after a record that hold a tab: a
    commit's first token never does), with empty tokens between records.
    """
    tokens = output.split("\x00")
    commits = []
    at = 0
    while at < len(tokens):
        head = tokens[at].lstrip("\n")
        if not head:
            at += 1
            continue
        parents, author, title = (tokens[at + 1:at + 4] + ["", "", ""])[:3]
        at += 4
        changes: Optional[tuple[FileChange, ...]] = None
        if files:
            found = []
            while at < len(tokens) and (not tokens[at].strip("\n") or "\t" in tokens[at]):
                if tokens[at].strip("\n"):
                    found.append(_parse_numstat(tokens[at]))
                at += 1
            changes = tuple(found)
        commits.append((head[:1], Commit(head[1:], author, title, tuple(parents.split()), changes)))
    return commits


def _parse_numstat(item: str) -> FileChange:
    added, removed, path = item.lstrip("\n").split("\t", 2)
    return FileChange(path, int(added) if added.isdigit() else None, int(removed) if removed.isdigit() else None)


def _without_signature(message: str) -> str:
    """An annotated tag's message without its PGP or SSH signature block."""
    for marker in ("-----BEGIN PGP SIGNATURE-----", "-----BEGIN SSH SIGNATURE-----"):
        if marker in message:
            message = message.split(marker, 1)[0]
    return message


def pusher_from_environment(env: Optional[dict] = None) -> Optional[str]:
    """Who pushed, when the git server says so (GitLab, gitolite, Gitea, smart HTTP)."""
    env = os.environ if env is None else env
    for name in ("GL_USERNAME", "GL_USER", "GITEA_PUSHER_NAME", "REMOTE_USER"):
        if env.get(name):
            return env[name]
    return None
