"""Every operation the dev server serves, success and error, checked against Zulip's OpenAPI spec.

Each case below makes real HTTP requests to a fresh dev server and validates
the answer against ``tests/openapi/openapi-zulip-10.2.yaml`` on the spot, so a
single failing case names the operation that regressed.  A coverage test makes
sure every /api/v1 route of the dev server has a success and an error case
here: a new endpoint without cases fails it.  (tests/conftest.py also validates
every response of the whole run; the validator's own tests are at the end.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict

import pytest
import requests
from openapi.contract import (
    API_PREFIX,
    SPEC_FEATURE_LEVEL,
    Contract,
    Response,
    contract,
    excerpt,
    load_spec,
    read_records,
    validate_records,
)
from wyzepal_notifier.devserver import DevServer
from wyzepal_notifier.devserver.app import create_app
from wyzepal_notifier.devserver.middleware import RECORD_ENV

BOT = ("bot@example.com", "b" * 32)
ALICE = ("alice@example.com", "a" * 32)
TESTS = Path(__file__).resolve().parents[1]


class Api:
    """The bot's HTTP session against one dev server (plus Alice for a second point of view)."""

    def __init__(self, server: DevServer) -> None:
        self.server = server

    def call(self, method: str, path: str, auth: Any = BOT, **params: Any) -> requests.Response:
        data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        where = "params" if method in ("GET", "DELETE") else "data"
        return requests.request(method, self.server.api_url + path, auth=auth, timeout=10, **{where: data})

    def send(self, content: str = "hello @**Alice**", topic: str = "greetings", to: str = "general") -> int:
        response = self.call("POST", "/messages", type="stream", to=to, topic=topic, content=content)
        assert response.status_code == 200, response.text
        return response.json()["id"]

    def register(self, **params: Any) -> str:
        response = self.call("POST", "/register", **params)
        assert response.status_code == 200, response.text
        return response.json()["queue_id"]

    def events(self, queue_id: str) -> requests.Response:
        return self.call("GET", "/events", queue_id=queue_id, last_event_id=-1, dont_block=True)


@dataclass(frozen=True)
class Case:
    method: str
    route: str  # the spec's path, below /api/v1
    status: int
    run: Callable[[Api], requests.Response]


CASES: Dict[str, Case] = {}


def case(method: str, route: str, status: int) -> Callable:
    def register(run: Callable[[Api], requests.Response]) -> Callable:
        CASES[run.__name__] = Case(method, route, status, run)
        return run

    return register


# --- users and the server ---------------------------------------------------------------------
@case("GET", "/server_settings", 200)
def server_settings(api):
    return api.call("GET", "/server_settings", auth=None)


@case("GET", "/users/me", 200)
def own_user(api):
    return api.call("GET", "/users/me")


@case("GET", "/users/me", 401)
def own_user_without_credentials(api):
    return api.call("GET", "/users/me", auth=None)


@case("GET", "/users/me", 401)
def own_user_with_a_wrong_key(api):
    return api.call("GET", "/users/me", auth=(BOT[0], "wrong"))


@case("GET", "/users/me", 401)
def own_user_deactivated(api):
    api.server.deactivate_user(ALICE[0])
    return api.call("GET", "/users/me", auth=ALICE)


@case("GET", "/users", 200)
def users(api):
    return api.call("GET", "/users")


@case("GET", "/users", 401)
def users_with_a_wrong_key(api):
    return api.call("GET", "/users", auth=(BOT[0], "wrong"))


# --- channels and subscriptions -----------------------------------------------------------------
@case("GET", "/streams", 200)
def streams(api):
    return api.call("GET", "/streams")


@case("GET", "/streams", 401)
def streams_without_credentials(api):
    return api.call("GET", "/streams", auth=None)


@case("GET", "/get_stream_id", 200)
def stream_id(api):
    return api.call("GET", "/get_stream_id", stream="general")


@case("GET", "/get_stream_id", 400)
def stream_id_of_an_unknown_channel(api):
    return api.call("GET", "/get_stream_id", stream="nope")


@case("GET", "/users/me/subscriptions", 200)
def subscriptions(api):
    return api.call("GET", "/users/me/subscriptions", include_subscribers=True)


@case("GET", "/users/me/subscriptions", 200)
def subscriptions_without_subscribers(api):
    return api.call("GET", "/users/me/subscriptions", include_subscribers=False)


