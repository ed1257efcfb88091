"""Helpers for the Trac tests: config files pointing at the dev server, a stub Trac with the plugin."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

BOT_EMAIL = "trac-bot@example.com"
BOT_KEY = "t" * 32
STREAMS = ("trac", "security", "release", "docs")


def config_text(site: str, outbox: Path, source: str = "", **settings: Any) -> str:
    """A wyzepal_trac_config.py for the dev server at ``site``; ``source`` is appended as is."""
    values = {"WYZEPAL_SITE": site, "WYZEPAL_USER": BOT_EMAIL, "WYZEPAL_API_KEY": BOT_KEY,
              "STREAM_FOR_NOTIFICATIONS": "trac", "OUTBOX_PATH": str(outbox)}
    values.update(settings)
    return "".join(f"{key} = {value!r}\n" for key, value in values.items() if value is not None) + source


def write_config(path: Path, site: str, source: str = "", **settings: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config_text(site, path.parent / "outbox.sqlite3", source, **settings), encoding="utf-8")
    path.chmod(0o600)
    return path


class StubTrac:
    """A ``trac.test.EnvironmentStub`` with the plugin enabled, and ways to act in it."""

    def __init__(self, path: Path, notifier_class: type, config: Optional[Path] = None,
                 base_url: Optional[str] = "http://trac.example.com/proj", extra: tuple = ()) -> None:
        from trac.test import EnvironmentStub

        options = [("wyzepal", "config", str(config))] if config else []
        self.env = EnvironmentStub(default_data=True, enable=["trac.*", notifier_class, *extra], path=str(path),
                                   config=options)
        if base_url is None:
            self.env.config.remove("trac", "base_url")
        else:
            self.env.config.set("trac", "base_url", base_url)
        self.notifier = self.env[notifier_class]

    def close(self) -> None:
        integration = self.notifier.announcer.integration() if self.notifier else None
        if integration is not None:
            integration.close(1)
        self.env.reset_db()
        self.env.shutdown()

    def flush(self, timeout: float = 10.0) -> bool:
        integration = self.notifier.announcer.integration()
        return integration is not None and integration.outbox.flush(timeout)

    def forget_sent(self, chat: Any) -> None:
        """Deliver what is queued, then forget it on the server: the next check sees only what follows."""
        assert self.flush()
        chat.reset()

    def log(self, level: Optional[str] = None) -> list[str]:
        return [text for lvl, text in self.env.log_messages if level is None or lvl == level]

    # -- acting in Trac --------------------------------------------------------------

    def create_ticket(self, **values: Any):
        from trac.ticket.model import Ticket

        ticket = Ticket(self.env)
        defaults = {"summary": "Crash on save", "reporter": "alice", "description": "It crashes.",
                    "component": "component1", "priority": "major", "type": "defect", "status": "new",
                    "owner": ""}
        ticket.populate({**defaults, **values})
        ticket.insert()
        return ticket

    def change_ticket(self, ticket: Any, author: str = "bob", comment: str = "", **values: Any):
        for name, value in values.items():
            ticket[name] = value
        ticket.save_changes(author, comment)
        return ticket
