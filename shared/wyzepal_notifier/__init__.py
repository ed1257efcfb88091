"""wyzepal_notifier: the ground floor every WyzePal integration plugin stands on.

Configuration, the API client (retries, rate limits), safe formatting, the
integration framework, the real-time events API and durable background delivery.
"""
from .client import Client, RetryPolicy
from .config import Credentials, Field, Settings, load_settings, load_wyzepalrc
from .errors import APIError, ConfigError, ConfigNotFound, MessageRejected, RateLimited, ServerUnreachable, WyzePalError
from .integration import Configuration, Integration, IntegrationManager, integrations
from .message import Message
from .version import __version__

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
