"""What the git and Subversion hooks cost the person pushing or committing, side by side in one run.

Each git row is the median wall time of ``git push`` of one new commit on one
branch, in three twin repositories pushed in turn (so load on the machine hits
all alike): no hook, ``wyzepal-git-post-receive``, and python-zulip-api's
``post-receive`` (from the installed ``zulip`` package's integrations, with its
``zulip_git_config.py``; it sends synchronously). The hook's cost is the push
time minus the no-hook push time. Three situations, measured in the same rounds: a small repository;
the chat server down (our hook only, a twin whose config names a port where
nothing listens; python-zulip-api's client retries a refused connection for a
long time); and a repository with 1,000 refs (500 branches, 500 tags).
Also the svn commit, where the hook's time goes (interpreter start, imports,
the git processes it runs) and push-to-message latency.

Run: ``PYTHONPATH=shared:plugins/git:plugins/svn python benchmarks/hooks.py [--runs 15]``
or, installed, ``python benchmarks/hooks.py``.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import requests
from _devserver import BENCH_KEY, BENCH_USER, devserver_process, free_port

#: Seconds between pushes, so a worker that has delivered has also exited (its CPU is not the next push's).
SETTLE = 0.3
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


def zulip_hook_folder() -> Path:
    """python-zulip-api's git integration as the ``zulip`` package installs it."""
    import zulip

    package = Path(zulip.__file__).resolve().parent
    candidates = [package / "integrations" / "git", Path(sys.prefix) / "share" / "zulip" / "integrations" / "git",
                  package.parent / "integrations" / "git"]
    for folder in candidates:
        if (folder / "post-receive").is_file() and (folder / "zulip_git_config.py").is_file():
            return folder
    sys.exit("python-zulip-api's integrations/git/post-receive was not found; pip install zulip")


def compile_modules() -> None:
    """Byte-compile both hooks' modules first, as an install does: else the first pushes (and every
    import under ``PYTHONDONTWRITEBYTECODE``) would time the compiler, not the hooks."""
    import compileall

    import wyzepal_git
    import wyzepal_notifier
    import wyzepal_svn
    import zulip

    for package in (wyzepal_notifier, wyzepal_git, wyzepal_svn, zulip):
        compileall.compile_dir(str(Path(package.__file__).parent), quiet=1)


