"""Refuse requests a web page could forge: a foreign ``Host`` (DNS rebinding) or ``Origin``.

The control endpoints need no credentials and the API answers any browser that
knows a key, so a page open in the user's browser could otherwise create users
or post as anyone.  Only names of the addresses the server listens on pass
(loopback names and IPs, the bound address, the machine's names when bound to
all interfaces, plus any ``allowed_hosts``), with the bound port.  A request
without ``Origin`` (curl, Python clients, the bots) is fine; the API keeps its
own authentication either way.
"""

from __future__ import annotations

import socket
from typing import Awaitable, Callable, FrozenSet, Iterable, Optional, Tuple
from urllib.parse import urlsplit

from aiohttp import web

from .responses import json_error

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "localhost.localdomain"})
WILDCARDS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - names of a wildcard bind, not a bind


def machine_names() -> FrozenSet[str]:
    """This machine's host names and the addresses they resolve to (for a wildcard bind)."""
    names = {socket.gethostname(), socket.getfqdn()}
    for name in list(names):
        try:
            names.update(socket.gethostbyname_ex(name)[2])
        except OSError:
            continue
    names.add(_outgoing_address())
    return frozenset(n.lower() for n in names if n)


def _outgoing_address() -> str:
    """The address other machines most likely reach this one at (a UDP "connect" sends nothing)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        return str(probe.getsockname()[0])
    except OSError:
        return ""
    finally:
        probe.close()


def allowed_names(bind_host: str, extra: Iterable[str] = ()) -> FrozenSet[str]:
    """Host names a request may carry for a server bound to ``bind_host``."""
    names = set(LOOPBACK_NAMES) | {h.strip().lower().strip("[]") for h in extra if h.strip()}
    host = bind_host.strip().lower().strip("[]")
    if host in WILDCARDS:
        names |= machine_names()
    else:
        names.add(host)
    return frozenset(names)


def split_host(value: str) -> Tuple[str, Optional[int]]:
    """``"name:port"``/``"[::1]:port"`` → ``(name, port)``; port None when absent or malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif value.count(":") == 1:
        name, _, port = value.partition(":")
    else:
        name, port = value, ""
    return name, int(port) if port.isdigit() else None


class HostGuard:
    """Holds the allowed names; the port is read per request (``port=0`` binds late)."""

    def __init__(self, bind_host: str, port_of: Callable[[], int], extra: Iterable[str] = ()) -> None:
        self.names = allowed_names(bind_host, extra)
        self.port_of = port_of

    def _host_ok(self, name: str, port: Optional[int], default_port: int) -> bool:
        return name in self.names and (port if port is not None else default_port) == self.port_of()

    def refusal(self, request: web.Request) -> Optional[web.Response]:
        """The 403 for a forged request, or None when it may pass."""
        host_header = request.headers.get("Host", "")
        name, port = split_host(host_header)
        if not self._host_ok(name, port, 80):
            return json_error(
                f"Host '{host_header}' is not an address this dev server listens on (it answers"
                f" {self._expected()}); refusing, as a DNS-rebinding page would send it.",
                "BAD_HOST",
                403,
            )
        origin = request.headers.get("Origin")
        if origin is not None and not self._origin_ok(origin):
            return json_error(
                f"Cross-site request refused: Origin '{origin}' is not this dev server ({self._expected()}).",
                "CSRF_FAILED",
                403,
            )
        return None

    def _origin_ok(self, origin: str) -> bool:
        parts = urlsplit(origin.strip())
        if parts.scheme != "http" or not parts.hostname:
            return False
        try:
            port = parts.port
        except ValueError:
            return False
        return self._host_ok(parts.hostname.lower(), port, 80)

    def _expected(self) -> str:
        shown = sorted(self.names)[:4]
        return ", ".join(f"{n}:{self.port_of()}" for n in shown) + (", ..." if len(self.names) > 4 else "")

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Outermost middleware: forged requests never reach the API or the controls."""
        refused = self.refusal(request)
        if refused is not None:
            return refused
        return await handler(request)
