"""Fixtures for the Hubot bridge tests: a dev server with a bot and people, bridges to start."""
from __future__ import annotations

import pytest
from hubot_harness import ALICE, BOB, HUBOT, BridgeRun, bridge_env


@pytest.fixture(scope="session", autouse=True)
def dev_server_is_installed():
    """A missing dev server fails these tests instead of skipping them (a skip would count as a pass)."""
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        pytest.fail("the dev server needs aiohttp: pip install '.[devserver,hubot]' (tox -e hubot does)")


@pytest.fixture
def server(devserver_factory):
    """A dev server with the bot ``Hubot``, Alice and Bob, all in ``general`` and ``ci``."""
    return devserver_factory(users=[HUBOT, ALICE, BOB], streams=["general", "ci"], heartbeat_seconds=2)


@pytest.fixture
def start_bridge(server):
    """``start_bridge(*args, cwd=None, **env)``: a running bridge configured by HUBOT_WYZEPAL_* variables."""
    runs = []

    def start(*args: str, cwd=None, env=None, **extra: str) -> BridgeRun:
        run = BridgeRun(env if env is not None else bridge_env(server, **extra), args, cwd=cwd)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.stop()


@pytest.fixture
def bridge(start_bridge):
    """A bridge that has said ``ready``."""
    run = start_bridge()
    run.expect("ready")
    return run
