"""The component schemas of the API's OpenAPI document: one per answer shape.

They are the field names of ``streams.api.views`` and of the subject snapshot
(``streams.snapshot.state_to_dict``): change them together.
"""

from __future__ import annotations

from typing import Any

S = dict[str, Any]


def ref(name: str) -> S:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(props: dict[str, S], nullable: tuple[str, ...] = ()) -> S:
    for name in nullable:
        props[name] = {**props[name], "nullable": True}
    return {"type": "object", "required": sorted(props), "properties": props}


def _nullable(schema: S) -> S:
    # OpenAPI 3.0: a $ref cannot carry siblings, so wrap it.
    return (
        {"allOf": [schema], "nullable": True} if "$ref" in schema else {**schema, "nullable": True}
    )


STR: S = {"type": "string"}
BOOL: S = {"type": "boolean"}
INT: S = {"type": "integer"}
TIME: S = {"type": "string", "format": "date-time"}
LIST_KIND: S = {"type": "string", "enum": ["BLACK", "RED", "THREE_YEAR_CLEAN"]}
KIND: S = {"type": "string", "enum": ["LEGAL_PERSON", "INDIVIDUAL_BUSINESS", "NATURAL_PERSON"]}


def component_schemas() -> dict[str, S]:
    record_ref = _obj({"authority_uscc": STR, "document_number": STR})
    publicity = _obj(
        {
            "record": ref("RecordRef"),
            "department_id": STR,
            "severity": {"type": "string", "enum": ["ordinary", "serious"]},
            "since": TIME,
            "until": TIME,
            "ends_by": STR,
            "rule": STR,
            "legal_basis": STR,
            "violation_type": STR,
        }
    )
    listing = _obj(
        {
            "list": LIST_KIND,
            "department_id": STR,
            "since": TIME,
            "until": TIME,
            "legal_basis": STR,
            "rule": STR,
            "record": _nullable(ref("RecordRef")),
            "title": STR,
            "under_objection": BOOL,
        },
        nullable=("until",),
    )
    measure = _obj(
        {
            "measure_id": STR,
            "name": STR,
            "department_id": STR,
            "list": LIST_KIND,
            "mandatory": BOOL,
            "legal_basis": STR,
            "initiating_department_id": STR,
            "since": TIME,
            "until": TIME,
            "records": {"type": "array", "items": ref("RecordRef")},
            "suspended": BOOL,
        },
        nullable=("until",),
    )
    identity = {"subject_id": STR, "subject_kind": KIND, "subject_name": STR}
    subject = _obj(
        {
            **identity,
            "black_list": BOOL,
            "red_list": BOOL,
            "three_year_clean": BOOL,
            "grade": STR,
            "score": INT,
            "listings": {"type": "array", "items": ref("Listing")},
            "measures_in_force": {"type": "array", "items": ref("MeasureInForce")},
            "records_in_publicity": {"type": "array", "items": ref("RecordInPublicity")},
            "derived_at": TIME,
        }
    )
    basis = {
        "type": "array",
        "items": _obj(
            {"record": ref("RecordRef"), "publicity": _nullable(ref("RecordInPublicity"))}
        ),
    }
    policy_entry = _obj(
        {
            "measure_id": STR,
            "name": STR,
            "list": LIST_KIND,
            "mandatory": BOOL,
            "departments": {"type": "array", "items": STR},
            "legal_basis": STR,
            "period_months": INT,
            "subject_kinds": {"type": "array", "items": KIND},
        },
        nullable=("period_months",),
    )
    explained_listing = _obj(
        {
            **{k: v for k, v in listing["properties"].items() if k != "record"},
            "records": basis,
        }
    )
    explained_measure = _obj(
        {
            **{k: v for k, v in measure["properties"].items() if k != "records"},
            "records": basis,
            "policy": _nullable(ref("PolicyMeasure")),
        }
    )
    explanation = _obj(
        {
            **identity,
            "grade": STR,
            "score": INT,
            "listings": {"type": "array", "items": explained_listing},
            "measures": {"type": "array", "items": explained_measure},
            "records_in_publicity": {"type": "array", "items": ref("RecordInPublicity")},
            "derived_at": TIME,
        }
    )
    member = _obj(
        {"subject_id": STR, "subject_kind": KIND, "subject_name": STR, "since": TIME},
        nullable=("subject_kind",),
    )
    list_page = _obj(
        {
            "list": {"type": "string", "enum": ["black", "red"]},
            "total": INT,
            "items": {"type": "array", "items": ref("ListMember")},
            "next_cursor": STR,
        },
        nullable=("next_cursor",),
    )
    notice = _obj(
        {
            "notice_id": STR,
            "subject_id": STR,
            "subject_kind": KIND,
            "department_id": STR,
            "initiating_department_id": STR,
            "measure_id": STR,
            "action": STR,
            "cause": STR,
            "list": LIST_KIND,
            "status": {"type": "string", "enum": ["pending", "overdue", "answered"]},
            "created": TIME,
            "due": TIME,
            "feedback": STR,
            "answered": TIME,
        },
        nullable=("subject_kind", "feedback", "answered"),
    )
    notice_page = _obj(
        {
            "department": STR,
            "status": STR,
            "total": INT,
            "items": {"type": "array", "items": ref("Notice")},
            "next_cursor": STR,
        },
        nullable=("next_cursor",),
    )
    error = _obj({"error": _obj({"code": STR, "message": STR})})
    return {
        "Error": error,
        "RecordRef": record_ref,
        "RecordInPublicity": publicity,
        "Listing": listing,
        "MeasureInForce": measure,
        "Subject": subject,
        "PolicyMeasure": policy_entry,
        "Explanation": explanation,
        "ListMember": member,
        "ListPage": list_page,
        "Notice": notice,
        "NoticePage": notice_page,
    }