@case("GET", "/users/me/subscriptions", 401)
def subscriptions_with_a_wrong_key(api):
    return api.call("GET", "/users/me/subscriptions", auth=(BOT[0], "wrong"))


@case("POST", "/users/me/subscriptions", 200)
def subscribe(api):
    return api.call("POST", "/users/me/subscriptions", subscriptions=[{"name": "releases"}, {"name": "general"}])


@case("POST", "/users/me/subscriptions", 400)
def subscribe_without_subscriptions(api):
    return api.call("POST", "/users/me/subscriptions")


@case("DELETE", "/users/me/subscriptions", 200)
def unsubscribe(api):
    return api.call("DELETE", "/users/me/subscriptions", subscriptions=["ci"])


@case("DELETE", "/users/me/subscriptions", 400)
def unsubscribe_from_an_unknown_channel(api):
    return api.call("DELETE", "/users/me/subscriptions", subscriptions=["nope"])


@case("GET", "/users/me/{stream_id}/topics", 200)
def topics(api):
    api.send(topic="one")
    api.send(topic="two")
    return api.call("GET", f"/users/me/{api.server.add_stream('general')}/topics")


@case("GET", "/users/me/{stream_id}/topics", 400)
def topics_of_an_unknown_channel(api):
    return api.call("GET", "/users/me/9999/topics")


# --- messages -------------------------------------------------------------------------------------
@case("POST", "/messages", 200)
def send_to_a_channel(api):
    return api.call("POST", "/messages", type="stream", to="general", topic="t", content="**hi** @**Alice**")


@case("POST", "/messages", 200)
def send_a_direct_message(api):
    return api.call("POST", "/messages", type="direct", to=[ALICE[0]], content="psst")


@case("POST", "/messages", 400)
def send_to_an_unknown_channel(api):
    return api.call("POST", "/messages", type="stream", to="nope", topic="t", content="x")


@case("POST", "/messages", 400)
def send_to_an_unknown_channel_id(api):
    return api.call("POST", "/messages", type="stream", to="9999", topic="t", content="x")


@case("POST", "/messages", 400)
def send_to_an_unknown_user(api):
    return api.call("POST", "/messages", type="direct", to=["ghost@example.com"], content="x")


@case("POST", "/messages", 400)
def send_without_content(api):
    return api.call("POST", "/messages", type="stream", to="general", topic="t")


@case("GET", "/messages", 200)
def messages_around_the_newest(api):
    api.send("```python\nprint(1)\n```")
    api.send("> quoted :smile:")
    return api.call("GET", "/messages", anchor="newest", num_before=10, num_after=0, narrow=[["channel", "general"]])


@case("GET", "/messages", 200)
def messages_by_id(api):
    return api.call("GET", "/messages", message_ids=[api.send()])


@case("GET", "/messages", 400)
def messages_without_an_anchor(api):
    return api.call("GET", "/messages", num_before=1, num_after=1)


@case("GET", "/messages", 400)
def messages_with_ids_and_an_anchor(api):
    return api.call("GET", "/messages", message_ids=[1], anchor="newest", num_before=1, num_after=1)


@case("GET", "/messages/{message_id}", 200)
def one_message(api):
    return api.call("GET", f"/messages/{api.send()}")


@case("GET", "/messages/{message_id}", 400)
def one_unknown_message(api):
    return api.call("GET", "/messages/9999")


@case("PATCH", "/messages/{message_id}", 200)
def edit_content(api):
    return api.call("PATCH", f"/messages/{api.send()}", content="edited")


@case("PATCH", "/messages/{message_id}", 200)
def move_to_another_topic(api):
    return api.call("PATCH", f"/messages/{api.send()}", topic="elsewhere", propagate_mode="change_all")


@case("PATCH", "/messages/{message_id}", 400)
def edit_someone_elses_message(api):
    return api.call("PATCH", f"/messages/{api.send()}", auth=ALICE, content="mine now")


@case("PATCH", "/messages/{message_id}", 400)
def move_a_topic_beyond_the_time_limit(api):
    first, *_, last = [api.send(topic="old", content=f"m{i}") for i in range(3)]
    api.server.set_realm(move_messages_within_stream_limit_seconds=60)
    api.server.backdate_message(first, 100)
    response = api.call("PATCH", f"/messages/{last}", topic="new", propagate_mode="change_all")
    assert response.json()["code"] == "MOVE_MESSAGES_TIME_LIMIT_EXCEEDED", response.text
    return response


@case("PATCH", "/messages/{message_id}", 400)
def edit_an_unknown_message(api):
    return api.call("PATCH", "/messages/9999", content="x")


