"""wyzepal_notifier: the ground floor every WyzePal integration plugin stands on.

Configuration, the API client (retries, rate limits), safe formatting, the
integration framework, the real-time events API and durable background delivery.

Names are imported on first use: a git hook that only queues a message should
not pay for importing ``requests`` (about 200 ms) at every push.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

_EXPORTS = {
    "APIError": ".errors",
    "ConfigError": ".errors",
    "ConfigNotFound": ".errors",
    "MessageRejected": ".errors",
    "RateLimited": ".errors",
    "ServerUnreachable": ".errors",
    "WyzePalError": ".errors",
    "Client": ".client",
    "RetryPolicy": ".client",
    "Credentials": ".config",
    "Field": ".config",
    "Settings": ".config",
    "load_settings": ".config",
    "load_wyzepalrc": ".config",
    "Configuration": ".integration",
    "Integration": ".integration",
    "IntegrationManager": ".integration",
    "integrations": ".integration",
    "Message": ".message",
}

__all__ = [
    "APIError",
    "Client",
    "ConfigError",
    "ConfigNotFound",
    "Configuration",
    "Credentials",
    "Field",
    "Integration",
    "IntegrationManager",
    "Message",
    "MessageRejected",
    "RateLimited",
    "RetryPolicy",
    "ServerUnreachable",
    "Settings",
    "WyzePalError",
    "__version__",
    "integrations",
    "load_settings",
    "load_wyzepalrc",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .client import Client, RetryPolicy
    from .config import Credentials, Field, Settings, load_settings, load_wyzepalrc
    from .errors import (
        APIError,
        ConfigError,
        ConfigNotFound,
        MessageRejected,
        RateLimited,
        ServerUnreachable,
        WyzePalError,
    )
    from .integration import Configuration, Integration, IntegrationManager, integrations
    from .message import Message
