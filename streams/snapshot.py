"""JSON forms of derived state kept in Redis: the subject snapshot and what departments were told.

The rules' dataclasses stay free of serialization; these functions are their to/from-dict hooks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from schemas.enums import ListKind
from streams.rules.facts import Ref
from streams.rules.notices import Notified
from streams.rules.state import Listing, MeasureInForce, Published, SubjectState


def _ms(instant: datetime | None) -> int | None:
    return None if instant is None else int(instant.timestamp() * 1000)


def _instant(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat().replace("+00:00", "Z")


def _ref(ref: Ref | None) -> dict[str, str] | None:
    return None if ref is None else {"authority_uscc": ref.authority, "document_number": ref.number}


def measure_to_dict(m: MeasureInForce) -> dict[str, Any]:
    return {
        "measure_id": m.measure_id,
        "name": m.name,
        "department_id": m.department_id,
        "list": str(m.list),
        "mandatory": m.mandatory,
        "legal_basis": m.legal_basis,
        "initiating_department_id": m.initiating_department_id,
        "since": _ms(m.since),
        "until": _ms(m.until),
        "records": [[r.authority, r.number] for r in m.records],
        "suspended": m.suspended,
    }


def measure_from_dict(d: dict[str, Any]) -> MeasureInForce:
    since = _instant(d["since"])
    if since is None:
        raise ValueError("a measure needs its start")
    return MeasureInForce(
        d["measure_id"],
        d["name"],
        d["department_id"],
        ListKind(d["list"]),
        d["mandatory"],
        d["legal_basis"],
        d["initiating_department_id"],
        since,
        _instant(d["until"]),
        tuple(Ref(a, n) for a, n in d["records"]),
        d["suspended"],
    )


def told_to_json(told: dict[tuple[str, str], Notified]) -> bytes:
    return orjson.dumps(
        [
            {"status": n.status, "seq": n.seq, "measure": measure_to_dict(n.measure)}
            for n in told.values()
        ]
    )


def told_from_json(text: str | bytes | None) -> dict[tuple[str, str], Notified]:
    if not text:
        return {}
    told = {}
    for item in orjson.loads(text):
        measure = measure_from_dict(item["measure"])
        told[measure.key] = Notified(item["status"], item["seq"], measure)
    return told


def _listing(entry: Listing) -> dict[str, Any]:
    return {
        "list": str(entry.list),
        "department_id": entry.department_id,
        "since": _iso(entry.since),
        "until": _iso(entry.until),
        "legal_basis": entry.legal_basis,
        "rule": entry.rule,
        "record": _ref(entry.ref),
        "title": entry.title,
        "under_objection": entry.under_objection,
    }


def _published(p: Published) -> dict[str, Any]:
    return {
        "record": _ref(p.ref),
        "department_id": p.department_id,
        "severity": p.severity,
        "since": _iso(p.since),
        "until": _iso(p.until),
        "ends_by": p.ends_by,
        "rule": p.rule,
        "legal_basis": p.legal_basis,
        "violation_type": p.violation_type,
    }


def state_to_dict(subject_id: str, state: SubjectState, derived_at: datetime) -> dict[str, Any]:
    """The subject as the credit-check API shows it (stable field names)."""
    return {
        "subject_id": subject_id,
        "subject_kind": state.subject_kind,
        "subject_name": state.subject_name,
        "black_list": state.on(ListKind.BLACK),
        "red_list": state.on(ListKind.RED),
        "three_year_clean": state.on(ListKind.THREE_YEAR_CLEAN),
        "score": state.score,
        "grade": state.grade,
        "listings": [_listing(entry) for entry in state.listings],
        "records_in_publicity": [_published(p) for p in state.published],
        "measures_in_force": [
            {
                **measure_to_dict(m),
                "since": _iso(m.since),
                "until": _iso(m.until),
                "records": [_ref(r) for r in m.records],
            }
            for m in state.measures
        ],
        "ended": [
            {"list": str(e.list), "record": _ref(e.ref), "cause": str(e.cause), "at": _iso(e.at)}
            for e in state.ended
        ],
        "ignored": [
            {"event_id": i.event_id, "reason_code": i.reason_code, "reason": i.reason}
            for i in state.ignored
        ],
        "waiting": list(state.waiting),
        "next_change": _iso(state.next_change),
        "derived_at": _iso(derived_at),
    }


def next_change_ms(state: SubjectState) -> int | None:
    return _ms(state.next_change)


def listing_since_ms(state: SubjectState, kind: ListKind) -> int | None:
    return _ms(min((entry.since for entry in state.listed(kind)), default=None))
