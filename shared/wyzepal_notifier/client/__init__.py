"""The WyzePal REST client."""
from .client import Client
from .retry import NO_RETRY, RetryPolicy
from .site import normalize_site
from .useragent import user_agent

__all__ = ["NO_RETRY", "Client", "RetryPolicy", "normalize_site", "user_agent"]
