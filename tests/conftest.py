"""Shared fixtures: a running WyzePal dev server for any test folder.

``devserver`` is a fresh server per test with one bot (``BOT_EMAIL``/``BOT_KEY``)
subscribed to ``general`` and ``ci``; ``devserver_factory(**options)`` makes
more (any ``DevServer`` option, e.g. ``rate_limit=(3, 1.0)``), all stopped at
the end of the test.
"""

from __future__ import annotations

import pytest

BOT_EMAIL = "bot@example.com"
BOT_KEY = "x" * 32
BOT_NAME = "Test Bot"
STREAMS = ("general", "ci")


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
