"""The Jenkins bridge end to end, on this machine alone.

``python -m devtools.jenkins_simulator.demo``, from the top folder of a clone.

Starts the dev server and the Jenkins simulator, runs the watcher (with chat
commands) while builds fail, keep failing and get fixed, asks the bot to start a
deploy, approves a release waiting at an input step, and prints every message
that arrived. ``--keep`` leaves it all running.
"""
from __future__ import annotations

import argparse
import secrets
import tempfile
import threading
import time
from pathlib import Path

from wyzepal_jenkins.watch.cli import main as watch_main

from . import Change, JenkinsSimulator
from .builds import InputStep, Stage
from .executor import Executor
from .sample import sample_jenkins

BOT, HUMAN = "jenkins-bot@example.com", "ada@example.com"
TOKEN = secrets.token_hex(16)  # the simulated admin's API token, new each run


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.jenkins_simulator.demo",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep everything running afterwards (Ctrl-C stops)")
    args = parser.parse_args()
    from wyzepal_notifier.devserver import DevServer  # needs the devserver extra (aiohttp)

    chat = DevServer(users=[(BOT, "k" * 32, "Jenkins Bot")], streams=["ci", "ops"]).start()
    chat.add_user(HUMAN, full_name="Ada Admin", bot=False)
    jenkins = JenkinsSimulator(sample_jenkins(TOKEN)).start()
    executor = Executor(jenkins.jenkins, build_seconds=2.0).start()
    stop = threading.Event()
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder), chat.site, jenkins.url)
        watcher = threading.Thread(target=watch_main, args=(["--config", str(config)],),
                                   kwargs={"env": {}, "stop": stop}, daemon=True)
        watcher.start()
        try:
            play(chat, jenkins, Path(folder) / "state.json")
            show(chat)
            if args.keep:
                print(f"\nWyzePal dev server: {chat.site}   Jenkins simulator: {jenkins.url} "
                      f"(admin / {TOKEN}); Ctrl-C stops")
                stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            watcher.join(timeout=10)
            executor.stop()
            jenkins.stop()
            chat.close()


def write_config(folder: Path, site: str, jenkins_url: str) -> Path:
    path = folder / "wyzepal_jenkins_config.py"
    path.write_text(
        f"WYZEPAL_SITE = {site!r}\nWYZEPAL_USER = {BOT!r}\nWYZEPAL_API_KEY = {'k' * 32!r}\n"
        f"STREAM_FOR_NOTIFICATIONS = 'ci'\nJENKINS_URL = {jenkins_url!r}\nJENKINS_USER = 'admin'\n"
        f"JENKINS_API_TOKEN = {TOKEN!r}\nPOLL_INTERVAL = 0.5\nCOMMANDS_ENABLED = True\n"
        f"BUILD_USERS = [{HUMAN!r}]\nBUILD_JOBS = ['web/deploy-*', 'web/app']\nMENTION_CULPRITS = True\n"
        "LOG_LINES = 3\nUSERS = {'bob': 'Bob Stone', 'admin': 'Ada Admin'}\n"
        "STATE_PATH = " + repr(str(folder / "state.json")) + "\n"
        "CONFIGURATIONS = [{'conditions': {'job': 'web/deploy-*'}, 'settings': {'stream': 'ops', "
        "'NOTIFY_SUCCESS': True}}, {'conditions': {'job': lambda job: 'deploy' not in job}}]\n",
        encoding="utf-8")
    path.chmod(0o600)
    return path


def play(chat, jenkins: JenkinsSimulator, state: Path) -> None:
    sim = jenkins.jenkins
    wait_for(state.exists, 30)  # the watcher's first poll: it remembers where every job is
    breaking = Change("5ca1ab1e", "Cache sessions @**all** `fast`", "bob", "Bob Stone", "bob@example.com")
    sim.run_build("web/app", "FAILURE", changes=[breaking], duration_ms=80_000)
    time.sleep(1.0)
    sim.run_build("web/app", "SUCCESS", changes=[Change("f1x3d", "Revert session cache", "bob", "Bob Stone")],
                  duration_ms=70_000)
    chat.wait_for_polls(1, timeout=30)
    chat.send_message(HUMAN, "ops", "@**Jenkins Bot** build web/deploy-web TARGET=production", topic="release")
    chat.send_message(HUMAN, "ops", "@**Jenkins Bot** build nightly", topic="release")
    chat.wait_for_messages(8, timeout=60)
    release = sim.start_build("web/app")  # a release waiting for a person to say yes
    release.stages = [Stage("Build"), Stage("Deploy", "PAUSED_PENDING_INPUT")]
    release.inputs = [InputStep("Deploy", "Deploy to production?", ok="Ship it", submitter="admin",
                                parameters={"REGION": "eu"}, choices={"REGION": ["eu", "us"]})]
    chat.wait_for_messages(9, timeout=60)
    chat.send_message(HUMAN, "ci", f"@**Jenkins Bot** approve web/app #{release.number} REGION=us", topic="web/app")
    chat.wait_for_messages(11, timeout=60)
    time.sleep(1.0)


def wait_for(condition, seconds: float) -> None:
    """Until ``condition()`` holds; a slow machine only makes the demo slower."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"the watcher made no first poll within {seconds:.0f} s")
        time.sleep(0.05)


def show(chat) -> None:
    for message in chat.messages():
        print(f"--- #{message['display_recipient']} > {message['subject']} ({message['sender_email']})")
        print(message["content"])


if __name__ == "__main__":
    main()
