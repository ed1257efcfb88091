"""Load a ``wyzepal_<tool>_config.py`` by path, never by import.

Trac imports every ``.py`` in its plugins folder in no fixed order, and a hook's
folder is not on ``sys.path``: executing the file by path works in both.
"""
from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path
from typing import Any

from ..errors import ConfigError


class InsecureConfigWarning(UserWarning):
    """A config file holding an API key can be read by other users."""


def load_pyfile(path: Path) -> dict[str, Any]:
    """The UPPER_CASE names the file defines (helpers and imports are ignored)."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot be read: {exc.strerror}", path=str(path),
                          fix="check the path and the file's permissions") from None
    namespace: dict[str, Any] = {"__file__": str(path), "__name__": "wyzepal_config"}
    try:
        code = compile(source, str(path), "exec")
        exec(code, namespace)  # noqa: S102 - a config file is code its owner wrote
    except SyntaxError as exc:
        raise ConfigError(f"is not valid Python (line {exc.lineno}: {exc.msg})", path=str(path),
                          fix="correct the syntax; compare with the template in templates/") from None
    except Exception as exc:  # a config that raises while loading
        raise ConfigError(f"raised {type(exc).__name__} while loading: {exc}", path=str(path),
                          fix="correct the file; it must only assign settings") from None
    values = {name: value for name, value in namespace.items() if name.isupper() and not name.startswith("_")}
    warn_if_readable_by_others(path, holds_secret="WYZEPAL_API_KEY" in values)
    return values


def warn_if_readable_by_others(path: Path, *, holds_secret: bool) -> None:
    if not holds_secret or os.name != "posix":
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IROTH | stat.S_IRGRP) and mode & stat.S_IROTH:
        warnings.warn(
            f"{path} holds an API key and is readable by other users; run: chmod 600 {path}",
            InsecureConfigWarning,
            stacklevel=3,
        )
