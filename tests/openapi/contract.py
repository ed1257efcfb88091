"""The Zulip API contract: dev server responses checked against the OpenAPI spec.

The spec (``openapi-zulip-10.2.yaml`` next to this file) is validated as it is
written: every ``$ref`` is resolved through a ``referencing`` registry holding the
whole document, so the spec's ``allOf: [Base, {additionalProperties: false,
properties: {...}}]`` pattern works as JSON Schema defines it (the second
branch lists every allowed key, the base adds the types and required keys).

One reading is made explicit: a ``oneOf`` over error components (``*Error``)
lists the errors an endpoint may give, and several of them share one shape
(``InvalidMessageError`` and ``InvalidChannelError`` differ only in their
example ``msg``).  A body matching more than one of those is that shape, so it
passes; every other ``oneOf`` (event types, ...) keeps "exactly one".

A status the operation does not document is checked against the spec's
"common to many endpoints" errors (``/rest-error-handling``: 400, 401, 429);
documented nowhere, it is a failure.

Where the spec contradicts its own text, ``ERRATA`` makes the schema say what
the text and examples say (each erratum names the contradiction); the tests
show each spec example failing without its erratum and passing with it.

The spec describes Zulip 10.2 (``SPEC_FEATURE_LEVEL``); a dev server asked to
imitate an older feature level answers as that version did, so its responses
are not held to this spec.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import extend
from openapi_schema_validator import OAS30ReadValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_PATH = Path(__file__).with_name("openapi-zulip-10.2.yaml")
#: The feature level of Zulip 10.2, which the spec describes (the dev server's default).
SPEC_FEATURE_LEVEL = 372
SPEC_URI = "urn:zulip:openapi-10.2"
API_PREFIX = "/api/v1"
COMMON_ERRORS = ("/rest-error-handling", "post")
_ERROR_REF = re.compile(r"^#/components/schemas/(\w+Error|CodedError|CodedErrorBase)$")
_PARAM = re.compile(r"\{[^}]*\}")


def _is_error_schema(schema: Any) -> bool:
    """An error component (``*Error``, ``CodedError``), directly or as an ``allOf`` branch."""
    if not isinstance(schema, dict):
        return False
    if _ERROR_REF.match(str(schema.get("$ref", ""))):
        return True
    return any(_is_error_schema(branch) for branch in schema.get("allOf", []))


def _one_of(validator: Any, alternatives: List[Any], instance: Any, schema: Dict[str, Any]) -> Iterable[Any]:
    """``oneOf``, except that several matching error alternatives count as one match."""
    matches = [alt for alt in alternatives if validator.evolve(schema=alt).is_valid(instance)]
    if len(matches) == 1 or (len(matches) > 1 and all(_is_error_schema(alt) for alt in matches)):
        return
    yield from OAS30ReadValidator.VALIDATORS["oneOf"](validator, alternatives, instance, schema)


ResponseValidator = extend(OAS30ReadValidator, validators={"oneOf": _one_of})


@dataclass(frozen=True)
class Response:
    """One recorded response: what the recorder wrote (see devserver/middleware.py)."""

    method: str
    route: Optional[str]
    status: int
    body: Any
    content_type: Optional[str] = None
    injected: Optional[str] = None
    text: str = ""
    path: str = ""
    feature_level: Optional[int] = None

    @classmethod
    def from_record(cls, record: Dict[str, Any]) -> Response:
        return cls(
            record["method"],
            record.get("route"),
            int(record["status"]),
            record.get("body"),
            record.get("content_type"),
            record.get("injected"),
            record.get("text") or "",
            record.get("path") or "",
            record.get("feature_level"),
        )


@dataclass(frozen=True)
class Problem:
    """A response the spec rejects."""

    operation: str
    status: int
    error: str
    excerpt: str
    count: int = 1

    def __str__(self) -> str:
        times = f" ({self.count} responses)" if self.count > 1 else ""
        return f"{self.operation} -> {self.status}{times}: {self.error}\n    body: {self.excerpt}"


def excerpt(value: Any, limit: int = 400) -> str:
    """Compact JSON, cut to ``limit`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _json_schema(spec: Dict[str, Any], path: str, method: str, status: str) -> Dict[str, Any]:
    return spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]


def _local_message_id(spec: Dict[str, Any]) -> None:
    """POST /messages: with ``queue_id`` and ``local_id`` "the server will include local_id in
    the message event" of that queue, but the ``message`` event's schema forbids any key beyond
    id/type/message/flags.  Zulip's Tornado sends it as ``local_message_id`` (a string)."""
    events = _json_schema(spec, "/events", "get", "200")["allOf"][1]["properties"]["events"]["items"]["oneOf"]
    for event in events:
        if event.get("properties", {}).get("type", {}).get("allOf", [{}])[-1].get("enum") == ["message"]:
            event["properties"]["local_message_id"] = {"type": "string"}
            return
    raise LookupError("the spec no longer has a message event")


def _move_time_limit(spec: Dict[str, Any]) -> None:
    """PATCH /messages/{message_id}: the ``MOVE_MESSAGES_TIME_LIMIT_EXCEEDED`` error "contains data
    on which portion of this topic the user has permission to move" (its example has three more
    keys, ``first_message_id_allowed_to_move`` "or null"), yet its schema is the plain CodedError."""
    errors = _json_schema(spec, "/messages/{message_id}", "patch", "400")["oneOf"]
    for error in errors:
        if error["allOf"][-1].get("example", {}).get("code") == "MOVE_MESSAGES_TIME_LIMIT_EXCEEDED":
            error["allOf"][0] = {
                "allOf": [
                    {"$ref": "#/components/schemas/CodedErrorBase"},
                    {
                        "additionalProperties": False,
                        "required": ["first_message_id_allowed_to_move"],
                        "properties": {
                            "result": {},
                            "msg": {},
                            "code": {},
                            "first_message_id_allowed_to_move": {"type": "integer", "nullable": True},
                            "total_messages_allowed_to_move": {"type": "integer"},
                            "total_messages_in_topic": {"type": "integer"},
                        },
                    },
                ]
            }
            return
    raise LookupError("the spec no longer has MOVE_MESSAGES_TIME_LIMIT_EXCEEDED")


#: Contradictions in the spec, resolved the way its own text and examples say.
ERRATA = (_local_message_id, _move_time_limit)


def with_errata(spec: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of ``spec`` with every erratum applied."""
    fixed = copy.deepcopy(spec)
    for erratum in ERRATA:
        erratum(fixed)
    return fixed


class Contract:
    """The spec, loaded once, answering "is this response what the spec says?"."""

    def __init__(self, spec: Optional[Dict[str, Any]] = None) -> None:
        self.spec = spec if spec is not None else with_errata(load_spec())
        resource = Resource.from_contents(self.spec, default_specification=DRAFT4)
        self.registry = Registry().with_resource(SPEC_URI, resource)
        self._by_shape: Dict[str, List[str]] = {}
        for path in self.spec["paths"]:
            self._by_shape.setdefault(_PARAM.sub("{}", path), []).append(path)
        self._validators: Dict[Tuple[str, str, str], Any] = {}

    # --- finding the operation -------------------------------------------------------------
    def spec_path(self, route: str) -> Optional[str]:
        """The spec's path for a dev server route (``/api/v1/messages/{id}``), or None.

        Parameter names may differ from the spec's when only one spec path has
        that shape; where two do (``/users/{email}``, ``/users/{user_id}``) only the
        spec's own name matches.
        """
        if not route.startswith(API_PREFIX):
            return None
        path = route[len(API_PREFIX) :] or "/"
        if path in self.spec["paths"]:
            return path
        candidates = self._by_shape.get(_PARAM.sub("{}", path), [])
        return candidates[0] if len(candidates) == 1 else None

    def operation(self, method: str, route: str) -> Optional[Tuple[str, str]]:
        """``(spec path, method)`` of a route, or None when the spec lacks it."""
        path = self.spec_path(route)
        if path is None or method.lower() not in self.spec["paths"][path]:
            return None
        return path, method.lower()

    def _response(self, path: str, method: str, status: int) -> Tuple[Optional[str], Dict[str, Any]]:
        """The JSON pointer and object of a documented response (a ``$ref`` to components followed)."""
        pointer = _pointer("paths", path, method, "responses", str(status))
        response = self.spec["paths"][path][method].get("responses", {}).get(str(status))
        if isinstance(response, dict) and "$ref" in response:
            pointer = response["$ref"]
            response = self.spec
            for part in pointer.lstrip("#/").split("/"):
                response = response[part.replace("~1", "/").replace("~0", "~")]
        if not isinstance(response, dict) or "application/json" not in response.get("content", {}):
            return None, {}
        return pointer, response

    def _schema_pointers(self, path: str, method: str, status: int) -> List[str]:
        """Schemas a response of this status may match: the operation's, then the common errors'."""
        pointers = []
        for op_path, op_method in ((path, method), COMMON_ERRORS):
            pointer, _ = self._response(op_path, op_method, status)
            if pointer is not None:
                pointers.append(pointer + "/content/application~1json/schema")
        return pointers

    def documented(self, method: str, route: str, status: int) -> bool:
        """Whether the spec gives a JSON schema for this operation and status."""
        op = self.operation(method, route)
        return op is not None and bool(self._schema_pointers(op[0], op[1], status))

    def _validators_for(self, path: str, method: str, status: int) -> List[Any]:
        key = (path, method, str(status))
        if key not in self._validators:
            self._validators[key] = [
                ResponseValidator({"$ref": SPEC_URI + pointer}, registry=self.registry)
                for pointer in self._schema_pointers(path, method, status)
            ]
        return self._validators[key]

    # --- checking -------------------------------------------------------------------------
    def check(self, response: Response) -> Optional[str]:
        """None when the response is what the spec documents, else why not.

        The operation's schema for the status comes first; the spec's common
        errors for that status are the alternative ("common to many endpoints").
        """
        op = self.operation(response.method, response.route or "")
        if op is None:
            return f"the spec has no operation {response.method} {response.route}"
        validators = self._validators_for(op[0], op[1], response.status)
        if not validators:
            return f"status {response.status} is documented neither for this operation nor as a common error"
        if response.body is None:
            return f"the body is not JSON (content type {response.content_type}): {excerpt(response.text, 200)}"
        errors = [best_match(v.iter_errors(response.body)) for v in validators]
        if any(error is None for error in errors):
            return None
        return describe(errors[0])

    def skip_reason(self, response: Response) -> Optional[str]:
        """Why a recorded response is not held to the spec, or None when it is.

        Not held: paths outside /api/v1, requests no route matched (aiohttp's
        404/405), servers imitating an older feature level, and injected faults the spec does not describe (5xx, HTML
        bodies that imitate a proxy).  Everything else is validated.
        """
        if not (response.route or response.path).startswith(API_PREFIX):
            return "not an /api/v1 path"
        if response.route is None:
            return "no route matched (404/405)"
        if response.feature_level is not None and response.feature_level < SPEC_FEATURE_LEVEL:
            return f"served as an older Zulip (feature level below the spec's {SPEC_FEATURE_LEVEL})"
        if response.injected and (
            response.body is None or not self.documented(response.method, response.route, response.status)
        ):
            return "injected fault the spec does not describe"
        return None


def describe(error: ValidationError) -> str:
    """Where and why, without the whole instance (for ``oneOf``: the nearest alternative's error)."""
    if error.validator == "oneOf" and error.context:
        nearest = _nearest(error.context)
        if nearest is not None:
            count = len(error.validator_value)
            return f"{_where(error)}: matches none of the {count} alternatives; nearest: {describe(nearest)}"
    if error.validator == "oneOf":
        return f"{_where(error)}: matches more than one of the {len(error.validator_value)} alternatives"
    return f"{_where(error)}: {error.message[:300]}"


def _nearest(errors: Iterable[ValidationError]) -> Optional[ValidationError]:
    """The error of the alternative that got furthest: its shallowest error is deepest.

    An event of type ``subscription`` fails the other 76 event schemas at the
    top (wrong ``type``) and its own one deep inside; that one is the news.
    """
    by_alternative: Dict[Any, List[ValidationError]] = {}
    for error in errors:
        by_alternative.setdefault(error.relative_schema_path[0], []).append(error)
    if not by_alternative:
        return None
    furthest = max(by_alternative.values(), key=lambda errs: (min(len(e.relative_path) for e in errs), -len(errs)))
    return best_match(furthest)


def _where(error: ValidationError) -> str:
    """The JSON path of the error, list indexes as ``*`` so alike errors group."""
    parts = ["*" if isinstance(p, int) else str(p) for p in error.absolute_path]
    return "at " + ("/".join(parts) or "(the body)")


@functools.lru_cache(maxsize=1)
def load_spec() -> Dict[str, Any]:
    """The parsed spec (C YAML loader when available: the file is 1.3 MB)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader


@functools.lru_cache(maxsize=1)
def contract() -> Contract:
    """The shared :class:`Contract`."""
    return Contract()


@dataclass
class Report:
    """Validation of a recording: problems, and how many responses were checked and skipped."""

    problems: List[Problem]
    checked: int
    skipped: Counter

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())) or "none"
        return f"{self.checked} dev server API responses checked against the OpenAPI spec; skipped: {skipped}"

    def details(self) -> str:
        lines = [f"{len(self.problems)} response shape(s) do not match the Zulip OpenAPI spec:"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


def read_records(path: Path) -> List[Dict[str, Any]]:
    """The JSON lines the recorder wrote (an absent file is an empty recording)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def validate_records(records: Iterable[Dict[str, Any]], against: Optional[Contract] = None) -> Report:
    """Check every record; identical responses are checked once and counted."""
    spec = against or contract()
    seen: Counter = Counter()
    first: Dict[str, Response] = {}
    skipped: Counter = Counter()
    for record in records:
        response = Response.from_record(record)
        reason = spec.skip_reason(response)
        if reason:
            skipped[reason] += 1
            continue
        key = json.dumps([response.method, response.route, response.status, response.body], sort_keys=True)
        seen[key] += 1
        first.setdefault(key, response)
    grouped: Dict[Tuple[str, int, str], Problem] = {}
    for key, response in first.items():
        error = spec.check(response)
        if error is None:
            continue
        operation = f"{response.method} {response.route}"
        group = (operation, response.status, error)
        count = seen[key] + (grouped[group].count if group in grouped else 0)
        body = response.body if response.body is not None else response.text
        shown = grouped[group].excerpt if group in grouped else excerpt(body)
        grouped[group] = Problem(operation, response.status, error, shown, count)
    return Report(list(grouped.values()), sum(seen.values()), skipped)
