"""From event to outbox: the current config's integration, or the held-events file.

One integration per config file and Trac environment per process (each
environment has its own spool), reused across Trac's reloads of trac.ini; a new
one when the file or trac.ini's ``[wyzepal]`` switches change (the old one's
worker stops, its undelivered messages stay in the spool).
"""
from __future__ import annotations

import logging
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from wyzepal_notifier.errors import ConfigError, ConfigNotFound

from ..integration import TracIntegration
from .config_file import file_stamp
from .held_events import HeldEvents

#: While events are held, how often the config is tried again (a stat of the file, mostly).
RETRY_SECONDS = 2.0
#: Seconds an integration replaced by an edited config file keeps its worker.
RETIRE_AFTER = 10.0

_LOADED: dict[tuple[str, str], tuple[tuple, TracIntegration]] = {}
_LOADED_LOCK = threading.Lock()


def load_cached(path: Path, log: logging.Logger, env_path: str = "",
                ini_defaults: Optional[Mapping[str, Any]] = None) -> tuple[TracIntegration, bool]:
    """The integration of ``path`` for the environment at ``env_path`` and whether it was (re)loaded just now."""
    ini_defaults = dict(ini_defaults or {})
    try:
        stamp = (*file_stamp(path), tuple(sorted(ini_defaults.items())))
    except OSError as exc:
        raise ConfigError(f"cannot be read: {exc.strerror}", path=str(path),
                          fix="check the file and its permissions") from None
    key = (str(path), env_path)
    with _LOADED_LOCK:
        cached = _LOADED.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1], False
        integration = _load(path, log, env_path, ini_defaults)
        _LOADED[key] = (stamp, integration)
    if cached is not None:
        _retire(cached[1])
    log.info("WyzePal: using %s (channel %s)", path, integration.settings["STREAM_FOR_NOTIFICATIONS"])
    return integration, True


def _retire(old: TracIntegration) -> None:
    """Stop the old worker once requests still holding the old integration are done with it.

    Its undelivered messages stay in the spool, where the new worker finds them.
    """
    timer = threading.Timer(RETIRE_AFTER, old.close, args=(0,))
    timer.daemon = True
    timer.start()


def _load(path: Path, log: logging.Logger, env_path: str, ini_defaults: Mapping[str, Any]) -> TracIntegration:
    """Load with the file's warnings (unknown keys, a readable key) sent to Trac's log."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        integration = TracIntegration.for_environment(path, env_path, ini_defaults)
    for warning in caught:
        log.warning("WyzePal: %s", warning.message)
    return integration


class Announcer:
    """Announces events with the current config; holds them while it is broken.

    With no config file at all the plugin is not set up yet: events are dropped
    (logged once), as a flood of old news when someone configures it would be worse.
    """

    def __init__(self, locate: Callable[[], Path], held: HeldEvents, log: logging.Logger, env_path: str = "",
                 ini_defaults: Callable[[], Mapping[str, Any]] = dict) -> None:
        self.locate = locate
        self.env_path = env_path
        self.ini_defaults = ini_defaults
        self.held = held
        self.log = log
        self.problem: Optional[str] = None
        self.not_set_up = False
        self._retry: Optional[threading.Thread] = None
        self._retry_lock = threading.Lock()

    def announce(self, event: Mapping[str, Any]) -> None:
        integration = self.integration()
        if integration is not None:
            integration.announce(event)
        elif not self.not_set_up:
            self.held.hold(event)
            self.log.info("WyzePal: %s event held until the config is fixed", event.get("type"))
            self._retry_in_background()

    def integration(self) -> Optional[TracIntegration]:
        """The loaded integration, or None with the problem logged (once) and kept in ``problem``."""
        try:
            integration, fresh = load_cached(self.locate(), self.log, self.env_path, self.ini_defaults())
        except ConfigNotFound as exc:
            self.not_set_up = True
            return self._unusable(str(exc), "WyzePal notifications are off until a config file exists: %s")
        except ConfigError as exc:
            self.not_set_up = False
            return self._unusable(str(exc))
        except Exception as exc:  # a bug while loading: hold the events all the same
            self.log.exception("WyzePal: loading the config failed")
            return self._unusable(f"loading the config failed: {exc!r}")
        if fresh or self.problem:
            self.problem, self.not_set_up = None, False
            released = self.held.release(integration.announce)
            if released:
                self.log.info("WyzePal: announced %d event(s) held while the config was broken", released)
        return integration

    def _unusable(self, problem: str, how: str = "WyzePal notifications are held back: %s") -> None:
        if problem != self.problem:
            self.log.error(how, problem)
        self.problem = problem
        return None

    def _retry_in_background(self) -> None:
        """Announce the held events soon after the config is fixed, even if Trac is idle then."""
        with self._retry_lock:
            if self._retry is not None and self._retry.is_alive():
                return
            self._retry = threading.Thread(target=self._retry_until_loaded, name="wyzepal-trac-config", daemon=True)
            self._retry.start()

    def _retry_until_loaded(self) -> None:
        while self.problem is not None and not self.not_set_up:
            time.sleep(RETRY_SECONDS)
            try:
                self.integration()
            except Exception:  # never let the thread die with events still held
                self.log.exception("WyzePal: retrying the config failed")
