"""Request parameters: Zulip reads query string and form body alike, JSON per value."""

from __future__ import annotations

import json
from typing import Any, Dict

from aiohttp import web

from .responses import ApiError, missing_argument

Params = Dict[str, str]
_MISSING: Any = object()


async def read_params(request: web.Request) -> Params:
    """Merge query string and (form or JSON) body; the body wins on a clash."""
    params: Params = dict(request.query)
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError("Malformed JSON") from exc
        if isinstance(body, dict):
            params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
        return params
    form = await request.post()
    params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _absent(name: str, default: Any) -> Any:
    if default is _MISSING:
        raise missing_argument(name)
    return default


def get_str(params: Params, name: str, default: Any = _MISSING) -> Any:
    """A plain string parameter; missing and no default → REQUEST_VARIABLE_MISSING."""
    return params[name] if name in params else _absent(name, default)


def get_json(params: Params, name: str, default: Any = _MISSING) -> Any:
    """A JSON-encoded parameter, as the spec's ``contentType: application/json``."""
    if name not in params:
        return _absent(name, default)
    try:
        return json.loads(params[name])
    except ValueError as exc:
        raise ApiError(f'Argument "{name}" is not valid JSON.') from exc


def get_int(params: Params, name: str, default: Any = _MISSING) -> Any:
    """An integer parameter (JSON number or decimal string)."""
    if name not in params:
        return _absent(name, default)
    try:
        return int(params[name])
    except ValueError as exc:
        raise ApiError(f"Invalid {name}") from exc


def get_float(params: Params, name: str, default: Any = _MISSING) -> Any:
    """A float parameter, for the control endpoints' seconds."""
    if name not in params:
        return _absent(name, default)
    try:
        return float(params[name])
    except ValueError as exc:
        raise ApiError(f"Invalid {name}") from exc


def get_bool(params: Params, name: str, default: bool = False) -> bool:
    """A JSON boolean; also tolerates ``True``/``1`` as sloppy clients send them."""
    raw = params.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0", ""):
        return False
    raise ApiError(f"{name} is not a boolean")
