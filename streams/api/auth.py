"""Bearer tokens of departments (RFC 6750) against the hashed tokens file."""

from __future__ import annotations

import logging
import re

from aiohttp import web

from creditflow.tokens import TokenRegistry
from streams.api.errors import ApiError, unauthorized

logger = logging.getLogger(__name__)

_BEARER = re.compile(r"^Bearer +([A-Za-z0-9._~+/=-]{1,512})$")


def authenticate(request: web.Request, tokens: TokenRegistry) -> str:
    """The department the request's token belongs to; 401 otherwise."""
    header = request.headers.get("Authorization")
    if not header:
        raise unauthorized("this call needs 'Authorization: Bearer <token>' of a department")
    match = _BEARER.match(header.strip())
    if match is None:
        raise unauthorized("the Authorization header must be 'Bearer <token>'")
    department = tokens.department_of(match.group(1))
    if department is None:
        logger.warning("refused an unknown API token from %s", request.remote)
        raise unauthorized("the token is not valid (revoked, mistyped or never issued)")
    return department


def forbid_other_department(caller: str, asked: str) -> None:
    """Least privilege (等级保护): a department reads its own notices only."""
    if asked != caller:
        raise ApiError(403, "forbidden", f"{caller} may read its own notices only, not {asked}'s")
