"""The demo runs end to end: simulator, dev server, watcher and chat commands together."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_shows_notifications_and_a_chat_started_build():
    """As the README says: ``python -m devtools.jenkins_simulator.demo`` in the top folder of a clone."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": os.pathsep.join(p for p in sys.path if p != str(ROOT)),
           "WYZEPAL_DEVSERVER_RECORD": os.environ["WYZEPAL_DEVSERVER_RECORD"]}  # tests/conftest.py checks it
    done = subprocess.run([sys.executable, "-m", "devtools.jenkins_simulator.demo"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "**is still failing** (3 builds in a row" in out and "**is back to normal**" in out
    assert "Queued [web/deploy-web](" in out and "finished: **SUCCESS**" in out
    assert "Sorry, that job cannot be started from chat (it is not in BUILD_JOBS)." in out
    assert "**is waiting for input**: Deploy to production?" in out
    assert ":check: Approved Deploy to production? of [web/app #6](" in out and "with `REGION=us`" in out
    assert "**Console** (last 2 lines)" in out
