"""The credit-check API (DESIGN.md, HTTP API): handlers over the Redis store, behind department
tokens, with every subject query audited before it is answered."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from creditflow.departments import DepartmentRegistry
from creditflow.tokens import TokenRegistry
from schemas.audit import CreditCheckAudited
from schemas.enums import ListKind
from streams.api.audit import AuditLog
from streams.api.auth import authenticate, forbid_other_department
from streams.api.cursor import CursorCodec
from streams.api.errors import ApiError, bad_request, error_response, json_response, unavailable
from streams.api.openapi import openapi_document
from streams.api.queries import Page, Reads
from streams.api.subjects import parse_subject_id
from streams.api.views import explain_view, list_member, notice_item, subject_view
from streams.policy import Policy
from streams.store.keys import NOTICE_STATUSES, Keys

logger = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[web.Response]]
LISTS = {"black": ListKind.BLACK, "red": ListKind.RED}
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_PURPOSE = 100


@dataclass
class CreditCheckApi:
    reads: Reads
    keys: Keys
    tokens: TokenRegistry
    audit: AuditLog
    cursors: CursorCodec
    policy: Policy
    departments: DepartmentRegistry
    worker: str
    #: Past this, a request that waits on Redis or Kafka is answered 503 rather than hang.
    timeout: float

    def routes(self) -> dict[str, Handler]:
        return {
            "/v1/subjects/{subject_id}": self.subject,
            "/v1/subjects/{subject_id}/explain": self.explain,
            "/v1/lists/{kind}": self.list_page,
            "/v1/notices": self.notices,
            "/openapi.json": self.openapi,
        }

    async def guarded(self, handler: Handler, request: web.Request, **params: str) -> web.Response:
        """Run a handler; whatever goes wrong is a JSON error, never a traceback."""
        try:
            async with asyncio.timeout(self.timeout):
                return await handler(request, **params)
        except ApiError as exc:
            return error_response(exc)
        except (RedisError, OSError, TimeoutError) as exc:
            logger.warning("API %s %s: store unavailable: %s", request.method, _route(request), exc)
            return error_response(
                unavailable("store_unavailable", "the credit store does not answer; retry later")
            )
        except Exception:
            logger.exception("API %s %s failed", request.method, _route(request))
            return error_response(ApiError(500, "internal", "internal error; it has been logged"))

    # Subjects.
    async def subject(self, request: web.Request, subject_id: str) -> web.Response:
        snapshot = await self._checked_query(request, subject_id, "subject")
        return json_response(subject_view(snapshot))

    async def explain(self, request: web.Request, subject_id: str) -> web.Response:
        snapshot = await self._checked_query(request, subject_id, "explain")
        return json_response(explain_view(snapshot, self.policy))

    async def _checked_query(
        self, request: web.Request, raw_id: str, endpoint: str
    ) -> dict[str, Any]:
        department = authenticate(request, self.tokens)
        subject_id = parse_subject_id(raw_id)
        purpose = _purpose(request)
        snapshot = await self.reads.snapshot(subject_id)
        await self.audit.record(
            CreditCheckAudited(
                occurred_at=datetime.now(UTC),
                department_id=department,
                subject_id=subject_id,
                subject_kind=snapshot["subject_kind"] if snapshot else None,
                subject_name=snapshot["subject_name"] if snapshot else None,
                purpose=purpose,
                endpoint=endpoint,
                found=snapshot is not None,
                black_list=bool(snapshot and snapshot["black_list"]),
                red_list=bool(snapshot and snapshot["red_list"]),
                grade=snapshot["grade"] if snapshot else None,
                http_status=200 if snapshot else 404,
                served_by=self.worker,
            )
        )
        if snapshot is None:
            raise ApiError(404, "subject_not_found", "the platform holds no record of this subject")
        return snapshot

    # Lists.
    async def list_page(self, request: web.Request, kind: str) -> web.Response:
        authenticate(request, self.tokens)
        list_kind = LISTS.get(kind)
        if list_kind is None:
            raise ApiError(404, "unknown_list", "the lists are black and red")
        key = self.keys.list(list_kind)
        page = await self._page(request, key, f"list:{kind}")
        identities = await self.reads.identities([sid for sid, _ in page.rows])
        items = [
            list_member(sid, k, name, since)
            for (sid, since), (k, name) in zip(page.rows, identities, strict=True)
        ]
        body = {
            "list": kind,
            "total": await self.reads.count(key),
            "items": items,
            "next_cursor": self._next(f"list:{kind}", page),
        }
        return json_response(body)

    # Notices.
    async def notices(self, request: web.Request) -> web.Response:
        caller = authenticate(request, self.tokens)
        department = request.query.get("department") or caller
        forbid_other_department(caller, department)
        status = request.query.get("status", "pending")
        if status not in NOTICE_STATUSES:
            raise bad_request("invalid_parameter", "status must be pending, overdue or answered")
        key = self.keys.department_notices(status, department)
        scope = f"notices:{status}:{department}"
        page = await self._page(request, key, scope)
        subjects = [_notice_member(member) for member, _ in page.rows]
        records = await self.reads.notices(subjects)
        identities = await self.reads.identities([sid for sid, _ in subjects])
        known = self.departments.get(caller)
        personal = known is not None and known.personal_information
        items = [
            notice_item(sid, kind, nid, record, personal)
            for (sid, nid), record, (kind, _) in zip(subjects, records, identities, strict=True)
            if record is not None
        ]
        body = {
            "department": department,
            "status": status,
            "total": await self.reads.count(key),
            "items": items,
            "next_cursor": self._next(scope, page),
        }
        return json_response(body)

    async def openapi(self, request: web.Request) -> web.Response:
        return json_response(openapi_document())

    # Paging.
    async def _page(self, request: web.Request, key: str, scope: str) -> Page:
        limit = _limit(request)
        cursor = request.query.get("cursor")
        after = self.cursors.decode(scope, cursor) if cursor else None
        return await self.reads.page(key, after, limit)

    def _next(self, scope: str, page: Page) -> str | None:
        if not page.more or not page.rows:
            return None
        member, score = page.rows[-1]
        return self.cursors.encode(scope, score, member)


def _purpose(request: web.Request) -> str:
    purpose = request.query.get("purpose", "")
    if len(purpose) > MAX_PURPOSE or not re.search(r"\S", purpose):
        raise bad_request(
            "missing_purpose",
            "every credit check states its purpose (核查用途), e.g. purpose=行政审批, 政府采购, "
            f"财政资金, 评优评先: up to {MAX_PURPOSE} characters, not blank",
        )
    return purpose


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise bad_request("invalid_parameter", f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(raw)


def _notice_member(member: str) -> tuple[str, str]:
    subject_id, _, notice_id = member.partition("|")
    return subject_id, notice_id


def _route(request: web.Request) -> str:
    """The route's pattern, not the path: a path may hold a person's ID number (not logged)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "?"
