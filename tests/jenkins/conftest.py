"""Fixtures: a Jenkins simulator on loopback, a config file pointing at it and the dev server."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

#: The simulator is a development tool in ``devtools/`` at the top of the clone, not in the installed package.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from jenkinsrig import ALICE, READER  # noqa: E402

from devtools.jenkins_simulator import JenkinsSimulator  # noqa: E402


@pytest.fixture
def jenkins_sim():
    sim = JenkinsSimulator()
    sim.jenkins.add_user(READER[0], "WyzePal Bot", token=READER[1], can_build=False)
    sim.jenkins.add_user(ALICE[0], "Alice Liddell", token=ALICE[1], email="alice@example.com")
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def write_config(tmp_path, devserver, devserver_bot, jenkins_sim):
    """``write_config(**settings)`` writes wyzepal_jenkins_config.py and returns its path."""

    def write(name: str = "wyzepal_jenkins_config.py", source: str = "", **settings: Any) -> Path:
        values = {
            "WYZEPAL_SITE": devserver.site, "WYZEPAL_USER": devserver_bot[0], "WYZEPAL_API_KEY": devserver_bot[1],
            "STREAM_FOR_NOTIFICATIONS": "ci", "JENKINS_URL": jenkins_sim.url, "JENKINS_USER": READER[0],
            "JENKINS_API_TOKEN": READER[1], "OUTBOX_PATH": str(tmp_path / "outbox.sqlite3"),
            "STATE_PATH": str(tmp_path / "state.json"),
        }
        values.update(settings)
        values = {key: value for key, value in values.items() if value is not None}
        path = tmp_path / name
        text = "".join(f"{key} = {value!r}\n" for key, value in values.items()) + source
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        return path

    return write
