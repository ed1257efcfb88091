"""An embedded WyzePal-compatible (Zulip REST API) server for development and tests.

A wing of its own: only the CLI and the tests reach it.  Needs ``aiohttp``
(the ``devserver`` extra).  Start with :class:`DevServer`::

    with DevServer(users=["bot@example.com:secret"], streams=["general"]) as server:
        ...  # point a client at server.site
"""

from __future__ import annotations

from .faults import FaultInjector
from .requestlog import RequestRecord
from .runner import DevServer

__all__ = ["DevServer", "FaultInjector", "RequestRecord"]
