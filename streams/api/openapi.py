"""The OpenAPI 3 document of the credit-check API, served at ``/openapi.json``.

Field names here are the API's contract: they are those of ``streams.api.views`` and of the
subject snapshot (``streams.snapshot.state_to_dict``), and the schemathesis run in the tests
checks every answer of a running worker against this document.
"""

from __future__ import annotations

from functools import cache

from streams.api.components import S, component_schemas, ref

_ERRORS = {
    "400": "Invalid parameter: code invalid_subject_id (names the check that failed), "
    "missing_purpose, invalid_parameter or invalid_cursor",
    "401": "No or an unknown bearer token (code unauthorized)",
    "403": "Another department's notices (code forbidden)",
    "404": "Unknown subject (subject_not_found) or list (unknown_list)",
    "503": "Redis (store_unavailable) or the audit trail (audit_unavailable) is unavailable",
}


def _operation(summary: str, ok: str, params: list[S], errors: tuple[str, ...]) -> S:
    error = {"content": {"application/json": {"schema": ref("Error")}}}
    responses: S = {
        "200": {"description": "OK", "content": {"application/json": {"schema": ref(ok)}}}
    }
    responses.update({code: {"description": _ERRORS[code], **error} for code in errors})
    return {
        "summary": summary,
        "parameters": params,
        "responses": responses,
        "security": [{"bearer": []}],
    }


def _param(name: str, where: str, schema: S, description: str, required: bool = False) -> S:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema,
        "description": description,
    }


SUBJECT_ID = _param(
    "subject_id",
    "path",
    {"type": "string", "pattern": "^[0-9A-Za-z]{8,20}$", "example": "91110108551385082Q"},
    "统一社会信用代码, 居民身份证号码, or another code of an organisation without a USCC",
)
PURPOSE = _param(
    "purpose",
    "query",
    {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "\\S", "example": "行政审批"},
    "Why the department checks (核查用途), e.g. 行政审批, 政府采购; written to the audit trail",
    required=True,
)
LIMIT = _param(
    "limit",
    "query",
    {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
    "Page size",
)
CURSOR = _param("cursor", "query", {"type": "string"}, "next_cursor of the previous page")


@cache
def openapi_document() -> S:
    subject_errors = ("400", "401", "404", "503")
    paths = {
        "/v1/subjects/{subject_id}": {
            "get": _operation(
                "Credit check: lists, grade and score, measures in force, records in publicity",
                "Subject",
                [SUBJECT_ID, PURPOSE],
                subject_errors,
            )
        },
        "/v1/subjects/{subject_id}/explain": {
            "get": _operation(
                "Why: records, rule, legal basis and end of each list membership and measure",
                "Explanation",
                [SUBJECT_ID, PURPOSE],
                subject_errors,
            )
        },
        "/v1/lists/{kind}": {
            "get": _operation(
                "Black or red list members, natural persons masked, paged by (since, subject id)",
                "ListPage",
                [
                    _param(
                        "kind", "path", {"type": "string", "enum": ["black", "red"]}, "The list"
                    ),
                    LIMIT,
                    CURSOR,
                ],
                ("400", "401", "404", "503"),
            )
        },
        "/v1/notices": {
            "get": _operation(
                "The calling department's notices by feedback status",
                "NoticePage",
                [
                    _param(
                        "department",
                        "query",
                        {"type": "string"},
                        "Must be the caller's own department (default)",
                    ),
                    _param(
                        "status",
                        "query",
                        {
                            "type": "string",
                            "enum": ["pending", "overdue", "answered"],
                            "default": "pending",
                        },
                        "Feedback status",
                    ),
                    LIMIT,
                    CURSOR,
                ],
                ("400", "401", "403", "503"),
            )
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "creditflow credit-check API",
            "version": "1",
            "description": (
                "信用核查 for departments. Every /v1 call needs a department's bearer token; "
                "every subject query is audited on credit.audit.v1 before it is answered. "
                'Every error is {"error": {"code", "message"}}.'
            ),
        },
        "paths": paths,
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
