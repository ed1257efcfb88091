"""Jenkins bridge costs, side by side in one run.

1. ``wyzepal-jenkins-notify`` as a whole process (it runs in every build):
   bare interpreter start, importing the step, printing a message without
   sending, a real notification, and one with Jenkins down.
2. The watcher's poll over 500 jobs in 20 folders: requests and time of an
   idle poll and of a poll with 10 finished builds, next to the naive way
   (python-jenkins' ``get_all_jobs`` then ``get_job_info`` per job).
3. Requests to Jenkins and to the chat server per build (start and end), the
   living message (LIVING_MESSAGE) next to today's separate notices.
4. The watcher's poll over 500 jobs while 10 builds run, with and without
   the living message.

Run: ``PYTHONPATH=shared:plugins/jenkins:. python benchmarks/jenkins.py``
(the simulator runs in this process, the dev server in its own).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from _devserver import BENCH_KEY, BENCH_USER, devserver_process

# This file is named jenkins.py: take its folder off the path so "import jenkins" is python-jenkins.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

import jenkins  # noqa: E402
from wyzepal_jenkins.integration import JenkinsIntegration  # noqa: E402
from wyzepal_jenkins.watch.poller import Poller  # noqa: E402
from wyzepal_jenkins.watch.state import WatchState  # noqa: E402

from devtools.jenkins_simulator import Change, JenkinsSimulator  # noqa: E402

RUNS = 9
READER = ("bench", "b" * 32)


def run_seconds(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def median_seconds(argv: list[str], env: dict[str, str], runs: int = RUNS) -> float:
    run_seconds(argv, env)  # warm-up
    return statistics.median(run_seconds(argv, env) for _ in range(runs))


def interleaved_medians(commands: list[list[str]], env: dict[str, str], runs: int = RUNS) -> list[float]:
    """Round after round, each command once: a busy moment of the machine hits every row alike."""
    for argv in commands:
        run_seconds(argv, env)  # warm-up
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for index, argv in enumerate(commands):
            times[index].append(run_seconds(argv, env))
    return [statistics.median(column) for column in times]


def write_config(folder: Path, site: str, jenkins_url: str, extra: str = "", name: str = "") -> Path:
    path = folder / (name or "wyzepal_jenkins_config.py")
    path.write_text(f"WYZEPAL_SITE = {site!r}\nWYZEPAL_USER = {BENCH_USER!r}\nWYZEPAL_API_KEY = {BENCH_KEY!r}\n"
                    f"STREAM_FOR_NOTIFICATIONS = 'bench'\nJENKINS_URL = {jenkins_url!r}\n"
                    f"JENKINS_USER = {READER[0]!r}\nJENKINS_API_TOKEN = {READER[1]!r}\n"
                    f"OUTBOX_PATH = {str(folder / (name + 'outbox.sqlite3'))!r}\n"
                    f"STATE_PATH = {str(folder / (name + 'state.json'))!r}\n" + extra)
    path.chmod(0o600)
    return path


def bench_step(site: str, folder: Path) -> None:
    sim = JenkinsSimulator()
    sim.jenkins.add_user(*READER[:1], token=READER[1])
    sim.jenkins.add_job("team/app", pipeline=True)
    sim.jenkins.run_build("team/app", "SUCCESS")
    sim.jenkins.run_build("team/app", "FAILURE", changes=[Change("abc123", "Change", "bob", "Bob")])
    sim.start()
    config = write_config(folder, site, sim.url)
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": os.pathsep.join(sys.path), "WYZEPAL_JENKINS_CONFIG": str(config),
           "JOB_NAME": "team/app", "BUILD_NUMBER": "2", "BUILD_URL": sim.url + "job/team/job/app/2/",
           "JENKINS_URL": sim.url, "GIT_COMMIT": "abc123", "GIT_BRANCH": "origin/main"}
    step = [sys.executable, "-m", "wyzepal_jenkins.step", "--result", "FAILURE"]
    rows = [("python -c pass (interpreter start)", [sys.executable, "-c", "pass"]),
            ("import wyzepal_jenkins.step.cli", [sys.executable, "-c", "import wyzepal_jenkins.step.cli"]),
            ("notify --print (Jenkins asked, nothing sent)", step + ["--print"]),
            ("notify (Jenkins asked, message delivered)", step)]
    print(f"1. wyzepal-jenkins-notify, whole process, median of {RUNS} interleaved rounds")
    medians = interleaved_medians([argv for _, argv in rows], env)
    base = medians[0]
    for (label, _), seconds in zip(rows, medians):
        print(f"   {label:<48} {seconds * 1000:7.0f} ms  {seconds / base:5.1f}x")
    sim.reset_requests()
    subprocess.run(step, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"   requests to Jenkins per run: {len(sim.requests)} "
          f"({', '.join(sorted({path.split('?')[0] for _, path in sim.requests}))})")
    sim.stop()
    seconds = median_seconds(step, env)
    print(f"   {'notify with Jenkins down (connection refused)':<48} {seconds * 1000:7.0f} ms  {seconds / base:5.1f}x")
    print("   drivers: interpreter start; importing python-jenkins (and requests with it); the Jenkins\n"
          "   requests above (python-jenkins asks for a crumb before its first request; the test report\n"
          "   only when tests failed); then handing the message to the outbox and sending it")


def build_farm(sim: JenkinsSimulator, jobs: int = 500, folders: int = 20) -> list[str]:
    names = [f"team-{i % folders:02d}/service-{i:03d}" for i in range(jobs)]
    for name in names:
        sim.jenkins.add_job(name)
        sim.jenkins.run_build(name, "SUCCESS")
    return names


def timed_poll(poller: Poller, sim: JenkinsSimulator) -> tuple[int, float]:
    sim.reset_requests()
    started = time.perf_counter()
    poller.poll()
    return len(sim.requests), time.perf_counter() - started


def bench_watch(site: str, folder: Path) -> None:
    sim = JenkinsSimulator()
    sim.jenkins.add_user(*READER[:1], token=READER[1])
    names = build_farm(sim)
    sim.start()
    integration = JenkinsIntegration.load(explicit=write_config(folder, site, sim.url), env={})
    poller = Poller(integration, integration.jenkins_api(env={}), WatchState.load(folder / "state.json"))
    print("\n2. the watcher's poll, 500 jobs in 20 folders (one build each)")
    first = timed_poll(poller, sim)
    idle = timed_poll(poller, sim)
    for name in names[:10]:
        sim.jenkins.run_build(name, "FAILURE")
    busy = timed_poll(poller, sim)
    integration.close(10)
    sim.reset_requests()
    started = time.perf_counter()
    server = jenkins.Jenkins(sim.url, READER[0], READER[1])
    for job in server.get_all_jobs():
        if "jobs" not in job:
            server.get_job_info(job["fullname"])
    naive = (len(sim.requests), time.perf_counter() - started)
    base = idle[1]
    for label, (count, seconds) in (("first poll (remembers where each job is)", first),
                                    ("idle poll (nothing new)", idle),
                                    ("poll with 10 finished failures", busy),
                                    ("naive: get_all_jobs + get_job_info per job", naive)):
        print(f"   {label:<48} {count:5d} requests {seconds * 1000:7.0f} ms  {seconds / base:6.1f}x")
    print("   drivers: one tree query lists every job and its last build number; only jobs whose number\n"
          "   moved (or with running builds) cost more: 1 history + 1 per new build (+1 test report if failed)")
    sim.stop()


def chat_requests(site: str) -> list[tuple[str, str]]:
    """The dev server's request log: (method, path) of every API request so far."""
    log = requests.get(f"{site}/devserver/requests", timeout=10).json()["requests"]
    return [(entry["method"], entry["path"]) for entry in log]


