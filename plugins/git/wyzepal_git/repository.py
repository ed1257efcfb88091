"""The repository being pushed to, asked through the ``git`` command (no Python bindings)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from wyzepal_notifier.scripthook import find_program, run_program

#: ``git log`` fields, split by unit separators and ended by record separators.
_LOG_FORMAT = "%H%x1f%an%x1f%s%x1e"


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    title: str

    @property
    def short(self) -> str:
        return short(self.sha)


@dataclass(frozen=True)
class CommitRange:
    """The first commits of a range, oldest first, and how many the range holds in all."""

    commits: tuple[Commit, ...]
    total: int


@dataclass(frozen=True)
class TagInfo:
    commit: str
    title: Optional[str]


def short(sha: str) -> str:
    return sha[:7]


class GitRepository:
    """One repository, found the way git finds it for a hook (``$GIT_DIR`` or the current folder)."""

    def __init__(self, git_dir: Path, git: str = "git") -> None:
        self.git_dir = git_dir
        self.git = git

    @classmethod
    def discover(cls, cwd: Optional[str] = None) -> GitRepository:
        git = find_program("git")
        git_dir = run_program([git, "rev-parse", "--absolute-git-dir"], cwd=cwd).strip()
        return cls(Path(git_dir), git)

    def run(self, *args: str, stdin: Optional[str] = None, check: bool = True) -> str:
        return run_program([self.git, f"--git-dir={self.git_dir}", *args], stdin=stdin, check=check)

    def peel(self, sha: str) -> str:
        """The commit an (annotated) tag object points at, or ``sha`` itself."""
        return self.run("rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}", check=False).strip() or sha

    @property
    def is_bare(self) -> bool:
        return self.run("rev-parse", "--is-bare-repository").strip() == "true"

    def default_name(self) -> str:
        """``project`` for ``/srv/git/project.git`` and for ``/home/me/project/.git``."""
        folder = self.git_dir if self.is_bare else self.git_dir.parent
        name = folder.name
        return name[: -len(".git")] if name.endswith(".git") and len(name) > 4 else name

    def count(self, *revisions: str) -> int:
        return int(self.run("rev-list", "--count", *revisions).strip() or 0)

    def commit_range(self, include: str, exclude: Sequence[str], limit: int) -> CommitRange:
        """Commits reachable from ``include`` and from none of ``exclude``, oldest first."""
        spec = "\n".join([include, *(f"^{sha}" for sha in exclude)]) + "\n"
        shas = self.run("rev-list", "--reverse", "--stdin", stdin=spec).split()
        return CommitRange(self.describe(shas[:limit]), len(shas))

    def describe(self, shas: Sequence[str]) -> tuple[Commit, ...]:
        if not shas:
            return ()
        output = self.run("log", "--no-walk=unsorted", f"--format={_LOG_FORMAT}", "--stdin",
                          stdin="\n".join(shas) + "\n")
        records = [record.strip("\n") for record in output.split("\x1e") if record.strip()]
        return tuple(Commit(*record.split("\x1f", 2)) for record in records)

    def branches(self) -> dict[str, str]:
        """Every branch's full ref name and the commit it points at now."""
        output = self.run("for-each-ref", "--format=%(refname)%00%(objectname)", "refs/heads/")
        pairs = (line.split("\x00") for line in output.splitlines() if line)
        return {ref: sha for ref, sha in pairs}

    def tag(self, ref: str) -> TagInfo:
        """The commit a tag points at, and an annotated tag's title."""
        output = self.run("for-each-ref", "--format=%(objecttype)%00%(objectname)%00%(*objectname)%00"
                          "%(contents:subject)", ref)
        first = output.split("\n", 1)[0]
        kind, target, peeled, title = (first.split("\x00") + ["", "", "", ""])[:4]
        if kind == "tag":
            return TagInfo(peeled or target, title or None)
        return TagInfo(target, None)


def pusher_from_environment(env: Optional[dict] = None) -> Optional[str]:
    """Who pushed, when the git server says so (GitLab, gitolite, Gitea, smart HTTP)."""
    env = os.environ if env is None else env
    for name in ("GL_USERNAME", "GL_USER", "GITEA_PUSHER_NAME", "REMOTE_USER"):
        if env.get(name):
            return env[name]
    return None
