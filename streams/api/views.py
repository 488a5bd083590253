"""What the API answers, built from stored JSON without I/O: the subject, the explanation, a list
member and a notice as a department sees them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas.identifiers import mask_subject_id, mask_subject_name
from streams.policy import Policy


def iso_ms(ms: float | int | None) -> str | None:
    if ms is None:
        return None
    instant = datetime.fromtimestamp(float(ms) / 1000, UTC)
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def subject_view(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The credit check's answer: lists, grade and score, measures in force, records in
    publicity (full identity: only an authenticated department sees it)."""
    return {
        "subject_id": snapshot["subject_id"],
        "subject_kind": snapshot["subject_kind"],
        "subject_name": snapshot["subject_name"],
        "black_list": snapshot["black_list"],
        "red_list": snapshot["red_list"],
        "three_year_clean": snapshot["three_year_clean"],
        "grade": snapshot["grade"],
        "score": snapshot["score"],
        "listings": snapshot["listings"],
        "measures_in_force": snapshot["measures_in_force"],
        "records_in_publicity": snapshot["records_in_publicity"],
        "derived_at": snapshot["derived_at"],
    }


def _ref_key(ref: dict[str, Any] | None) -> tuple[str, str] | None:
    return None if ref is None else (ref["authority_uscc"], ref["document_number"])


def _records(refs: list[dict[str, Any] | None], published: dict[Any, Any]) -> list[Any]:
    """Each record a decision rests on, with its publicity where it is still published."""
    return [
        {"record": ref, "publicity": published.get(_ref_key(ref))}
        for ref in refs
        if ref is not None
    ]


def _policy_entry(policy: Policy, measure_id: str) -> dict[str, Any] | None:
    entry = policy.measure(measure_id)
    if entry is None:
        return None  # the policy changed since: the measure stays explained by its own fields
    return {
        "measure_id": entry.id,
        "name": entry.name,
        "list": str(entry.list),
        "mandatory": entry.mandatory,
        "departments": list(entry.departments),
        "legal_basis": entry.legal_basis,
        "period_months": entry.period_months,
        "subject_kinds": sorted(str(k) for k in entry.subject_kinds),
    }


def explain_view(snapshot: dict[str, Any], policy: Policy) -> dict[str, Any]:
    """Why the subject is where it is: per list membership and per measure in force, the records,
    the rule of the policy, the legal basis and until when (for a lawyer or an auditor)."""
    published = {_ref_key(p["record"]): p for p in snapshot["records_in_publicity"]}
    listings = [
        {
            "list": entry["list"],
            "department_id": entry["department_id"],
            "since": entry["since"],
            "until": entry["until"],
            "rule": entry["rule"],
            "legal_basis": entry["legal_basis"],
            "title": entry["title"],
            "under_objection": entry["under_objection"],
            "records": _records([entry["record"]], published),
        }
        for entry in snapshot["listings"]
    ]
    measures = [
        {
            "measure_id": m["measure_id"],
            "name": m["name"],
            "list": m["list"],
            "department_id": m["department_id"],
            "initiating_department_id": m["initiating_department_id"],
            "mandatory": m["mandatory"],
            "legal_basis": m["legal_basis"],
            "since": m["since"],
            "until": m["until"],
            "suspended": m["suspended"],
            "records": _records(m["records"], published),
            "policy": _policy_entry(policy, m["measure_id"]),
        }
        for m in snapshot["measures_in_force"]
    ]
    return {
        "subject_id": snapshot["subject_id"],
        "subject_kind": snapshot["subject_kind"],
        "subject_name": snapshot["subject_name"],
        "grade": snapshot["grade"],
        "score": snapshot["score"],
        "listings": listings,
        "measures": measures,
        "records_in_publicity": snapshot["records_in_publicity"],
        "derived_at": snapshot["derived_at"],
    }


def list_member(subject_id: str, kind: str, name: str, since_ms: float) -> dict[str, Any]:
    """A list page's entry: natural persons masked (个人信息保护法), like the public site."""
    return {
        "subject_id": mask_subject_id(kind, subject_id),
        "subject_kind": kind or None,
        "subject_name": mask_subject_name(kind, name),
        "since": iso_ms(since_ms),
    }


def notice_item(
    subject_id: str, kind: str, notice_id: str, record: dict[str, Any], personal: bool
) -> dict[str, Any]:
    """A notice as its department sees it: the subject masked unless the department is one that
    needs personal information (``departments.yaml``), as on its notice topic."""
    return {
        "notice_id": notice_id,
        "subject_id": subject_id if personal else mask_subject_id(kind, subject_id),
        "subject_kind": kind or None,
        "department_id": record["department"],
        "initiating_department_id": record["initiating"],
        "measure_id": record["measure"],
        "action": record["action"],
        "cause": record["cause"],
        "list": record["list"],
        "status": record["status"],
        "created": iso_ms(record["created"]),
        "due": iso_ms(record["due"]),
        "feedback": record.get("feedback"),
        "answered": iso_ms(record.get("answered")),
    }