@case("GET", "/messages/{message_id}/history", 200)
def history(api):
    message_id = api.send()
    api.call("PATCH", f"/messages/{message_id}", content="edited")
    return api.call("GET", f"/messages/{message_id}/history")


@case("GET", "/messages/{message_id}/history", 400)
def history_of_an_unknown_message(api):
    return api.call("GET", "/messages/9999/history")


@case("POST", "/messages/{message_id}/reactions", 200)
def react(api):
    return api.call("POST", f"/messages/{api.send()}/reactions", emoji_name="octopus")


@case("POST", "/messages/{message_id}/reactions", 400)
def react_twice(api):
    message_id = api.send()
    api.call("POST", f"/messages/{message_id}/reactions", emoji_name="octopus")
    return api.call("POST", f"/messages/{message_id}/reactions", emoji_name="octopus")


@case("POST", "/messages/{message_id}/reactions", 400)
def react_with_an_unknown_emoji(api):
    return api.call("POST", f"/messages/{api.send()}/reactions", emoji_name="no_such_emoji_at_all")


@case("DELETE", "/messages/{message_id}/reactions", 200)
def unreact(api):
    message_id = api.send()
    api.call("POST", f"/messages/{message_id}/reactions", emoji_name="octopus")
    return api.call("DELETE", f"/messages/{message_id}/reactions", emoji_name="octopus")


@case("DELETE", "/messages/{message_id}/reactions", 400)
def unreact_what_was_never_reacted(api):
    return api.call("DELETE", f"/messages/{api.send()}/reactions", emoji_name="octopus")


@case("POST", "/messages/render", 200)
def render(api):
    return api.call("POST", "/messages/render", content="**bold** `code` @**Alice** :smile:\n> quote")


@case("POST", "/messages/render", 400)
def render_without_content(api):
    return api.call("POST", "/messages/render")


# --- events ---------------------------------------------------------------------------------------
@case("POST", "/register", 200)
def register_for_everything(api):
    return api.call("POST", "/register")


@case("POST", "/register", 200)
def register_for_messages_with_markdown(api):
    return api.call("POST", "/register", event_types=["message"], apply_markdown=True, narrow=[["channel", "general"]])


@case("POST", "/register", 400)
def register_with_bad_event_types(api):
    return api.call("POST", "/register", event_types="message")


@case("GET", "/events", 200)
def events_of_every_kind(api):
    queue_id = api.register()
    message_id = api.send()
    api.call("PATCH", f"/messages/{message_id}", content="edited")
    api.call("PATCH", f"/messages/{message_id}", topic="moved")
    api.call("POST", f"/messages/{message_id}/reactions", emoji_name="octopus")
    api.call("DELETE", f"/messages/{message_id}/reactions", emoji_name="octopus")
    api.call("POST", "/users/me/subscriptions", subscriptions=[{"name": "releases"}])
    api.call("DELETE", "/users/me/subscriptions", subscriptions=["releases"])
    api.call("POST", "/messages", type="direct", to=[ALICE[0]], content="psst")
    response = api.events(queue_id)
    kinds = {event["type"] for event in response.json()["events"]}
    assert {"message", "update_message", "reaction", "subscription"} <= kinds, kinds
    return response


@case("GET", "/events", 200)
def events_with_a_local_echo(api):
    queue_id = api.register(event_types=["message"])
    api.call("POST", "/messages", type="stream", to="general", topic="t", content="echo", queue_id=queue_id,
             local_id="100.01")
    response = api.events(queue_id)
    assert response.json()["events"][0]["local_message_id"] == "100.01", response.text
    return response


@case("GET", "/events", 200)
def events_heartbeat(api):
    return api.call("GET", "/events", queue_id=api.register(event_types=["message"]), last_event_id=-1)


@case("GET", "/events", 400)
def events_of_an_unknown_queue(api):
    return api.events("no-such-queue")


@case("DELETE", "/events", 200)
def delete_queue(api):
    return api.call("DELETE", "/events", queue_id=api.register())


@case("DELETE", "/events", 400)
def delete_an_unknown_queue(api):
    return api.call("DELETE", "/events", queue_id="no-such-queue")


# --- rate limits: the common 429 ---------------------------------------------------------------
@case("GET", "/users/me", 429)
def own_user_rate_limited(api):
    api.server.set_rate_limit((1, 60.0))
    api.call("GET", "/users/me")
    return api.call("GET", "/users/me")


