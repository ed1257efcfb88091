"""Where a spool lives when nobody says, and whether the site's shared outbox replaces it.

The first of these wins:

1. a path given by the caller (``--outbox PATH``, ``Outbox(path)``);
2. ``$WYZEPAL_OUTBOX``;
3. the ``OUTBOX_PATH`` config key (relative to the config file's folder);
4. ``$XDG_STATE_HOME/wyzepal-integrations/<tool>-outbox.sqlite3`` when that is set and writable;
5. ``~/.local/state/wyzepal-integrations/<tool>-outbox.sqlite3`` when ``HOME`` is set and writable;
6. ``.wyzepal_<tool>_outbox.sqlite3`` beside the config file, when that folder is writable;
7. ``<tempdir>/wyzepal-integrations-<uid>/<tool>-outbox.sqlite3``, a folder only this user may enter.

Daemons often run without ``HOME`` (tracd under a service manager, a hook run by
``svnserve``), which is why the list does not stop at 5.

``OUTBOX_URL`` (or ``$WYZEPAL_OUTBOX_URL``) names a shared outbox on Redis instead
(``outbox.shared``); asked here so a hook without one never imports the Redis code.
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, TypeVar

from ..errors import ConfigError

log = logging.getLogger("wyzepal_notifier.outbox")
T = TypeVar("T")
ENV_VAR = "WYZEPAL_OUTBOX"
URL_ENV = "WYZEPAL_OUTBOX_URL"
STATE_FOLDER = "wyzepal-integrations"


def shared_url(settings: Any) -> Optional[str]:
    """The Redis URL of a plugin's config (``OUTBOX_URL``) or of the environment; None: the local spool."""
    url = settings.get("OUTBOX_URL") if settings is not None else None
    return str(url or os.environ.get(URL_ENV) or "") or None


def spool_filename(tool: str) -> str:
    return f"{tool}-outbox.sqlite3"


def default_outbox_path(
    tool: str,
    *,
    explicit: Optional[str] = None,
    configured: Optional[str] = None,
    config_path: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
) -> Path:
    """The spool of ``tool`` by the order in this module's docstring."""
    env = os.environ if env is None else env
    for chosen in (explicit, env.get(ENV_VAR)):
        if chosen:
            return Path(chosen).expanduser()
    config_dir = _config_dir(config_path)
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_absolute() or config_dir is None else config_dir / path
    for state_dir in _state_dirs(env):
        if _usable_dir(state_dir):
            return state_dir / STATE_FOLDER / spool_filename(tool)
    if config_dir is not None and os.access(config_dir, os.W_OK | os.X_OK):
        return config_dir / f".wyzepal_{tool}_outbox.sqlite3"
    return private_temp_dir() / spool_filename(tool)


def _config_dir(config_path: Optional[str]) -> Optional[Path]:
    if not config_path or config_path.startswith("<"):
        return None  # "<settings>": values that did not come from a file
    return Path(config_path).expanduser().resolve().parent


def _state_dirs(env: Mapping[str, str]) -> list[Path]:
    dirs = []
    if env.get("XDG_STATE_HOME"):
        dirs.append(Path(env["XDG_STATE_HOME"]))
    if env.get("HOME"):
        dirs.append(Path(env["HOME"]) / ".local" / "state")
    return dirs


def _usable_dir(folder: Path) -> bool:
    """The folder exists and is writable, or can be created under a writable ancestor."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            return False
        probe = probe.parent
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)


def private_temp_dir() -> Path:
    """``<tempdir>/wyzepal-integrations-<uid>``, refusing one another user planted."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    import tempfile  # only for the fallback spool: not on every hook run

    folder = Path(tempfile.gettempdir()) / f"{STATE_FOLDER}-{uid}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if hasattr(os, "getuid") and (not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o077):
        raise ConfigError(f"is not a private folder of this user (owner uid {info.st_uid}, "
                          f"mode {stat.filemode(info.st_mode)})", path=str(folder), key="OUTBOX_PATH",
                          fix=f"set OUTBOX_PATH or ${ENV_VAR} to a file in a folder only you can write")
    return folder


def open_with_fallback(tool: str, path: os.PathLike | str, open_at: Callable[[Path], T]) -> T:
    """Open the spool at ``path``; if that place is unusable, a private one in the temp dir.

    A misconfigured OUTBOX_PATH must not cost the host its notifications: the
    warning says where they went instead. A damaged spool is salvaged first
    (``outbox.salvage``): its readable rows go into a fresh one at the same path.
    """
    from .salvage import open_salvaged

    try:
        return open_salvaged(path, open_at)  # a damaged spool: what can be read kept in a fresh one, said
    except ConfigError as exc:
        fallback = private_temp_dir() / spool_filename(tool)
        if Path(path) == fallback:
            raise
        log.warning("%s; using %s instead so no message is lost", exc, fallback)
        return open_at(fallback)
