"""A small client of the credit-check API, for ``creditflow check`` (stdlib HTTP only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from creditflow.errors import CreditflowError
from creditflow.settings import Settings

TIMEOUT = 30.0


class ApiClientError(CreditflowError):
    """The API refused the call or could not be reached; the message says which and why."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


def check_subject(
    settings: Settings, subject_id: str, purpose: str, explain: bool = False
) -> dict[str, Any]:
    """The answer of ``GET /v1/subjects/{id}`` (or ``/explain``) with the configured token."""
    if settings.api_token is None:
        raise ApiClientError(
            "no API token: set CREDITFLOW_API_TOKEN to a token of your department "
            "(an operator issues one with `creditflow token issue --department D`)"
        )
    path = f"/v1/subjects/{urllib.parse.quote(subject_id, safe='')}" + (
        "/explain" if explain else ""
    )
    url = f"{settings.api_base_url}{path}?{urllib.parse.urlencode({'purpose': purpose})}"
    headers = {"Authorization": f"Bearer {settings.api_token.get_secret_value()}"}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            body: dict[str, Any] = json.load(answer)
            return body
    except urllib.error.HTTPError as exc:
        raise _refused(exc) from None
    except (urllib.error.URLError, OSError) as exc:
        raise ApiClientError(
            f"the credit-check API at {settings.api_base_url} does not answer ({exc}); "
            "start a worker or set CREDITFLOW_API_URL"
        ) from exc


def _refused(exc: urllib.error.HTTPError) -> ApiClientError:
    try:
        error = json.load(exc)["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "http_error", exc.reason
    return ApiClientError(f"{exc.code} {code}: {message}", exc.code, code)