def watcher(folder: Path, site: str, sim: JenkinsSimulator, name: str, extra: str) -> tuple[Any, Poller]:
    integration = JenkinsIntegration.load(explicit=write_config(folder, site, sim.url, extra, name), env={})
    state = WatchState.load(folder / f"{name}state.json")
    return integration, Poller(integration, integration.jenkins_api(env={}), state)


def counted(site: str, sim: JenkinsSimulator, integration: Any, poller: Poller) -> tuple[int, int, Counter]:
    """One poll and the delivery of what it queued: (Jenkins requests, chat requests, chat requests by kind)."""
    sim.reset_requests()
    before = len(chat_requests(site))
    poller.poll()
    integration.outbox.flush(60)
    after = chat_requests(site)[before:]
    return len(sim.requests), len(after), Counter(f"{method} {_shape(path)}" for method, path in after)


def _shape(path: str) -> str:
    return "/".join("N" if part.isdigit() else part for part in path.split("?")[0].split("/"))


def bench_per_build(site: str, folder: Path) -> None:
    sim = JenkinsSimulator()
    sim.jenkins.add_user(*READER[:1], token=READER[1])
    sim.start()
    ways = [("separate notices (NOTIFY_STARTED)", "NOTIFY_STARTED = True\n", False),
            ("living message, one watcher", "LIVING_MESSAGE = True\n", False),
            ("living message, the end from another spool", "LIVING_MESSAGE = True\n", True)]
    print("\n3. requests per build, start seen by one poll and the end by the next (the watcher)")
    print(f"   {'':<44} {'result':<8} {'Jenkins':>7} {'chat':>5}  chat requests")
    for index, (label, extra, other_spool) in enumerate(ways):
        for result in ("SUCCESS", "FAILURE"):
            job = f"way{index}-{result.lower()}"
            sim.jenkins.add_job(job)
            sim.jenkins.run_build(job, "SUCCESS")
            integration, poller = watcher(folder, site, sim, f"{job}-", extra)
            poller.poll()  # the baseline
            sim.jenkins.start_build(job, changes=[Change("abc123", "Change", "bob", "Bob")])
            start = counted(site, sim, integration, poller)
            if other_spool:  # another machine's watcher, which saw the build run but did not post its start
                integration.close(10)
                integration, poller = watcher(folder, site, sim, f"{job}-other-", extra)
                poller.poll()  # its baseline: the running build is remembered as pending
            sim.jenkins.finish_build(job, 2, result)
            end = counted(site, sim, integration, poller)
            integration.close(10)
            shapes = start[2] + end[2]
            print(f"   {label:<44} {result:<8} {start[0] + end[0]:7d} {start[1] + end[1]:5d}  "
                  + ", ".join(f"{count} {shape}" for shape, count in sorted(shapes.items())))
    print("   drivers: each poll asks Jenkins for the job list, the job's history and the build (Jenkins\n"
          "   costs the same either way); the living message adds a look-back (GET /messages, twice when the\n"
          "   topic has no such message: the resolved name too) where this spool does not know the build, the\n"
          "   edit (PATCH) and the reaction swap (POST, DELETE + POST reactions). Once per process, not per\n"
          "   build: POST /register + DELETE /events (the outbox's own queue; the realm's edit rules, read by\n"
          "   the outbox and before a follow-up) and GET /users/me (who the bot is)")
    sim.stop()


