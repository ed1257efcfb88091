"""Shared fixtures: a running WyzePal dev server for any test folder.

``devserver`` is a fresh server per test with one bot (``BOT_EMAIL``/``BOT_KEY``)
subscribed to ``general`` and ``ci``; ``devserver_factory(**options)`` makes
more (any ``DevServer`` option, e.g. ``rate_limit=(3, 1.0)``), all stopped at
the end of the test.

Every run also holds the dev server to the Zulip API contract: the session
sets ``WYZEPAL_DEVSERVER_RECORD`` (unless already set), so every dev server of
the run, in this process or a child one, records its API responses; at the end
they are validated against ``tests/openapi``'s spec and any mismatch fails the run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

BOT_EMAIL = "bot@example.com"
BOT_KEY = "x" * 32
BOT_NAME = "Test Bot"
STREAMS = ("general", "ci")
RECORD_ENV = "WYZEPAL_DEVSERVER_RECORD"  # read by wyzepal_notifier.devserver.middleware
_RECORDING = pytest.StashKey[dict]()


def pytest_configure(config):
    """Start recording dev server responses (a temporary file, unless one is given)."""
    given = os.environ.get(RECORD_ENV)
    if given:
        config.stash[_RECORDING] = {"path": Path(given), "owned": False}
        return
    handle, name = tempfile.mkstemp(prefix="wyzepal-devserver-responses-", suffix=".jsonl")
    os.close(handle)
    os.environ[RECORD_ENV] = name
    config.stash[_RECORDING] = {"path": Path(name), "owned": True}


def pytest_sessionfinish(session, exitstatus):
    """Validate every recorded response against the OpenAPI spec; a mismatch fails the run."""
    recording = session.config.stash.get(_RECORDING, None)
    if recording is None:
        return
    from openapi.contract import read_records, validate_records

    recording["report"] = report = validate_records(read_records(recording["path"]))
    if not report.ok and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if recording["owned"]:
        recording["path"].unlink(missing_ok=True)
        os.environ.pop(RECORD_ENV, None)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    report = config.stash.get(_RECORDING, {}).get("report")
    if report is None:
        return
    terminalreporter.write_sep("=", "dev server responses vs. the Zulip OpenAPI spec", red=not report.ok)
    terminalreporter.write_line(report.summary())
    if not report.ok:
        terminalreporter.write_line(report.details(), red=True)


@pytest.fixture
def devserver_factory():
    from wyzepal_notifier.devserver import DevServer  # needs the devserver extra; a missing one is an error

    servers = []

    def make(**options):
        options.setdefault("users", [(BOT_EMAIL, BOT_KEY, BOT_NAME)])
        options.setdefault("streams", list(STREAMS))
        server = DevServer(**options).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def devserver(devserver_factory):
    return devserver_factory()


@pytest.fixture
def devserver_bot():
    """``(email, api_key)`` of the ``devserver`` fixture's bot."""
    return BOT_EMAIL, BOT_KEY