@case("GET", "/users/me", 429)
def own_user_rate_limited_by_an_injected_fault(api):
    api.server.faults.fail_next(1, status=429, path="/api/v1/users/me", retry_after=0.5)
    return api.call("GET", "/users/me")


# --- the tests --------------------------------------------------------------------------------------
@pytest.fixture
def api(devserver_factory):
    return Api(devserver_factory(users=[BOT, (ALICE[0], ALICE[1], "Alice")], heartbeat_seconds=0.2))


@pytest.mark.parametrize("name", sorted(CASES))
def test_response_matches_the_spec(api, name):
    spec_case = CASES[name]
    response = spec_case.run(api)
    assert response.status_code == spec_case.status, response.text
    body = response.json()
    problem = contract().check(Response(spec_case.method, API_PREFIX + spec_case.route, response.status_code, body))
    operation = f"{spec_case.method} {spec_case.route} -> {response.status_code}"
    assert problem is None, f"{operation}: {problem}\n{excerpt(body)}"


#: Operations that cannot fail (server_settings needs no credentials and takes no parameters).
NO_ERROR = {"/api/v1/server_settings"}


def served_operations():
    """``(method, route)`` of every /api/v1 route the dev server's application has."""
    app = create_app(DevServer().state)
    found = set()
    for route in app.router.routes():
        canonical = route.resource.canonical if route.resource is not None else ""
        if canonical.startswith(API_PREFIX) and route.method != "HEAD":  # aiohttp's automatic HEAD of a GET
            found.add((route.method, canonical))
    return found


def test_every_operation_the_dev_server_serves_is_in_the_spec_and_has_success_and_error_cases_here():
    served = served_operations()
    assert ("PATCH", "/api/v1/messages/{message_id}") in served or ("GET", "/api/v1/users/me") in served
    not_in_spec = sorted(op for op in served if contract().operation(*op) is None)
    assert not not_in_spec, f"the dev server serves operations the spec lacks: {not_in_spec}"
    covered = {(c.method, contract().operation(c.method, API_PREFIX + c.route), c.status < 300) for c in CASES.values()}
    missing = [
        f"{method} {route} ({'success' if ok else 'error'})"
        for method, route in sorted(served)
        for ok in (True, False)
        if (method, contract().operation(method, route), ok) not in covered and (ok or route not in NO_ERROR)
    ]
    assert not missing, "add cases for: " + ", ".join(missing)


# --- the recorder and the validator themselves ----------------------------------------------------
def test_the_recorder_writes_method_route_status_and_body_of_api_responses_only(devserver_factory, tmp_path,
                                                                                  monkeypatch):
    target = tmp_path / "responses.jsonl"
    monkeypatch.setenv(RECORD_ENV, str(target))
    server = devserver_factory(users=[BOT])
    api = Api(server)
    message_id = api.send()
    api.call("GET", f"/messages/{message_id}")
    requests.get(server.site + "/devserver/messages", timeout=5)
    server.faults.fail_next(1, status=503, path="/api/v1/users/me")
    api.call("GET", "/users/me")
    records = read_records(target)
    assert [(r["method"], r["route"], r["status"]) for r in records] == [
        ("POST", "/api/v1/messages", 200),
        ("GET", "/api/v1/messages/{message_id}", 200),
        ("GET", "/api/v1/users/me", 503),
    ]
    assert records[0]["body"] == {"result": "success", "msg": "", "id": message_id}
    assert records[1]["path"] == f"/api/v1/messages/{message_id}" and not records[1]["injected"]
    assert records[2]["injected"] == "fail" and BOT[1] not in target.read_text()
    report = validate_records(records)
    assert report.ok and report.checked == 2 and sum(report.skipped.values()) == 1


def own_user_body(devserver_factory):
    server = devserver_factory(users=[BOT])
    return Api(server).call("GET", "/users/me").json()


def check(method, route, status, body):
    return contract().check(Response(method, API_PREFIX + route, status, body))


def test_the_validator_rejects_an_unknown_key_a_missing_key_and_a_wrong_type(devserver_factory):
    body = own_user_body(devserver_factory)
    assert check("GET", "/users/me", 200, body) is None
    assert "'sparkles' was unexpected" in check("GET", "/users/me", 200, {**body, "sparkles": 1})
    without_msg = {k: v for k, v in body.items() if k != "msg"}
    assert "'msg' is a required property" in check("GET", "/users/me", 200, without_msg)
    assert "at user_id" in check("GET", "/users/me", 200, {**body, "user_id": "7"})
    assert "'error' is not one of ['success']" in check("GET", "/users/me", 200, {**body, "result": "error"})


