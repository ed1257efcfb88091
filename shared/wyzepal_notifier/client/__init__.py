"""The WyzePal REST client.

``Client`` is imported on first use (it pulls in ``requests``); the retry policy
and site helpers are light and imported at once.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .retry import DEFAULT_MAX_RETRY_AFTER, NO_RETRY, RetryPolicy
from .rules import RealmRules
from .site import normalize_site
from .useragent import user_agent

__all__ = ["DEFAULT_MAX_RETRY_AFTER", "NO_RETRY", "Client", "RealmRules", "RetryPolicy", "normalize_site",
           "user_agent"]


def __getattr__(name: str) -> Any:
    if name == "Client":
        from .client import Client

        return Client
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:  # pragma: no cover
    from .client import Client
