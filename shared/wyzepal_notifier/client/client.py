"""The WyzePal REST client: one Session, sane timeouts, retries and rate limits.

Modelled on requests' Session: a small public API with documented defaults, the
lower library's errors wrapped in the project's own (``wyzepal_notifier.errors``).
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable, Iterable, Mapping, Optional, Union

import requests

from ..config.credentials import Credentials
from ..errors import APIError, RateLimited, ServerUnreachable
from ..message import Message
from ..version import __version__
from .retry import RateLimitGate, RetryPolicy, retry_after_seconds
from .site import api_base_url, normalize_site
from .useragent import user_agent

log = logging.getLogger("wyzepal_notifier.client")

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
#: Long polls wait up to a heartbeat (about 50 s) on the server; read for longer.
LONG_POLL_READ_TIMEOUT = 90.0
DEFAULT_RETRY = RetryPolicy()


class Client:
    """Talks to one WyzePal server as one user (usually a bot).

    Defaults: TLS verified, connect timeout 5 s, read timeout 30 s, retries with
    backoff for up to 60 s per call, 429s waited out as the server asks.
    """

    def __init__(
        self,
        site: str,
        email: str,
        api_key: str,
        *,
        client_name: str = "WyzePalIntegrations",
        client_version: str = __version__,
        insecure: bool = False,
        cert_bundle: Optional[str] = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.site = normalize_site(site)
        self.base_url = api_base_url(self.site)
        self.email = email
        self.retry = retry
        self.timeout = (connect_timeout, read_timeout)
        self._sleep = sleep
        self._gate = RateLimitGate()
        self.session = requests.Session()
        self.session.auth = (email, api_key)
        self.session.verify = False if insecure else (cert_bundle or True)
        self.session.headers["User-Agent"] = user_agent(client_name, client_version)

    @classmethod
    def from_credentials(cls, credentials: Credentials, **options: Any) -> Client:
        return cls(credentials.site, credentials.email, credentials.api_key,
                   insecure=credentials.insecure, cert_bundle=credentials.cert_bundle, **options)

    def __repr__(self) -> str:
        return f"Client(site={self.site!r}, email={self.email!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the API ---------------------------------------------------------------

    def send_message(self, message: Union[Message, Mapping[str, Any]], **options: Any) -> dict[str, Any]:
        """Send a channel or direct message; returns the server's answer with ``id``."""
        params = message.to_params() if isinstance(message, Message) else dict(message)
        return self.call("POST", "messages", params, **options)

    def get_profile(self) -> dict[str, Any]:
        return self.call("GET", "users/me")

    def get_streams(self) -> list[dict[str, Any]]:
        return self.call("GET", "streams")["streams"]

    def get_subscriptions(self) -> list[dict[str, Any]]:
        return self.call("GET", "users/me/subscriptions")["subscriptions"]

    def add_subscriptions(self, names: Iterable[str]) -> dict[str, Any]:
        return self.call("POST", "users/me/subscriptions", {"subscriptions": [{"name": n} for n in names]})

    def get_server_settings(self) -> dict[str, Any]:
        return self.call("GET", "server_settings")

    def get_messages(self, *, anchor: Union[int, str] = "newest", num_before: int = 100, num_after: int = 0,
                     narrow: Optional[list] = None, **options: Any) -> dict[str, Any]:
        params = {"anchor": anchor, "num_before": num_before, "num_after": num_after, "narrow": narrow or [],
                  "apply_markdown": False}
        return self.call("GET", "messages", params, **options)

    def register(self, *, event_types: Optional[list[str]] = None, narrow: Optional[list] = None,
                 all_public_streams: bool = False, **options: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"all_public_streams": all_public_streams, "apply_markdown": False}
        if event_types is not None:
            params["event_types"] = event_types
        if narrow:
            params["narrow"] = narrow
        return self.call("POST", "register", params, **options)

    def get_events(self, queue_id: str, last_event_id: int, *, dont_block: bool = False,
                   **options: Any) -> dict[str, Any]:
        options.setdefault("timeout", (self.timeout[0], LONG_POLL_READ_TIMEOUT))
        params = {"queue_id": queue_id, "last_event_id": last_event_id, "dont_block": dont_block}
        return self.call("GET", "events", params, **options)

    def deregister(self, queue_id: str, **options: Any) -> dict[str, Any]:
        return self.call("DELETE", "events", {"queue_id": queue_id}, **options)

    # -- the mechanism ---------------------------------------------------------

    def call(self, method: str, endpoint: str, params: Optional[Mapping[str, Any]] = None, *,
             retry: Optional[RetryPolicy] = None, timeout: Optional[tuple[float, float]] = None) -> dict[str, Any]:
        """One API call, retried per ``retry`` (the client's policy by default).

        Raises APIError for an error the server stated (``permanent`` for 4xx),
        RateLimited when a 429's wait would outlast the budget, ServerUnreachable
        when the server stayed down, timed out or answered 5xx until the budget ran out.
        """
        policy = self.retry if retry is None else retry
        deadline = time.monotonic() + policy.budget
        url = f"{self.base_url}/{endpoint.strip('/')}"
        data = _encode(params or {})
        attempt = 0
        while True:
            self._wait_for_rate_limit(deadline, endpoint)
            try:
                response = self.session.request(method, url, params=data if method in ("GET", "DELETE") else None,
                                                data=data if method not in ("GET", "DELETE") else None,
                                                timeout=timeout or self.timeout)
            except requests.RequestException as exc:
                error: Exception = ServerUnreachable(f"{self.site} could not be reached ({_describe(exc)})")
            else:
                self._gate.observe(response.headers)
                if response.status_code == 429:
                    self._wait_out_429(response, deadline, endpoint)
                    continue
                if response.status_code < 500:
                    return self._result(response, endpoint)
                error = ServerUnreachable(f"{self.site} answered HTTP {response.status_code} to {method} /{endpoint}")
            delay = policy.backoff(attempt)
            if time.monotonic() + delay > deadline:
                raise error
            log.info("%s; retrying in %.1f s", error, delay)
            self._sleep(delay)
            attempt += 1

    def _wait_for_rate_limit(self, deadline: float, endpoint: str) -> None:
        wait = self._gate.wait_needed()
        if wait <= 0:
            return
        if time.monotonic() + wait > deadline:
            raise RateLimited(f"{self.site} asked to wait {wait:.0f} s before /{endpoint}",
                              code="RATE_LIMIT_HIT", status=429, retry_after=wait)
        log.info("rate limit reached; waiting %.1f s for the reset", wait)
        self._sleep(wait)

    def _wait_out_429(self, response: requests.Response, deadline: float, endpoint: str) -> None:
        body = _json_or_empty(response)
        wait = retry_after_seconds(response.headers, body)
        self._gate.hold_until(time.time() + wait)
        if time.monotonic() + wait > deadline:
            raise RateLimited(f"{self.site} is rate-limiting {self.email}; retry after {wait:.0f} s",
                              code=body.get("code", "RATE_LIMIT_HIT"), status=429, response=body, retry_after=wait)
        log.info("rate limited on /%s; waiting %.1f s as the server asks", endpoint, wait)
        self._sleep(wait)

    def _result(self, response: requests.Response, endpoint: str) -> dict[str, Any]:
        body = _json_or_empty(response)
        if response.status_code < 400 and body.get("result", "success") == "success" and body:
            return body
        code = body.get("code") or ("UNAUTHORIZED" if response.status_code == 401 else "BAD_REQUEST")
        raise APIError(self._explain(code, body, response.status_code, endpoint), code=code,
                       status=response.status_code, response=body)

    def _explain(self, code: str, body: Mapping[str, Any], status: int, endpoint: str) -> str:
        said = body.get("msg") or f"HTTP {status}"
        if code in ("UNAUTHORIZED", "INVALID_API_KEY") or status == 401:
            return (f"the API key of {self.email} was rejected by {self.site} ({said}); "
                    "check WYZEPAL_USER and WYZEPAL_API_KEY")
        if code == "STREAM_DOES_NOT_EXIST":
            name = body.get("stream", "")
            return (f"channel {name!r} does not exist on {self.site}; create it or subscribe "
                    f"{self.email} to it, or fix the channel in the config")
        if code in ("USER_DEACTIVATED", "REALM_DEACTIVATED"):
            return f"{self.email} cannot act on {self.site}: {said}"
        return f"{self.site} refused /{endpoint}: {said} ({code})"


def _encode(params: Mapping[str, Any]) -> dict[str, str]:
    """Form encoding as the API wants it: JSON for lists, dicts and booleans."""
    encoded = {}
    for key, value in params.items():
        if isinstance(value, (list, dict, bool)):
            encoded[key] = json.dumps(value)
        else:
            encoded[key] = str(value)
    return encoded


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _describe(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS certificate could not be verified; set WYZEPAL_CERT_BUNDLE for a private CA"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return type(exc).__name__
