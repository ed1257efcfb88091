"""Fixtures for the Trac plugin: one dev server per module, a stub Trac per test."""
from __future__ import annotations

import pytest
from tracd_rig import TracServer
from tracrig import BOT_EMAIL, BOT_KEY, STREAMS, StubTrac, write_config


@pytest.fixture(scope="module")
def chat():
    """The WyzePal dev server of a module, with the Trac bot and the channels routing uses."""
    from wyzepal_notifier.devserver import DevServer

    server = DevServer(users=[(BOT_EMAIL, BOT_KEY, "Trac Bot")], streams=list(STREAMS)).start()
    yield server
    server.close()


@pytest.fixture
def fresh_chat(chat):
    chat.reset()
    chat.faults.clear()
    return chat


@pytest.fixture
def notifier_class():
    from wyzepal_trac.plugin import WyzePalNotifier

    return WyzePalNotifier


@pytest.fixture
def make_trac(tmp_path, fresh_chat, notifier_class):
    """``make_trac(**settings)``: a stub Trac whose config (in its plugins folder) has those settings."""
    made = []

    def make(source: str = "", base_url="http://trac.example.com/proj", extra=(), **settings) -> StubTrac:
        env_path = tmp_path / f"env{len(made)}"
        write_config(env_path / "plugins" / "wyzepal_trac_config.py", fresh_chat.site, source, **settings)
        trac = StubTrac(env_path, notifier_class, base_url=base_url, extra=extra)
        made.append(trac)
        return trac

    yield make
    for trac in made:
        trac.close()


@pytest.fixture(scope="module")
def tracd(tmp_path_factory, chat):
    """A real tracd per test module, the plugin installed through its entry point."""
    server = TracServer(tmp_path_factory.mktemp("tracd"), chat.site).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(tracd):
    """A logged-in session of the Trac admin."""
    return tracd.login()
