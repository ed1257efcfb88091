"""Where an environment's messages wait: a spool of its own, and the shared one of older versions.

Each Trac environment keeps its spool in its own ``db/`` folder, beside
``trac.db`` and the held events, so the admin panel of one environment never
counts or retries another's messages. ``OUTBOX_PATH`` in the config file (or
``$WYZEPAL_OUTBOX``) still chooses another place.

Older versions spooled every environment of a system user into one shared file
(``~/.local/state/wyzepal-integrations/trac-outbox.sqlite3``). Nothing is moved
out of it: when it still holds undelivered messages of this environment's bot,
the plugin keeps delivering them from there and the admin panel says so.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from wyzepal_notifier.config.credentials import Credentials
from wyzepal_notifier.outbox import Spool, default_outbox_path

TOOL = "trac"
#: The environment's own spool, in the folder where Trac keeps its SQLite database.
ENV_SPOOL = Path("db") / "wyzepal-outbox.sqlite3"

log = logging.getLogger("wyzepal_notifier.trac")


def env_spool(env_path: str) -> Path:
    """The default of ``OUTBOX_PATH`` for this environment (``$WYZEPAL_OUTBOX`` and the config file win)."""
    return Path(env_path) / ENV_SPOOL


def shared_spool_path(config_path: str, environ: Optional[Mapping[str, str]] = None) -> Path:
    """The spool older versions used when ``OUTBOX_PATH`` was not set."""
    return default_outbox_path(TOOL, config_path=config_path, env=environ)


def waiting_for(path: Path, credentials: Credentials) -> int:
    """Undelivered (pending) messages of this bot in the spool at ``path``; 0 when there is no such file."""
    if not path.is_file():
        return 0
    spool = Spool(path, create=False)
    try:
        with spool.transaction() as db:
            row = db.execute("SELECT COUNT(*) FROM messages m JOIN senders s ON s.id = m.sender_id "
                             "WHERE m.state = 'pending' AND s.site = ? AND s.email = ?",
                             (credentials.site, credentials.email)).fetchone()
        return int(row[0])
    finally:
        spool.close()


@dataclass
class SharedSpool:
    """The old shared spool this environment still drains (its own outbox delivers from there)."""

    path: Path
    credentials: Credentials
    outbox: Any

    def waiting(self) -> int:
        try:
            return waiting_for(self.path, self.credentials)
        except Exception as exc:  # shown in the admin panel, never an error page
            log.warning("cannot read the old shared spool %s: %s", self.path, exc)
            return -1

    def close(self, timeout: float = 0) -> None:
        self.outbox.close(timeout)


def drain_shared_spool(own: Path, config_path: str, credentials: Credentials, open_outbox: Callable[[Path], Any],
                       environ: Optional[Mapping[str, str]] = None) -> Optional[SharedSpool]:
    """An outbox on the old shared spool (its delivery started) when it holds undelivered messages of this
    bot, else None."""
    shared = shared_spool_path(config_path, environ)
    if shared.resolve() == own.resolve():
        return None
    try:
        waiting = waiting_for(shared, credentials)
    except Exception as exc:
        log.warning("cannot read the old shared spool %s (%s); messages left there are not delivered by this "
                    "environment: 'wyzepal-integrations outbox flush --outbox %s' delivers them", shared, exc, shared)
        return None
    if not waiting:
        return None
    log.info("%d message(s) of %s still wait in the old shared spool %s; delivering them from there "
             "(new ones go to %s)", waiting, credentials.email, shared, own)
    outbox = open_outbox(shared)
    outbox.ensure_worker()
    return SharedSpool(shared, credentials, outbox)


def retry_dead(outbox: Any, credentials: Credentials, client_name: str, client_version: str) -> int:
    """Queue the environment's dead messages again, as the bot of the config in use now; returns how many."""
    spool = Spool(outbox.path)
    try:
        sender_id = spool.save_sender(credentials, client_name, client_version)
        count = spool.requeue_dead(sender_id=sender_id)
    finally:
        spool.close()
    return count
