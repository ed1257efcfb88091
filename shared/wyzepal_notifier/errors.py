"""The project's own exceptions.

Plugins catch :class:`WyzePalError` and nothing lower: errors from ``requests``,
``sqlite3`` or a config file are wrapped here with a message a person can act on.
"""
from __future__ import annotations

import re
import threading
from typing import Any, Iterable, Optional

#: API keys and tokens this process has read from config files or the environment.
#: Every ConfigError's text is cleaned of them, whatever path the text took.
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
#: Shorter values are not secrets worth hiding (and would blank out ordinary words).
_MIN_SECRET = 8
_SECRET_NAME = re.compile(r"(API_KEY|_KEY$|^KEY$|TOKEN|PASSWORD|SECRET)", re.IGNORECASE)
#: Most characters of a message taken from a config's own exception.
MAX_QUOTED = 300


def looks_secret(name: str) -> bool:
    """Whether a setting or variable named ``name`` holds a credential (``WYZEPAL_API_KEY``, ``*_TOKEN``)."""
    return bool(_SECRET_NAME.search(name))


def remember_secrets(values: Iterable[Any]) -> None:
    """Hide these values (strings only) from every error text from now on.

    ``type(v)``, not ``isinstance``: a config's object can make ``isinstance`` raise.
    """
    with _SECRETS_LOCK:
        _SECRETS.update(v.strip() for v in values if issubclass(type(v), str) and len(v.strip()) >= _MIN_SECRET)


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every known secret, and every 8+ character piece of one, shown as ``***``."""
    with _SECRETS_LOCK:
        secrets = set(_SECRETS)
    secrets.update(v for v in extra if issubclass(type(v), str) and len(v) >= _MIN_SECRET)
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
        if len(text) < _MIN_SECRET:
            continue
        for size in range(len(secret) - 1, _MIN_SECRET - 1, -1):  # a key cut short is still a key
            for start in range(len(secret) - size + 1):
                piece = secret[start:start + size]
                if piece in text:
                    text = text.replace(piece, "***")
    return text


def describe_exception(exc: BaseException, limit: int = MAX_QUOTED) -> str:
    """``Type: message`` of any exception, safe to show: its str() may raise, be huge, or hold a key."""
    try:
        said = str(exc)
    except BaseException:  # noqa: B036 - a hostile __str__ (even one raising SystemExit) must not escape
        said = "(its message cannot be shown)"
    said = redact(said)
    if len(said) > limit:
        said = said[:limit] + f"… ({len(said) - limit} more characters)"
    name = type(exc).__name__
    return f"{name}: {said}" if said else name


#: Module a plugin imports -> the extra of wyzepal-integrations that installs it.
EXTRA_OF_MODULE = {"jenkins": "jenkins", "trac": "trac", "pkg_resources": "trac", "aiohttp": "devserver"}


def install_command(extra: str) -> str:
    """The one way this project is installed: from a clone (it is on no package index), or a wheel built there."""
    return (f"python3 -m pip install '.[{extra}]' from the root of a clone of wyzepal-integrations, in the "
            "Python the host runs (on a host without the clone, a wheel built in it: python3 -m pip wheel "
            f"--no-deps -w dist . then python3 -m pip install \"$(echo dist/wyzepal_integrations-*.whl)[{extra}]\")")


def missing_extra(what: str, exc: ImportError) -> str:
    """One line for an ImportError: which extra to install, and how; else what failed to import."""
    module = (exc.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    if extra:
        return f"{what} needs the '{extra}' extra (the module {module} is not installed): {install_command(extra)}"
    return f"{what} could not be imported: {describe_exception(exc)}"


class WyzePalError(Exception):
    """Base of every error this library raises on purpose."""


class ConfigError(WyzePalError):
    """A configuration that cannot be used; says where, what and how to fix it."""

    def __init__(
        self,
        message: str,
        *,
        path: Optional[str] = None,
        key: Optional[str] = None,
        expected: Optional[str] = None,
        fix: Optional[str] = None,
    ) -> None:
        self.path = path
        self.key = key
        self.expected = expected
        self.fix = fix
        self.problem = message
        super().__init__(redact(self._compose()))

    def _compose(self) -> str:
        where = self.path or "configuration"
        if self.key:
            where = f"{where}: {self.key}"
        text = f"{where}: {self.problem}"
        if self.expected:
            text += f" (expected {self.expected})"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class ConfigNotFound(ConfigError):
    """No config file in any of the places searched; lists them all and how to make one.

    ``tool`` names the plugin whose template fits (``wyzepal-integrations template
    TOOL``, which every install has); ``fix`` replaces that advice (a wyzepalrc).
    """

    def __init__(self, filename: str, searched: list[str], *, tool: Optional[str] = None,
                 fix: Optional[str] = None) -> None:
        self.searched = searched
        self.tool = tool
        places = "\n".join(f"  - {place}" for place in searched) or "  (nowhere)"
        if fix is None:
            fix = (f"write one into one of those folders with: wyzepal-integrations template {tool} -o FOLDER, "
                   "then edit it" if tool else "create one in one of those places")
        super().__init__(f"no {filename} found. Looked in:\n{places}", path=filename, fix=fix)


class APIError(WyzePalError):
    """The server answered ``result: error`` (or an HTTP error without a body).

    ``permanent`` says whether sending the same request again can ever succeed:
    a bad key or an unknown channel will not; a 429 or a 5xx may.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "BAD_REQUEST",
        status: Optional[int] = None,
        response: Optional[dict[str, Any]] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.response = response or {}
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        if self.status is None:
            return False
        return 400 <= self.status < 500 and self.status not in (408, 429)


class RateLimited(APIError):
    """A 429 that could not be waited out within the caller's time budget."""


class ServerUnreachable(WyzePalError):
    """Connection refused, reset, timed out or 5xx until the retry budget ran out."""

    permanent = False


class TLSVerificationFailed(ServerUnreachable):
    """The server's TLS certificate was not trusted: trying again cannot help until the config changes."""

    permanent = True


class MessageRejected(WyzePalError):
    """A message refused before sending (empty content, no destination)."""

    permanent = True
