"""Load a ``wyzepal_<tool>_config.py`` by path, never by import.

Trac imports every ``.py`` in its plugins folder in no fixed order, and a hook's
folder is not on ``sys.path``: executing the file by path works in both.
"""
from __future__ import annotations

import os
import re
import stat
import warnings
from pathlib import Path
from typing import Any

from ..errors import ConfigError, describe_exception, looks_secret, redact, remember_secrets


class InsecureConfigWarning(UserWarning):
    """A config file holding an API key can be read by other users."""


def load_pyfile(path: Path) -> dict[str, Any]:
    """The UPPER_CASE names the file defines (helpers and imports are ignored).

    Whatever the file does while it runs (raise, ``sys.exit()``, a
    ``KeyboardInterrupt``, bytes that are not UTF-8) ends as one ConfigError
    naming the file and line, so no host (a Jenkins build, a Trac request, a
    hook) is ever stopped by its config; no text of it holds the API key.
    """
    source = _source(path)
    namespace: dict[str, Any] = {"__file__": str(path), "__name__": "wyzepal_config"}
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as exc:
        remember_secrets(_assigned_secrets(source))
        raise ConfigError(f"is not valid Python (line {exc.lineno}: {exc.msg})", path=str(path),
                          fix=f"correct the syntax; compare with: {_template_hint(path)}") from None
    with warnings.catch_warnings(record=True) as raised_warnings:
        warnings.simplefilter("always")
        try:
            exec(code, namespace)  # noqa: S102 - a config file is code its owner wrote
        except BaseException as exc:  # noqa: B036 - sys.exit() or Ctrl-C in a config must not stop the host
            remember_secrets(_secrets_in(namespace))
            raise ConfigError(f"raised {describe_exception(exc)} while loading{_line_of(exc, path)}",
                              path=str(path), fix="correct the file; it must only assign settings") from None
    remember_secrets(_secrets_in(namespace))
    for caught in raised_warnings:  # again, without the key
        warnings.warn(redact(str(caught.message)), caught.category, stacklevel=2)
    values = {name: value for name, value in namespace.items() if name.isupper() and not name.startswith("_")}
    warn_if_readable_by_others(path, holds_secret="WYZEPAL_API_KEY" in values)
    return values


def _template_hint(path: Path) -> str:
    """The template command for this file's plugin (from its name), which every install has."""
    match = re.match(r"^wyzepal_(\w+?)_config\.py$", path.name)
    return f"wyzepal-integrations template {match.group(1) if match else 'TOOL'}"


def _source(path: Path) -> str:
    """The file's text; a folder, an unreadable file or bytes that are not UTF-8 are a ConfigError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        what = "is a folder, not a file" if path.is_dir() else f"cannot be read: {exc.strerror}"
        raise ConfigError(what, path=str(path), fix=_read_fix(path)) from None
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # its repr holds the whole file: the key with it
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(f"is not UTF-8 text: line {line}, column {column} has the byte 0x{raw[exc.start]:02x}",
                          path=str(path), fix="save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
    if "\x00" in source:
        line = source.count("\n", 0, source.index("\x00")) + 1
        raise ConfigError(f"contains a NUL byte (line {line}); it is not a text file", path=str(path),
                          fix=f"write it anew with: {_template_hint(path)}") from None
    return source.lstrip("\ufeff")


def _read_fix(path: Path) -> str:
    """Name the user the host runs as: a file readable by root only is the usual cause (see the git README)."""
    try:
        import getpass

        user = getpass.getuser()
    except Exception:  # no user name in this environment
        return "check the path and the file's permissions"
    return (f"this process runs as {user!r}: make the file readable by that user and no one else, "
            f"e.g. chown {user} {path} && chmod 600 {path}")


def _line_of(exc: BaseException, path: Path) -> str:
    """`` (line N)``: the last line of the config file in the traceback, if it is there."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(path):
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" (line {line})" if line else ""


def _secrets_in(namespace: dict[str, Any]) -> list[str]:
    return [value for name, value in namespace.items()
            if issubclass(type(value), str) and isinstance(name, str) and looks_secret(name)]


def _assigned_secrets(source: str) -> list[str]:
    """Key values written literally in a file that does not even compile (its error must not show them)."""
    return re.findall(r"""^\s*\w*(?:KEY|TOKEN|PASSWORD|SECRET)\w*\s*=\s*['"]([^'"\n]+)""", source,
                      re.IGNORECASE | re.MULTILINE)


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
