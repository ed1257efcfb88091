"""The Subversion test rig: ``svnadmin create`` with the hook installed, a working copy, the dev server.

``hooks/post-commit`` is the shell script the README tells users to write; it
calls the installed ``wyzepal-svn-post-commit`` console script (as under tox) or,
when the package is only on PYTHONPATH, a launcher standing in for it.
Subversion runs hooks with an empty environment; the svn client itself runs
here under ``env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8``.
"""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

BARE_ENV = {"PATH": "/usr/bin:/bin"}
#: The svn client needs a UTF-8 locale for non-ASCII file names; the hook still gets nothing.
CLIENT_ENV = {**BARE_ENV, "LC_ALL": "C.UTF-8"}
SCRIPT = "wyzepal-svn-post-commit"


def _load_gitrig() -> ModuleType:
    """The git tests' rig, which holds what both hooks' tests share."""
    if "gitrig" not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "git" / "gitrig.py"
        spec = importlib.util.spec_from_file_location("gitrig", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["gitrig"] = module
    return sys.modules["gitrig"]


gitrig = _load_gitrig()
pending_in, spool_empties, uncomment_examples = gitrig.pending_in, gitrig.spool_empties, gitrig.uncomment_examples


#: The scripts a plain checkout (no console scripts installed) can stand in for with ``python -m``.
MODULES = {SCRIPT: "wyzepal_svn.hook", "wyzepal-svn-post-revprop-change": "wyzepal_svn.revprop"}


def hook_program(folder: Path, script: str = SCRIPT) -> Path:
    """The installed console script, else (post-commit, post-revprop-change) a launcher of its module."""
    if script not in MODULES:
        installed = Path(sys.executable).parent / script
        assert installed.exists(), f"{script} is not installed: pip install -e . (tox installs it)"
        return installed
    return gitrig.hook_program(folder, script, MODULES[script])


class SvnRepo:
    """``repo`` (hook installed, config in ``repo/hooks``) and ``wc`` (a checkout of it)."""

    def __init__(self, root: Path, site: str, bot: tuple[str, str]) -> None:
        self.root = root
        self.repos = root / "repo"
        self.wc = root / "wc"
        self.site = site
        self.bot = bot
        self.url = f"file://{self.repos}"
        subprocess.run(["svnadmin", "create", str(self.repos)], env=BARE_ENV, check=True)
        self.hook = self.repos / "hooks" / "post-commit"
        self.hook.write_text(f'#!/bin/sh\nREPOS="$1"\nREV="$2"\n{hook_program(root)} "$REPOS" "$REV"\n')
        self.hook.chmod(0o755)
        self.config = self.repos / "hooks" / "wyzepal_svn_config.py"
        self.write_config()
        self.svn("checkout", "-q", self.url, str(self.wc))

    def write_config(self, extra: str = "", **settings) -> Path:
        values = {"WYZEPAL_SITE": self.site, "WYZEPAL_USER": self.bot[0], "WYZEPAL_API_KEY": self.bot[1],
                  "STREAM_FOR_NOTIFICATIONS": "commits",
                  "REVISION_URL": "https://trac.example.com/changeset/{revision}", **settings}
        lines = [f"{key} = {value!r}" for key, value in values.items() if value is not None]
        self.config.write_text("\n".join(lines) + "\n" + extra)
        self.config.chmod(0o600)
        return self.config

    def svn(self, *args: str, cwd=None) -> subprocess.CompletedProcess:
        done = subprocess.run(["svn", "--non-interactive", "--config-dir", str(self.root / "svn-config"), *args],
                              cwd=cwd, env=CLIENT_ENV, capture_output=True, text=True, check=False)
        if done.returncode:
            raise AssertionError(f"svn {' '.join(args)} failed: {done.stderr}")
        return done

    def commit(self, message: str, files: dict[str, str] = (), remove: tuple[str, ...] = (),
               author: str = "alice") -> tuple[int, str]:
        """Write ``files``, delete ``remove``, commit as ``author``; returns (revision, all svn printed)."""
        for name, text in dict(files).items():
            path = self.wc / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            self.svn("add", "-q", "--parents", "--force", name, cwd=self.wc)
        for name in remove:
            self.svn("delete", "-q", name, cwd=self.wc)
        done = self.svn("commit", "-m", message, "--username", author, cwd=self.wc)
        return int(re.search(r"Committed revision (\d+)\.", done.stdout).group(1)), done.stdout + done.stderr

    def spool(self) -> Path:
        return self.repos / "wyzepal-outbox.sqlite3"

    def install(self, hook: str, text: str) -> None:
        """``hooks/<hook>`` with ``text`` (a shell script, as the README gives it)."""
        path = self.repos / "hooks" / hook
        path.write_text(text)
        path.chmod(0o755)

    def install_command(self, hook: str, arguments: int) -> None:
        """``hooks/<hook>`` calling ``wyzepal-svn-<hook>`` with the hook's own arguments (stdin passed on)."""
        args = " ".join(f'"${n}"' for n in range(1, arguments + 1))
        self.install(hook, f"#!/bin/sh\nexec {hook_program(self.root, 'wyzepal-svn-' + hook)} {args}\n")


def changeset(revision: int) -> str:
    return f"[r{revision}](https://trac.example.com/changeset/{revision})"