def import_environment() -> dict[str, str]:
    """The environment a hook's imports are timed in: as git runs an installed hook (no ``PYTHONPATH``,
    compiled modules); from a checkout, the package folders only, as ``hook_program``'s launcher has them.

    Not this script's whole ``sys.path``: every import would first look through its extra folders.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    if subprocess.run([sys.executable, "-c", "import wyzepal_git.hook, zulip"], env=env,
                      stderr=subprocess.DEVNULL).returncode:
        import wyzepal_git
        import wyzepal_notifier
        import zulip

        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(str(Path(m.__file__).parent.parent)
                                                          for m in (wyzepal_notifier, wyzepal_git, zulip)))
    return env


def run(*argv: str, cwd: Optional[Path] = None) -> None:
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


class GitTwin:
    """A bare repository and its clone; ``hook`` is None, ``wyzepal`` or ``zulip``."""

    def __init__(self, root: Path, hook: Optional[str], site: str, refs: int = 0) -> None:
        self.bare, self.work = root / "project.git", root / "work"
        root.mkdir(parents=True)
        run("git", "init", "-q", "--bare", "--initial-branch=main", str(self.bare))
        run("git", "clone", "-q", str(self.bare), str(self.work))
        run("git", "commit", "-q", "--allow-empty", "-m", "start", cwd=self.work)
        if refs:
            self.many_refs(refs)
        run("git", "push", "-q", "--all", cwd=self.work)
        run("git", "push", "-q", "--tags", cwd=self.work)
        hooks = self.bare / "hooks"
        if hook == "wyzepal":
            (hooks / "post-receive").symlink_to(hook_program("wyzepal-git-post-receive", "wyzepal_git.hook", root))
            write_config(hooks / "wyzepal_git_config.py", site)
        elif hook == "zulip":
            self.install_zulip(hooks, site)

    def many_refs(self, count: int) -> None:
        """``count`` refs, half branches and half tags, written in one ``update-ref --stdin``."""
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=self.work, env=BARE_ENV, capture_output=True,
                              text=True, check=True).stdout.strip()
        lines = [f"create refs/heads/b{n:04} {head}" if n % 2 else f"create refs/tags/t{n:04} {head}"
                 for n in range(count)]
        subprocess.run(["git", "update-ref", "--stdin"], cwd=self.work, env=BARE_ENV, input="\n".join(lines) + "\n",
                       text=True, check=True)

    def install_zulip(self, hooks: Path, site: str) -> None:
        source = zulip_hook_folder()
        text = (source / "post-receive").read_text()
        # The same interpreter as ours (the hook environment's PATH has no venv python3).
        (hooks / "post-receive").write_text(f"#!{sys.executable}\n" + text.split("\n", 1)[1])
        (hooks / "post-receive").chmod(0o755)
        config = (source / "zulip_git_config.py").read_text()
        config = config.replace('STREAM_NAME = "commits"', 'STREAM_NAME = "bench"')
        config = config.replace('ZULIP_USER = "git-bot@example.com"', f"ZULIP_USER = {BENCH_USER!r}")
        config = config.replace('ZULIP_API_KEY = "0123456789abcdef0123456789abcdef"', f"ZULIP_API_KEY = {BENCH_KEY!r}")
        config = config.replace('ZULIP_SITE = "https://zulip.example.com"', f"ZULIP_SITE = {site!r}")
        (hooks / "zulip_git_config.py").write_text(config)

    def push_time(self) -> float:
        run("git", "commit", "-q", "--allow-empty", "-m", "bench", cwd=self.work)
        return timed(lambda: run("git", "push", "-q", "origin", "main", cwd=self.work))


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


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def row(label: str, samples: list[float], base: Optional[list[float]] = None,
        against: Optional[tuple[float, float]] = None) -> tuple[float, float]:
    """Median and fastest run; with ``base`` the hook's cost (this minus no hook), with ``against`` the ratio."""
    value, fastest = median_ms(samples), min(samples) * 1000
    text = f"  {label:<50} {value:8.1f} ms (fastest {fastest:6.1f})"
    cost = (value, fastest)
    if base is not None:
        cost = (value - median_ms(base), fastest - min(base) * 1000)
        text += f"   hook cost {cost[0]:6.1f} ms (fastest {cost[1]:6.1f})"
        if against:
            text += f"  = {cost[0] / against[0]:4.2f}x python-zulip-api's ({cost[1] / against[1]:4.2f}x fastest)"
    print(text)
    return cost


LABELS = {"none": "without a hook", "zulip": "python-zulip-api post-receive (sends before it exits)",
          "wyzepal": "wyzepal-git-post-receive (spools, a worker sends)",
          "wyzepal-down": "wyzepal-git-post-receive, chat server down"}


def compare(title: str, twins: dict[str, GitTwin], runs: int, server: Server, delivered: dict[str, int]) -> None:
    """Push each twin in turn, ``runs`` times, each going first in turn.

    After each hooked push its message is awaited (and the worker given time to exit), so
    one hook's delivery never runs during another's push. A twin whose server is down
    (``wyzepal-down``) delivers nothing and is not awaited.
    """
    samples: dict[str, list[float]] = {name: [] for name in twins}
    for n in range(runs):
        names = list(twins)
        for name in names[n % len(names):] + names[: n % len(names)]:
            samples[name].append(twins[name].push_time())
            if name in delivered:
                delivered[name] += 1
                server.wait_for(sum(delivered.values()))
            time.sleep(SETTLE)
    print(title)
    base = samples["none"]
    row(LABELS["none"], base)
    zulip = row(LABELS["zulip"], samples["zulip"], base) if "zulip" in samples else None
    for name in samples:
        if name.startswith("wyzepal"):
            row(LABELS[name], samples[name], base, zulip)


#: What git itself runs for a push (client and receive-pack), so the rest of the trace is the hook's.
GIT_OWN = ("push ", "receive-pack ", "pack-objects ", "unpack-objects ", "index-pack ", "rev-list --objects ",
           "for-each-ref '--format=%(objectname)'", "gc --auto")


