"""Errors of the credit-check API, and how every one of them is answered: one JSON shape,
``{"error": {"code": ..., "message": ...}}``, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from creditflow.errors import CreditflowError


class ApiError(CreditflowError):
    """A request the API answers with an error status; ``code`` is stable, ``message`` human."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def unauthorized(message: str) -> ApiError:
    # RFC 6750: tell the client which scheme to use.
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": 'Bearer realm="creditflow"'})


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def unavailable(code: str, message: str) -> ApiError:
    return ApiError(503, code, message, {"Retry-After": "5"})


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.json_response(body, status=status, headers=headers, dumps=_dumps)


def error_response(error: ApiError) -> web.Response:
    body = {"error": {"code": error.code, "message": error.message}}
    return json_response(body, error.status, error.headers)
