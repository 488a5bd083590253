"""Facts: the parts of a subject's events that the rules read, built from decoded Avro data.

The store keeps each event's Avro bytes; a fact is made from the decoded datum (field names of
``schemas/avro``) without re-running the model's validation, which passed on the way in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from schemas.enums import ListKind


@dataclass(frozen=True, slots=True, order=True)
class Ref:
    """A record: its deciding authority's USCC and its document number."""

    authority: str
    number: str

    def __str__(self) -> str:
        return f"{self.number} ({self.authority})"


@dataclass(frozen=True, slots=True)
class Determination:
    conduct: str
    legal_basis: str
    listing_months: int | None


@dataclass(frozen=True, slots=True)
class _Base:
    event_id: str
    occurred_at: datetime
    department_id: str
    subject_kind: str
    subject_name: str

    @property
    def order(self) -> tuple[datetime, str]:
        """Total order among versions of one thing: later decision wins, then event id."""
        return (self.occurred_at, self.event_id)


@dataclass(frozen=True, slots=True)
class PenaltyFact(_Base):
    ref: Ref
    decided_on: date
    categories: frozenset[str]
    domain: str
    simplified_procedure: bool
    publicity_until: date | None
    serious: Determination | None
    legal_basis: str
    violation_type: str


@dataclass(frozen=True, slots=True)
class PermitFact(_Base):
    ref: Ref
    decided_on: date
    valid_from: date
    valid_until: date
    valid: bool
    title: str


@dataclass(frozen=True, slots=True)
class RepairFact(_Base):
    ref: Ref
    route: str
    way: str
    decided_on: date
    decision_number: str


@dataclass(frozen=True, slots=True)
class CommendationFact(_Base):
    ref: Ref
    title: str
    designation: str
    valid_from: date
    valid_until: date


@dataclass(frozen=True, slots=True)
class ObjectionFact(_Base):
    objection_id: str
    ref: Ref
    step: str  # FILED, UPHELD, CORRECTED, REVOKED
    on: date
    corrected: PenaltyFact | PermitFact | None = None


Fact = PenaltyFact | PermitFact | RepairFact | CommendationFact | ObjectionFact

#: The list each kind of record can put a subject on, for explanations.
LIST_OF = {PenaltyFact: ListKind.BLACK, CommendationFact: ListKind.RED}


def _base(datum: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "event_id": str(datum["event_id"]),
        "occurred_at": datum["occurred_at"],
        "department_id": datum["department_id"],
        "subject_kind": str(datum["subject_kind"]),
        "subject_name": datum["subject_name"],
    }


def _ref(datum: Mapping[str, Any]) -> Ref:
    return Ref(datum["authority_uscc"], datum["document_number"])


def _penalty(datum: Mapping[str, Any]) -> PenaltyFact:
    serious = datum.get("serious_dishonesty")
    return PenaltyFact(
        **_base(datum),
        ref=_ref(datum),
        decided_on=datum["decided_on"],
        categories=frozenset(str(c) for c in datum["categories"]),
        domain=str(datum.get("domain") or "GENERAL"),
        simplified_procedure=bool(datum.get("simplified_procedure", False)),
        publicity_until=datum.get("publicity_until"),
        serious=None
        if serious is None
        else Determination(
            str(serious["conduct"]), serious["legal_basis"], serious.get("listing_months")
        ),
        legal_basis=datum["legal_basis"],
        violation_type=datum["violation_type"],
    )


def _permit(datum: Mapping[str, Any]) -> PermitFact:
    return PermitFact(
        **_base(datum),
        ref=_ref(datum),
        decided_on=datum["decided_on"],
        valid_from=datum["valid_from"],
        valid_until=datum["valid_until"],
        valid=str(datum.get("status", "VALID")) == "VALID",
        title=datum["document_name"],
    )


def _repair(datum: Mapping[str, Any]) -> RepairFact:
    record = datum["record"]
    return RepairFact(
        **_base(datum),
        ref=Ref(record["authority_uscc"], record["document_number"]),
        route=str(datum["route"]),
        way=str(datum["way"]),
        decided_on=datum["decided_on"],
        decision_number=datum["decision_number"],
    )


def _commendation(datum: Mapping[str, Any]) -> CommendationFact:
    return CommendationFact(
        **_base(datum),
        ref=_ref(datum),
        title=datum["title"],
        designation=str(datum["designation"]),
        valid_from=datum["valid_from"],
        valid_until=datum["valid_until"],
    )


_STEPS = {
    "ObjectionFiled": ("FILED", "filed_on"),
    "ObjectionUpheld": ("UPHELD", "decided_on"),
    "ObjectionCorrected": ("CORRECTED", "decided_on"),
    "ObjectionRevoked": ("REVOKED", "decided_on"),
}


def _objection(name: str, datum: Mapping[str, Any], corrected: Fact | None) -> ObjectionFact:
    step, day = _STEPS[name]
    record = datum["record"]
    if corrected is not None and not isinstance(corrected, PenaltyFact | PermitFact):
        corrected = None
    return ObjectionFact(
        **_base(datum),
        objection_id=datum["objection_id"],
        ref=Ref(record["authority_uscc"], record["document_number"]),
        step=step,
        on=datum[day],
        corrected=corrected,
    )


def fact_from_datum(
    name: str, datum: Mapping[str, Any], corrected: Mapping[str, Any] | None = None
) -> Fact | None:
    """The fact an event states, or None for events that are not subject records (feedback).

    ``corrected`` is the decoded ``corrected_record`` of an ObjectionCorrected, as
    ``{"name": ..., "datum": ...}``; decoding it is the caller's (the rules do no decoding).
    """
    if name == "PenaltyImposed":
        return _penalty(datum)
    if name == "PermitGranted":
        return _permit(datum)
    if name == "CreditRepairDecided":
        return _repair(datum)
    if name == "CommendationDesignated":
        return _commendation(datum)
    if name in _STEPS:
        inner = (
            fact_from_datum(corrected["name"], corrected["datum"])
            if corrected is not None
            else None
        )
        return _objection(name, datum, inner)
    return None
