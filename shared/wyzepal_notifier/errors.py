"""The project's own exceptions.

Plugins catch :class:`WyzePalError` and nothing lower: errors from ``requests``,
``sqlite3`` or a config file are wrapped here with a message a person can act on.
"""
from __future__ import annotations

from typing import Any, Optional


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
        super().__init__(self._compose())

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
