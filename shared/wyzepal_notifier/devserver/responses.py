"""JSON success and error bodies in the shape every Zulip endpoint uses."""

from __future__ import annotations

import json
from typing import Any, Mapping

from aiohttp import web


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def json_success(data: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> web.Response:
    """200 with ``result: success`` and ``msg: ""`` merged into ``data``."""
    body = {"result": "success", "msg": ""}
    body.update(data or {})
    return web.json_response(body, headers=headers, dumps=_dumps)


def json_error(
    msg: str,
    code: str = "BAD_REQUEST",
    status: int = 400,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> web.Response:
    """An error body: ``result``, ``msg``, ``code`` plus endpoint specific keys."""
    body = {"result": "error", "msg": msg, "code": code}
    body.update(extra)
    return web.json_response(body, status=status, headers=headers, dumps=_dumps)


class ApiError(Exception):
    """Raised anywhere in a request; the middleware turns it into ``json_error``."""

    def __init__(
        self,
        msg: str,
        code: str = "BAD_REQUEST",
        status: int = 400,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.code = code
        self.status = status
        self.headers = dict(headers or {})
        self.extra = extra

    def response(self) -> web.Response:
        """The HTTP response for this error."""
        return json_error(self.msg, self.code, self.status, self.headers, **self.extra)


def missing_argument(name: str) -> ApiError:
    """The spec's MissingArgumentError for parameter ``name``."""
    return ApiError(f"Missing '{name}' argument", "REQUEST_VARIABLE_MISSING", var_name=name)
