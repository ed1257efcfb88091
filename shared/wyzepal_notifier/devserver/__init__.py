"""An embedded WyzePal-compatible (Zulip REST API) server for development and tests.

A wing of its own: only the CLI and the tests reach it.  Needs ``aiohttp``
(the ``devserver`` extra), imported only when a server class is first used, so
``wyzepal_notifier.devserver.options`` stays importable without it::

    with DevServer(users=["bot@example.com:secret"], streams=["general"]) as server:
        ...  # point a client at server.site
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["DevServer", "FaultInjector", "RequestRecord"]

_HOMES = {"DevServer": "runner", "FaultInjector": "faults", "RequestRecord": "requestlog"}


def __getattr__(name: str) -> Any:
    """Lazy exports (PEP 562): importing the package must not require aiohttp."""
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