def bench_running(site: str, folder: Path) -> None:
    print("\n4. the watcher's poll, 500 jobs, 10 builds running")
    for label, extra in (("separate notices (NOTIFY_STARTED)", "NOTIFY_STARTED = True\n"),
                         ("living message", "LIVING_MESSAGE = True\n")):
        sim = JenkinsSimulator()
        sim.jenkins.add_user(*READER[:1], token=READER[1])
        names = build_farm(sim)
        sim.start()
        name = "living-" if "living" in label else "separate-"
        integration, poller = watcher(folder, site, sim, name, extra)
        poller.poll()
        for job in names[:10]:
            sim.jenkins.start_build(job)
        rows = []
        for what in ("sees 10 builds start", "10 builds still running", "sees the 10 builds end"):
            if what.startswith("sees the"):
                for job in names[:10]:
                    sim.jenkins.finish_build(job, 2, "FAILURE")
            started = time.perf_counter()
            jenkins_count, chat_count, _ = counted(site, sim, integration, poller)
            rows.append((what, jenkins_count, chat_count, time.perf_counter() - started))
        integration.close(10)
        sim.stop()
        for what, jenkins_count, chat_count, seconds in rows:
            print(f"   {label + ': ' + what:<62} {jenkins_count:4d} Jenkins {chat_count:4d} chat "
                  f"{seconds * 1000:7.0f} ms (delivery included)")
    print("   drivers: a running build costs its job's history request every poll, with or without the\n"
          "   living message; the living message's first sight of a build adds one look-back per build")


def main() -> None:
    with devserver_process() as site, tempfile.TemporaryDirectory() as tmp:
        bench_step(site, Path(tmp))
        bench_watch(site, Path(tmp))
        bench_per_build(site, Path(tmp))
        bench_running(site, Path(tmp))


if __name__ == "__main__":
    main()
