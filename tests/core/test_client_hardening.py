"""The client's answers to what broken proxies and TLS set-ups do, over real HTTP(S) on loopback."""
from __future__ import annotations

import email.utils
import time

import pytest
from scripted_http import ScriptedServer, self_signed_certificate
from wyzepal_notifier import Client, RateLimited, RetryPolicy
from wyzepal_notifier.client import DEFAULT_MAX_RETRY_AFTER
from wyzepal_notifier.client.retry import parse_retry_after, retry_after_seconds
from wyzepal_notifier.errors import TLSVerificationFailed

KEY = "hardeningkey0123456789abcdefghij"


class Sleeps:
    """A client's ``sleep``: records each wait, sleeps at most a little (the tests are about the asks)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(min(seconds, 0.05))


def client_for(site, **options):
    return Client(site, "tester@example.com", KEY, **options)


# -- Retry-After ----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["inf", "1e12", "Infinity"])
def test_an_endless_retry_after_is_cut_to_the_clients_cap(header):
    sleeps = Sleeps()
    with ScriptedServer() as server:
        server.script(429, {"Retry-After": header}, {"result": "error", "code": "RATE_LIMIT_HIT", "msg": "slow"})
        client = client_for(server.site, max_retry_after=0.2, sleep=sleeps)
        assert client.get_profile()["email"] == "tester@example.com"
    assert sleeps.waits and max(sleeps.waits) <= 0.2
    assert len(server.requests) == 2


def test_the_default_cap_is_an_hour_and_a_longer_ask_is_reported_not_slept():
    sleeps = Sleeps()
    with ScriptedServer() as server:
        server.script(429, {"Retry-After": "1e12"})
        client = client_for(server.site, sleep=sleeps)
        assert client.max_retry_after == DEFAULT_MAX_RETRY_AFTER == 3600.0
        with pytest.raises(RateLimited) as info:
            client.get_profile()
    assert info.value.retry_after == 3600.0  # the outbox and the events stream wait this, not 30 000 years
    assert sleeps.waits == []


def test_the_cap_can_be_set_on_the_retry_policy():
    sleeps = Sleeps()
    with ScriptedServer() as server:
        server.script(429, {"Retry-After": "inf"})
        client = client_for(server.site, retry=RetryPolicy(budget=5.0, max_retry_after=0.1), sleep=sleeps)
        assert client.max_retry_after == 0.1
        client.get_profile()
    assert max(sleeps.waits) <= 0.1


def test_a_huge_rate_limit_reset_does_not_hold_the_client_forever():
    sleeps = Sleeps()
    with ScriptedServer() as server:
        server.script(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1e15"})
        client = client_for(server.site, max_retry_after=0.2, sleep=sleeps)
        client.get_profile()
        client.get_profile()  # waits for the (capped) reset first
    assert sleeps.waits and max(sleeps.waits) <= 0.2


def test_retry_after_as_an_http_date_is_waited_until_that_time():
    sleeps = Sleeps()
    with ScriptedServer() as server:
        server.script(429, {"Retry-After": email.utils.formatdate(time.time() + 10, usegmt=True)})
        client_for(server.site, sleep=sleeps).get_profile()
    assert 7.0 <= sleeps.waits[0] <= 10.5, sleeps.waits  # was read as 1 s


def test_parse_retry_after_reads_seconds_dates_and_refuses_nonsense():
    now = 1_700_000_000.0
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after(" 1.5 ", now=now) == 1.5
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0  # in the past
    assert parse_retry_after("-5", now=now) == 0.0
    for nonsense in ("nan", "soon", "", None, True):
        assert parse_retry_after(nonsense, now=now) is None
    assert retry_after_seconds({"Retry-After": "nan"}, {"retry-after": 2.5}) == 2.5  # then the body's
    assert retry_after_seconds({}, {}) == 1.0
    assert retry_after_seconds({"Retry-After": "inf"}, cap=60.0) == 60.0


# -- TLS ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    return self_signed_certificate(folder, "server"), self_signed_certificate(folder, "other")


def test_an_untrusted_certificate_fails_at_once_with_the_fix(certificates):
    (cert, key), _ = certificates
    with ScriptedServer(tls=(cert, key)) as server:
        client = client_for(server.site, retry=RetryPolicy(budget=45.0, base=0.5, cap=5.0))
        started = time.monotonic()
        with pytest.raises(TLSVerificationFailed) as info:
            client.get_profile()
        elapsed = time.monotonic() - started
    assert elapsed < 15.0, "not retried for the whole 45 s budget"
    error = info.value
    assert error.permanent
    assert "WYZEPAL_CERT_BUNDLE" in str(error) and server.site in str(error)
    assert "self-signed" in str(error) or "self signed" in str(error)
    assert KEY not in str(error)
    assert server.requests == []  # nothing got through


def test_a_dropped_handshake_is_still_retried_as_transient():
    """Only a certificate that was checked and refused is permanent; a connection cut mid-way is not."""
    with ScriptedServer() as plain:  # speaks HTTP: the TLS client's hello gets garbage back
        site = plain.site.replace("http://", "https://")
        client = client_for(site, retry=RetryPolicy(budget=0.4, base=0.05, cap=0.1))
        with pytest.raises(Exception) as info:
            client.get_profile()
    assert not isinstance(info.value, TLSVerificationFailed)
    assert not getattr(info.value, "permanent", True)


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_the_configured_cert_bundle_beats_the_environments(certificates, monkeypatch, variable):
    (cert, key), (other_cert, _) = certificates
    monkeypatch.setenv(variable, str(other_cert))  # a bundle that does not know our server
    with ScriptedServer(tls=(cert, key)) as server:
        client = client_for(server.site, cert_bundle=str(cert), retry=RetryPolicy(budget=2.0))
        assert client.get_profile()["email"] == "tester@example.com"


def test_without_a_configured_bundle_the_environments_is_used(certificates, monkeypatch):
    (cert, key), _ = certificates
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    with ScriptedServer(tls=(cert, key)) as server:
        assert client_for(server.site, retry=RetryPolicy(budget=2.0)).get_profile()["user_id"] == 7


def test_proxies_from_the_environment_still_apply(monkeypatch):
    for variable in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    with ScriptedServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.site)
        monkeypatch.setenv("http_proxy", proxy.site)
        client = client_for("http://chat.invalid", cert_bundle="/nonexistent/ca.pem", retry=RetryPolicy(budget=2.0))
        client.get_profile()
    assert proxy.requests == [("GET", "http://chat.invalid/api/v1/users/me")]
