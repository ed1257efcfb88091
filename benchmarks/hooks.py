"""What the git and Subversion hooks cost the person pushing or committing, side by side in one run.

Each row is the median wall time of the host's own command (``git push`` of one
new commit, ``svn commit`` of one changed file) in a real repository, without
the hook and with it, the dev server (its own process) as the target: up, slow
(every answer delayed 5 s) and failing (503). The hook only spools and starts a
detached worker, so the server's state should not show in the push time.
Also: a bare interpreter start and importing the hook (where the hook's own
time goes), and push-to-message latency (what the channel sees).

Run: ``PYTHONPATH=shared:plugins/git:plugins/svn python benchmarks/hooks.py [--runs 7]``
or, installed, ``python benchmarks/hooks.py``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import requests
from _devserver import BENCH_KEY, BENCH_USER, devserver_process

#: Seconds between pushes whose notices are not awaited (slow and failing server).
SETTLE = 0.5
BARE_ENV = {"PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
            "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com", "LC_ALL": "C.UTF-8"}


def hook_program(name: str, module: str, folder: Path) -> Path:
    """The installed console script, else a launcher running the module from this checkout."""
    installed = Path(sys.executable).parent / name
    if installed.exists():
        return installed
    package = __import__(module.split(".")[0])
    import wyzepal_notifier

    paths = os.pathsep.join(str(Path(m.__file__).parent.parent) for m in (wyzepal_notifier, package))
    launcher = folder / name
    launcher.write_text(f'#!/bin/sh\nPYTHONPATH={paths} exec {sys.executable} -m {module} "$@"\n')
    launcher.chmod(0o755)
    return launcher


def run(*argv: str, cwd: Path | None = None) -> None:
    subprocess.run(argv, cwd=cwd, env=BARE_ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def write_config(path: Path, site: str, **extra: object) -> None:
    values = {"WYZEPAL_SITE": site, "WYZEPAL_USER": BENCH_USER, "WYZEPAL_API_KEY": BENCH_KEY,
              "STREAM_FOR_NOTIFICATIONS": "bench", **extra}
    path.write_text("".join(f"{key} = {value!r}\n" for key, value in values.items()))
    path.chmod(0o600)


class Server:
    """The dev server process, seen through its /devserver/ controls."""

    def __init__(self, site: str) -> None:
        self.site = site

    def count(self) -> int:
        return len(requests.get(f"{self.site}/devserver/messages", timeout=5).json()["messages"])

    def wait_for(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count() < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"expected {count} messages, the server has {self.count()}")
            time.sleep(0.01)

    def fault(self, kind: str, **params: object) -> None:
        requests.post(f"{self.site}/devserver/faults/{kind}", data=params, timeout=5).raise_for_status()


class GitBench:
    def __init__(self, root: Path, site: str) -> None:
        self.bare, self.work = root / "project.git", root / "work"
        run("git", "init", "-q", "--bare", "--initial-branch=main", str(self.bare))
        run("git", "clone", "-q", str(self.bare), str(self.work))
        self.commits(1)
        self.push()
        self.hook = self.bare / "hooks" / "post-receive"
        self.program = hook_program("wyzepal-git-post-receive", "wyzepal_git.hook", root)
        write_config(self.bare / "hooks" / "wyzepal_git_config.py", site)

    def commits(self, count: int) -> None:
        for _ in range(count):
            run("git", "commit", "-q", "--allow-empty", "-m", "bench", cwd=self.work)

    def push(self) -> None:
        run("git", "push", "-q", "origin", "main", cwd=self.work)

    def installed(self, on: bool) -> None:
        if on and not self.hook.exists():
            self.hook.symlink_to(self.program)
        if not on and self.hook.is_symlink():
            self.hook.unlink()

    def push_time(self, commits: int = 1) -> float:
        self.commits(commits)
        return timed(self.push)


class SvnBench:
    def __init__(self, root: Path, site: str) -> None:
        self.repos, self.wc = root / "repo", root / "wc"
        root.mkdir()
        run("svnadmin", "create", str(self.repos))
        self.svn = ["svn", "--non-interactive", "--config-dir", str(root / "svn-config")]
        run(*self.svn, "checkout", "-q", f"file://{self.repos}", str(self.wc))
        (self.wc / "file.txt").write_text("0\n")
        run(*self.svn, "add", "-q", "file.txt", cwd=self.wc)
        run(*self.svn, "commit", "-q", "-m", "start", cwd=self.wc)
        self.hook = self.repos / "hooks" / "post-commit"
        self.program = hook_program("wyzepal-svn-post-commit", "wyzepal_svn.hook", root)
        write_config(self.repos / "hooks" / "wyzepal_svn_config.py", site)
        self.number = 0

    def installed(self, on: bool) -> None:
        if on:
            self.hook.write_text(f'#!/bin/sh\n{self.program} "$1" "$2"\n')
            self.hook.chmod(0o755)
        elif self.hook.exists():
            self.hook.unlink()

    def commit_time(self) -> float:
        self.number += 1
        (self.wc / "file.txt").write_text(f"{self.number}\n")
        return timed(lambda: run(*self.svn, "commit", "-q", "-m", f"change {self.number}", cwd=self.wc))


def settled(measure: Callable[[], float]) -> float:
    """Measure after the previous push's worker has started up, so its CPU is not counted here."""
    time.sleep(SETTLE)
    return measure()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def row(label: str, samples: list[float], base: float | None = None) -> None:
    value = median_ms(samples)
    ratio = f"  x{value / base:5.2f}  (+{value - base:6.1f} ms)" if base else ""
    print(f"  {label:<46} {value:8.1f} ms{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    runs = args.runs
    if not shutil.which("git") or not shutil.which("svnadmin"):
        sys.exit("needs git and subversion installed")
    with tempfile.TemporaryDirectory() as tmp, devserver_process() as site:
        root, server = Path(tmp), Server(site)
        git, svn = GitBench(root / "git", site), SvnBench(root / "svn", site)
        python = [[sys.executable, "-c", "pass"], [sys.executable, "-c", "import requests"],
                  [sys.executable, "-c", "import wyzepal_git.hook"]]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        starts = [[timed(lambda c=c: subprocess.run(c, env=env, check=True)) for _ in range(runs)] for c in python]

        git.installed(False)
        no_hook = [git.push_time() for _ in range(runs)]
        no_hook_60 = [git.push_time(60) for _ in range(runs)]
        git.installed(True)
        with_hook, latency, expected = [], [], server.count()
        for _ in range(runs):
            started = time.perf_counter()
            with_hook.append(git.push_time())
            expected += 1
            server.wait_for(expected)
            latency.append(time.perf_counter() - started)
        with_hook_60 = []
        for _ in range(runs):
            with_hook_60.append(git.push_time(60))
            expected += 1
            server.wait_for(expected)

        svn.installed(False)
        svn_plain = [svn.commit_time() for _ in range(runs)]
        svn.installed(True)
        svn_hook = []
        for _ in range(runs):
            svn_hook.append(svn.commit_time())
            expected += 1
            server.wait_for(expected)

        server.fault("delay", seconds=5)
        slow = [settled(git.push_time) for _ in range(runs)]
        server.fault("clear")
        expected += runs
        server.wait_for(expected)
        server.fault("fail", count=1000, status=503)
        failing = [settled(git.push_time) for _ in range(runs)]
        server.fault("clear")
        expected += runs
        server.wait_for(expected, timeout=120)  # the workers' backoff, then every notice arrives

        base = median_ms(no_hook)
        print(f"git push of one commit, median of {runs} (hook = wyzepal-git-post-receive):")
        row("without the hook", no_hook)
        row("with the hook, server up", with_hook, base)
        row("with the hook, server slow (5 s per answer)", slow, base)
        row("with the hook, server failing (503)", failing, base)
        print(f"git push of 60 commits, median of {runs}:")
        row("without the hook", no_hook_60)
        row("with the hook, server up", with_hook_60, median_ms(no_hook_60))
        print(f"svn commit of one file, median of {runs} (hook = wyzepal-svn-post-commit):")
        row("without the hook", svn_plain)
        row("with the hook, server up", svn_hook, median_ms(svn_plain))
        print("where the hook's time goes:")
        row("python -c pass", starts[0])
        row("python -c 'import requests' (never used here)", starts[1], median_ms(starts[0]))
        row("python -c 'import wyzepal_git.hook'", starts[2], median_ms(starts[0]))
        print("what the channel sees:")
        row("push started -> message stored by the server", latency)
        print(f"all {expected} notices delivered, none lost (slow and failing rounds included)")


if __name__ == "__main__":
    main()