def test_the_validator_follows_refs_into_nested_schemas_and_event_types(devserver_factory):
    server = devserver_factory(users=[BOT], streams=["general"])
    api = Api(server)
    subs = api.call("GET", "/users/me/subscriptions").json()
    subs["subscriptions"][0]["color"] = 7
    assert "at subscriptions/*/color" in check("GET", "/users/me/subscriptions", 200, subs)
    queue_id = api.register()
    api.send("hi")
    events = api.events(queue_id).json()
    assert check("GET", "/events", 200, events) is None
    events["events"][0]["message"]["sender_id"] = None
    assert "nearest: at events/*/message/sender_id" in check("GET", "/events", 200, events)


def test_the_validator_rejects_undocumented_statuses_operations_and_non_json_bodies():
    error = {"result": "error", "msg": "no", "code": "BAD_REQUEST"}
    assert "documented neither" in check("GET", "/users/me", 418, error)
    assert "no operation" in check("GET", "/no/such/endpoint", 200, {"result": "success", "msg": ""})
    assert "not JSON" in contract().check(Response("GET", API_PREFIX + "/users/me", 200, None, "text/html", text="<p>"))
    # The common errors apply to every operation: a 401 of GET /users is documented through them.
    assert check("GET", "/users", 401, {**error, "code": "INVALID_API_KEY"}) is None
    assert "retry-after" in check("GET", "/users", 429, {**error, "code": "RATE_LIMIT_HIT", "retry-after": "soon"})


def test_each_erratum_is_what_a_spec_example_needs(api):
    """Without its erratum the spec rejects its own example (or what its text promises); with it, accepts."""
    as_written = Contract(load_spec())
    move = [alt["allOf"][-1]["example"] for alt in as_written.spec["paths"]["/messages/{message_id}"]["patch"]
            ["responses"]["400"]["content"]["application/json"]["schema"]["oneOf"]][1]
    assert move["code"] == "MOVE_MESSAGES_TIME_LIMIT_EXCEEDED"
    echo = events_with_a_local_echo(api).json()
    for route, status, body in [("/messages/{message_id}", 400, move), ("/events", 200, echo)]:
        method = "PATCH" if status == 400 else "GET"
        assert as_written.check(Response(method, API_PREFIX + route, status, body)) is not None
        assert contract().check(Response(method, API_PREFIX + route, status, body)) is None
    broken = {**move, "first_message_id_allowed_to_move": "123"}
    assert contract().check(Response("PATCH", API_PREFIX + "/messages/{message_id}", 400, broken)) is not None


def test_the_spec_describes_the_dev_servers_default_feature_level_and_older_levels_are_not_held_to_it(devserver):
    assert requests.get(devserver.api_url + "/server_settings", timeout=5).json()["zulip_feature_level"] == 372
    assert SPEC_FEATURE_LEVEL == 372
    record = {"method": "GET", "route": API_PREFIX + "/users/me", "status": 200, "body": {"bogus": 1}}
    assert not validate_records([record]).ok
    old = validate_records([{**record, "feature_level": 315}])
    assert old.ok and old.checked == 0 and list(old.skipped) == ["served as an older Zulip (feature level below "
                                                                 "the spec's 372)"]


def test_a_pytest_run_fails_and_names_the_operation_when_a_dev_server_response_breaks_the_spec(tmp_path):
    probe = tmp_path / "test_probe.py"
    probe.write_text(textwrap.dedent("""
        import requests
        from wyzepal_notifier.devserver import DevServer, api_users
        from wyzepal_notifier.devserver.responses import json_success

        async def broken_own_user(request):
            return json_success({"sparkles": True})

        def test_probe(monkeypatch):
            monkeypatch.setattr(api_users, "get_own_user", broken_own_user)
            with DevServer(users=["bot@example.com:key"]) as server:
                assert requests.get(server.api_url + "/users/me", auth=("bot@example.com", "key"), timeout=5).ok
    """))
    env = {k: v for k, v in os.environ.items() if k != RECORD_ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), *sys.path])
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest",
                          "--rootdir", str(tmp_path), str(probe)], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    assert "GET /api/v1/users/me -> 200: at (the body): Additional properties are not allowed" in run.stdout
    assert "'sparkles' was unexpected" in run.stdout and '"sparkles": true' in run.stdout