def git_commands(twin: GitTwin) -> int:
    """The git processes our hook runs for one push, from git's own trace."""
    trace = twin.bare / "git-trace.log"
    run("git", "commit", "-q", "--allow-empty", "-m", "counted", cwd=twin.work)
    subprocess.run(["git", "push", "-q", "origin", "main"], cwd=twin.work, env={**BARE_ENV, "GIT_TRACE": str(trace)},
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    commands = [line.split("trace: built-in: git ", 1)[1] for line in trace.read_text().splitlines()
                if "trace: built-in: git " in line]
    ours = [command for command in commands if not command.startswith(GIT_OWN)]
    shown = "; ".join("git " + " ".join(command.split()[:2]) for command in ours)
    print(f"  git processes the hook ran for that push: {len(ours)} ({shown})")
    return len(ours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    runs = args.runs
    if not shutil.which("git") or not shutil.which("svnadmin"):
        sys.exit("needs git and subversion installed")
    print(f"python-zulip-api hook: {zulip_hook_folder()}/post-receive; interpreter {sys.executable}")
    compile_modules()
    with tempfile.TemporaryDirectory() as tmp, devserver_process() as site:
        root, server = Path(tmp), Server(site)
        delivered = {"wyzepal": 0, "zulip": 0}
        small = {name: GitTwin(root / f"small-{name}", None if name == "none" else name, site)
                 for name in ("none", "wyzepal", "zulip")}
        many = {name: GitTwin(root / f"many-{name}", None if name == "none" else name, site, refs=1000)
                for name in ("none", "wyzepal", "zulip")}
        down_site = f"http://127.0.0.1:{free_port()}"  # nothing listens there: the server is down
        small["wyzepal-down"] = GitTwin(root / "small-wyzepal-down", "wyzepal", down_site)
        compare(f"git push of one commit on one branch, median of {runs} (server down: same push, "
                "nothing listening):", small, runs, server, delivered)
        compare(f"the same in a repository with 1,000 refs (500 branches, 500 tags), median of {runs}:", many,
                runs, server, delivered)

        svn = SvnBench(root / "svn", site)
        svn.installed(False)
        svn_plain = [svn.commit_time() for _ in range(runs)]
        svn.installed(True)
        svn_hook = []
        for _ in range(runs):
            svn_hook.append(svn.commit_time())
            delivered["wyzepal"] += 1
            server.wait_for(sum(delivered.values()))
        print(f"svn commit of one file, median of {runs} (hook = wyzepal-svn-post-commit):")
        row("without the hook", svn_plain)
        row("with the hook, server up", svn_hook, svn_plain)

        print("where the hook's time goes:")
        env = import_environment()
        commands = {"python -c pass": [sys.executable, "-c", "pass"],
                    "python -c 'import wyzepal_git.hook'": [sys.executable, "-c", "import wyzepal_git.hook"],
                    "python -c 'import zulip' (python-zulip-api)": [sys.executable, "-c", "import zulip"]}
        starts = {label: [timed(lambda c=c: subprocess.run(c, env=env, check=True)) for _ in range(runs)]
                  for label, c in commands.items()}
        base = starts["python -c pass"]
        row("python -c pass", base)
        for label in list(commands)[1:]:
            row(label, starts[label], base)
        git_commands(small["wyzepal"])

        started = time.perf_counter()
        expected = sum(delivered.values()) + 2  # the counted push above, and this one
        small["wyzepal"].push_time()
        server.wait_for(expected)
        print(f"  push started -> message stored by the server: {(time.perf_counter() - started) * 1000:.1f} ms")
        print(f"all {expected} notices delivered by both hooks (server-down round: spooled, not awaited)")
        stop_workers(root)


def stop_workers(root: Path) -> None:
    """End the workers still retrying for this run's repositories (the server-down twin's), as they would
    give up only after minutes; read from ``/proc`` where there is one."""
    import signal

    for entry in Path("/proc").glob("[0-9]*"):
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"wyzepal_notifier.outbox.worker" in argv and any(str(root).encode() in arg for arg in argv):
            with contextlib.suppress(OSError):
                os.kill(int(entry.name), signal.SIGTERM)


if __name__ == "__main__":
    main()
