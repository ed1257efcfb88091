"""The git test rig: a real bare repository with the hook installed, a clone to push from, the dev server as target.

Shared with the Subversion tests (``svnrig`` loads this file): the hook
launcher, the spool helpers and the template uncommenter.

The hook is the installed ``wyzepal-git-post-receive`` console script (as under
tox) symlinked to ``hooks/post-receive``; when the package is only on
PYTHONPATH (the quick dev loop) a two-line launcher stands in for the script.
Pushes run with ``env -i PATH=/usr/bin:/bin``: no HOME, nothing inherited.
"""
from __future__ import annotations

import importlib
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

BARE_ENV = {"PATH": "/usr/bin:/bin"}
SCRIPT = "wyzepal-git-post-receive"


def hook_program(folder: Path, script: str = SCRIPT, module: str = "wyzepal_git.hook") -> Path:
    """The installed console script (tox), else a launcher running ``module`` from the checkout."""
    installed = Path(sys.executable).parent / script
    if installed.exists():
        return installed
    package = importlib.import_module(module.split(".")[0])
    import wyzepal_notifier

    paths = [str(Path(m.__file__).parent.parent) for m in (wyzepal_notifier, package)]
    launcher = folder / script
    launcher.write_text(f"#!/bin/sh\nPYTHONPATH={os.pathsep.join(paths)} exec {sys.executable} "
                        f"-m {module} \"$@\"\n")
    launcher.chmod(0o755)
    return launcher


def git(*args, cwd=None, env=None, check=True, author="Alice Doe") -> subprocess.CompletedProcess:
    environment = {**BARE_ENV, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
                   "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": "dev@example.com",
                   "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": "dev@example.com", **(env or {})}
    done = subprocess.run(["git", *args], cwd=cwd, env=environment, capture_output=True, text=True, check=False)
    if check and done.returncode:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done


class Remote:
    """``project.git`` (bare, hook installed) and ``work`` (a clone of it)."""

    def __init__(self, root: Path, site: str, bot: tuple[str, str]) -> None:
        self.root = root
        self.bare = root / "project.git"
        self.work = root / "work"
        self.site = site
        self.bot = bot
        git("init", "-q", "--bare", "--initial-branch=main", str(self.bare))
        git("clone", "-q", str(self.bare), str(self.work))
        self.initial = self.commit("Initial commit")
        self.push("origin", "main")  # before the hook: tests start from an existing main
        self.install_hook()
        self.config = self.bare / "hooks" / "wyzepal_git_config.py"
        self.write_config()

    def install_hook(self) -> None:
        (self.bare / "hooks" / "post-receive").symlink_to(hook_program(self.root))

    def write_config(self, extra: str = "", **settings) -> Path:
        values = {"WYZEPAL_SITE": self.site, "WYZEPAL_USER": self.bot[0], "WYZEPAL_API_KEY": self.bot[1],
                  "STREAM_FOR_NOTIFICATIONS": "commits",
                  "COMMIT_URL": "https://git.example.com/{repo}/commit/{sha}", **settings}
        lines = [f"{key} = {value!r}" for key, value in values.items() if value is not None]
        self.config.write_text("\n".join(lines) + "\n" + extra)
        self.config.chmod(0o600)
        return self.config

    def commit(self, title: str, author: str = "Alice Doe", file: str = "") -> str:
        if file:
            (self.work / file).parent.mkdir(parents=True, exist_ok=True)
            (self.work / file).write_text(title + "\n")
            git("add", file, cwd=self.work)
        git("commit", "-q", "--allow-empty", "-m", title, cwd=self.work, author=author)
        return self.rev("HEAD")

    def commit_files(self, title: str, files: dict[str, str]) -> str:
        """One commit writing each of ``files`` (path: text) in the clone."""
        for name, text in files.items():
            path = self.work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            git("add", name, cwd=self.work)
        git("commit", "-q", "-m", title, cwd=self.work)
        return self.rev("HEAD")

    def rev(self, what: str) -> str:
        return git("rev-parse", what, cwd=self.work).stdout.strip()

    def push(self, *args: str, env=None) -> subprocess.CompletedProcess:
        """``env -i PATH=/usr/bin:/bin git push`` (plus ``env``); fails the test if git itself failed."""
        done = subprocess.run(["git", "push", *args], cwd=self.work, env={**BARE_ENV, **(env or {})},
                              capture_output=True, text=True, check=False)
        if done.returncode:
            raise AssertionError(f"git push {' '.join(args)} failed: {done.stderr}")
        return done

    def spool(self) -> Path:
        return self.bare / "wyzepal-outbox.sqlite3"


def url(sha: str) -> str:
    return f"https://git.example.com/project/commit/{sha}"


def line(sha: str, title: str, author: str = "Alice Doe") -> str:
    """One commit as the hook lists it."""
    return f"* [{sha[:7]}]({url(sha)}) {title} ({author})"


def uncomment_examples(text: str) -> str:
    """Turn on the template's commented-out settings, lists and functions."""
    out, inside = [], False
    for line in text.splitlines():
        starts = re.match(r"^# ([A-Z_]+ = |def )", line)
        continues = inside and re.match(r"^#( {4}.*| ?\]| ?)$", line)
        inside = bool(starts or continues)
        out.append(line[2:] if line.startswith("# ") and inside else line[1:] if line == "#" and inside else line)
    return "\n".join(out) + "\n"


def pending_in(spool) -> list[str]:
    with sqlite3.connect(str(spool)) as db:
        return [row[0] for row in db.execute("SELECT body FROM messages WHERE state = 'pending'")]


def spool_empties(spool, timeout: float = 10.0) -> bool:
    """The worker deletes a row once the server has answered, a moment after the message shows."""
    deadline = time.monotonic() + timeout
    while pending_in(spool):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
