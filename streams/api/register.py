"""Wires the API into a faust app: one view per route, and JSON for the router's own errors."""

from __future__ import annotations

import hashlib
from typing import Any

import faust
from aiohttp import web

from creditflow.secretfiles import ensure_secrets
from creditflow.settings import Settings
from creditflow.tokens import TokenRegistry
from streams.api.audit import AuditLog
from streams.api.cursor import CursorCodec
from streams.api.errors import ApiError, error_response
from streams.api.queries import Reads
from streams.api.routes import CreditCheckApi, Handler
from streams.bootstrap import Platform

#: Seconds a request may wait on Redis beyond the audit's own timeout.
_STORE_TIMEOUT = 5.0
_ROUTER_ERRORS = {404: "not_found", 405: "method_not_allowed"}


def build_api(platform: Platform) -> CreditCheckApi:
    settings = platform.settings
    return CreditCheckApi(
        reads=Reads(platform.redis, platform.keys),
        keys=platform.keys,
        tokens=TokenRegistry(settings.tokens_path, platform.departments),
        audit=AuditLog.from_settings(settings),
        cursors=CursorCodec(_cursor_secret(settings)),
        policy=platform.policy,
        departments=platform.departments,
        worker=settings.worker_name,
        timeout=settings.audit_timeout + _STORE_TIMEOUT,
    )


def _cursor_secret(settings: Settings) -> str:
    if settings.api_secret is not None:
        return settings.api_secret.get_secret_value()
    # Workers of one install share the generated secret, so any of them reads another's cursors.
    secrets = ensure_secrets(settings.secrets_dir / "api.yaml", ["cursor_secret"])
    return hashlib.sha256(secrets["cursor_secret"].encode()).hexdigest()


def register_api(app: faust.App, platform: Platform) -> CreditCheckApi:
    """Add every route of the API to ``app``'s web server; returns the API (closed on stop)."""
    api = build_api(platform)
    for path, handler in api.routes().items():
        name = "api" + path.replace("/", "_").replace("{", "").replace("}", "").replace(".", "_")
        app.page(path, name=name)(_view(api, handler, name))
    web_driver: Any = app.web  # faust's aiohttp driver; its base type does not show web_app
    web_driver.web_app.middlewares.append(_router_errors)
    return api


def _view(api: CreditCheckApi, handler: Handler, name: str) -> type[Any]:
    async def get(view: Any, request: web.Request, **params: str) -> web.Response:
        return await api.guarded(handler, request, **params)

    view: type[Any] = type(name, (faust.web.View,), {"get": get, "__doc__": handler.__doc__})
    return view


@web.middleware
async def _router_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """aiohttp's own 404/405 (no such route, wrong method) in the API's JSON error shape."""
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _ROUTER_ERRORS.get(exc.status, "http_error")
        # 405 must say which methods there are (RFC 9110, Allow).
        kept = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        return error_response(ApiError(exc.status, code, exc.reason, kept))
    return response
