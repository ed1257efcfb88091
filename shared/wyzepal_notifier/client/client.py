"""The WyzePal REST client: one Session, sane timeouts, retries and rate limits.

Modelled on requests' Session: a small public API with documented defaults, the
lower library's errors wrapped in the project's own (``wyzepal_notifier.errors``).
"""
from __future__ import annotations

import json
import logging
import os
import ssl
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Optional, Union

import requests

from ..config.credentials import Credentials
from ..errors import APIError, RateLimited, ServerUnreachable, TLSVerificationFailed, WyzePalError
from ..message import Message
from ..version import __version__
from .retry import NO_RETRY, RateLimitGate, RetryPolicy, retry_after_seconds
from .site import api_base_url, normalize_site
from .useragent import user_agent

log = logging.getLogger("wyzepal_notifier.client")

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
#: Long polls wait up to a heartbeat (about 50 s) on the server; read for longer.
LONG_POLL_READ_TIMEOUT = 90.0
DEFAULT_RETRY = RetryPolicy()
#: What ``get_realm_settings`` asks ``POST /register`` for: the realm's rules and its groups.
REALM_FETCH_TYPES = ["realm", "realm_user_groups"]

if TYPE_CHECKING:  # pragma: no cover
    from .rules import RealmRules


class Client:
    """Talks to one WyzePal server as one user (usually a bot).

    Defaults: TLS verified, connect timeout 5 s, read timeout 30 s, retries with
    backoff for up to 60 s per call, 429s waited out as the server asks (but never
    longer than ``max_retry_after``, an hour unless set here or on the policy).

    ``cert_bundle`` is used for every request, whatever ``REQUESTS_CA_BUNDLE`` or
    ``CURL_CA_BUNDLE`` say (requests would let those win over a session's
    ``verify``); without one, those variables are used as requests uses them.
    Proxies (``HTTPS_PROXY``, ``NO_PROXY``...) still come from the environment.
    The environment is read when the client is made, not at every request.
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
        max_retry_after: Optional[float] = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.site = normalize_site(site)
        self.base_url = api_base_url(self.site)
        self.email = email
        self.retry = retry
        #: The longest ``Retry-After`` this client believes (``outbox status`` shows it).
        self.max_retry_after = retry.max_retry_after if max_retry_after is None else float(max_retry_after)
        self.timeout = (connect_timeout, read_timeout)
        self._sleep = sleep
        #: Shared by every client of one bot in a process (the outbox's threads), so all wait for one reset.
        self.rate_gate = RateLimitGate(self.max_retry_after)
        #: How many 429 answers this client met (the outbox's hourly figures count them).
        self.answers_429 = 0
        self.session = requests.Session()
        self.session.auth = (email, api_key)
        self.session.verify = False if insecure else (cert_bundle or True)
        # The environment is read once, here, as requests would read it (proxies and NO_PROXY
        # for this site, then REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE unless a bundle is configured):
        # per request that costs more than the rest of a long poll's work on our side.
        self.session.trust_env = False
        self.session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        #: Passed with every request: the configured bundle, else the environment's, else the system's.
        self.verify: Union[bool, str] = self.session.verify if self.session.verify is not True else _env_ca_bundle()
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

    def update_message(self, message_id: int, *, content: Optional[str] = None, topic: Optional[str] = None,
                       propagate_mode: Optional[str] = None,
                       send_notification_to_old_thread: Optional[bool] = None,
                       send_notification_to_new_thread: Optional[bool] = None, **options: Any) -> dict[str, Any]:
        """Edit a message's content and/or move it (and, per ``propagate_mode``, its topic) to ``topic``.

        Left-out arguments are not sent, so the server's defaults apply. The server's
        refusals (edit time limit, no permission) are :class:`APIError` with its ``code``.
        """
        params = _given(content=content, topic=topic, propagate_mode=propagate_mode,
                        send_notification_to_old_thread=send_notification_to_old_thread,
                        send_notification_to_new_thread=send_notification_to_new_thread)
        return self.call("PATCH", f"messages/{int(message_id)}", params, **options)

    def add_reaction(self, message_id: int, emoji_name: str, *, emoji_code: Optional[str] = None,
                     reaction_type: Optional[str] = None, **options: Any) -> dict[str, Any]:
        """React to a message; ``REACTION_ALREADY_EXISTS`` (an APIError) when the bot already did."""
        params = _given(emoji_name=emoji_name, emoji_code=emoji_code, reaction_type=reaction_type)
        return self.call("POST", f"messages/{int(message_id)}/reactions", params, **options)

    def remove_reaction(self, message_id: int, emoji_name: str, *, emoji_code: Optional[str] = None,
                        reaction_type: Optional[str] = None, **options: Any) -> dict[str, Any]:
        """Take the bot's reaction back; ``REACTION_DOES_NOT_EXIST`` when there is none."""
        params = _given(emoji_name=emoji_name, emoji_code=emoji_code, reaction_type=reaction_type)
        return self.call("DELETE", f"messages/{int(message_id)}/reactions", params, **options)

    def get_message(self, message_id: int, *, apply_markdown: bool = False, **options: Any) -> dict[str, Any]:
        """One message (raw Markdown unless ``apply_markdown``), as ``GET /messages`` gives each."""
        params = {"apply_markdown": apply_markdown, "allow_empty_topic_name": True}
        return self.call("GET", f"messages/{int(message_id)}", params, **options)["message"]

    def get_stream_topics(self, stream_id: int, **options: Any) -> list[dict[str, Any]]:
        """The channel's topics, newest first: ``[{"name", "max_id"}]``."""
        params = {"allow_empty_topic_name": True}
        return self.call("GET", f"users/me/{int(stream_id)}/topics", params, **options)["topics"]

    def get_stream_id(self, name: str, **options: Any) -> int:
        return int(self.call("GET", "get_stream_id", {"stream": name}, **options)["stream_id"])

    def render_message(self, content: str, **options: Any) -> str:
        """The HTML the server makes of ``content`` (what a message with it would show)."""
        return str(self.call("POST", "messages/render", {"content": content}, **options)["rendered"])

    def get_realm_settings(self, **options: Any) -> RealmRules:
        """The organisation's edit and move rules for this bot, from a short-lived ``POST /register``.

        The queue the register makes is deleted at once (best effort: it expires anyway).
        """
        from .rules import RealmRules

        state = self.call("POST", "register", {"event_types": REALM_FETCH_TYPES,
                                               "fetch_event_types": REALM_FETCH_TYPES}, **options)
        queue_id = state.get("queue_id")
        if queue_id:
            try:
                self.deregister(queue_id, retry=NO_RETRY, timeout=(2.0, 2.0))
            except WyzePalError as exc:
                log.info("event queue %s not deleted (%s); the server will collect it", queue_id, exc)
        return RealmRules.from_register(state)

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
        cap = min(self.max_retry_after, policy.max_retry_after)
        url = f"{self.base_url}/{endpoint.strip('/')}"
        data = _encode(params or {})
        in_query = method in ("GET", "DELETE")
        attempt = 0
        while True:
            self._wait_for_rate_limit(deadline, endpoint)
            try:
                response = self.session.request(method, url, params=data if in_query else None,
                                                data=None if in_query else data,
                                                timeout=timeout or self.timeout, verify=self.verify)
            except requests.RequestException as exc:
                self.rate_gate.finish(None)
                if _is_certificate_failure(exc):
                    raise TLSVerificationFailed(self._explain_tls(exc)) from None
                error: Exception = ServerUnreachable(f"{self.site} could not be reached ({_describe(exc)})")
            except BaseException:
                self.rate_gate.finish(None)  # whatever stops the request, its place in the limit is let go
                raise
            else:
                self.rate_gate.finish(response.headers)
                if response.status_code == 429:
                    self.answers_429 += 1
                    self._wait_out_429(response, deadline, endpoint, cap)
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
        """Wait until the rate-limit gate lets this request go (it then counts as in flight)."""
        while True:
            wait = self.rate_gate.start()
            if wait <= 0:
                return
            if time.monotonic() + wait > deadline:
                raise RateLimited(f"{self.site} asked to wait {wait:.0f} s before /{endpoint}",
                                  code="RATE_LIMIT_HIT", status=429, retry_after=wait)
            log.info("rate limit reached; waiting %.1f s for the reset", wait)
            self._sleep(wait)

    def _wait_out_429(self, response: requests.Response, deadline: float, endpoint: str, cap: float) -> None:
        body = _json_or_empty(response)
        wait = retry_after_seconds(response.headers, body, cap=cap)
        self.rate_gate.hold_until(time.time() + wait)
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

    def _explain_tls(self, exc: BaseException) -> str:
        reason = _certificate_reason(exc)
        where = f"the CA bundle {self.verify}" if isinstance(self.verify, str) else "the system's CA certificates"
        return (f"the TLS certificate of {self.site} is not trusted by {where} ({reason}); "
                "set WYZEPAL_CERT_BUNDLE (cert_bundle) to the PEM file of the CA that signed it. "
                "Not retried: it fails the same way until the configuration changes")


def _env_ca_bundle() -> Union[bool, str]:
    """requests' choice when nothing is configured: ``REQUESTS_CA_BUNDLE``, then ``CURL_CA_BUNDLE``."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def _given(**params: Any) -> dict[str, Any]:
    """The parameters the caller gave (None means: leave it to the server's default)."""
    return {key: value for key, value in params.items() if value is not None}


def _causes(exc: BaseException) -> Iterable[BaseException]:
    """``exc`` and what it wraps: requests' SSLError holds urllib3's, which holds ssl's."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 20:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__, getattr(current, "reason", None),
                                *current.args) if isinstance(e, BaseException))


def _is_certificate_failure(exc: BaseException) -> bool:
    """A certificate that was checked and not trusted, not a handshake cut short (that one may pass)."""
    if not isinstance(exc, requests.exceptions.SSLError):
        return False
    return any(isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(cause)
               for cause in _causes(exc))


def _certificate_reason(exc: BaseException) -> str:
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause.verify_message or str(cause)
    return "certificate verify failed"


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
