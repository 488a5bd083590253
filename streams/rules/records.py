"""The record set after objections: which version of each record stands, which are revoked,
which are under review, and which events wait for the record they name."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from streams.rules.facts import (
    CommendationFact,
    Fact,
    ObjectionFact,
    PenaltyFact,
    PermitFact,
    Ref,
    RepairFact,
)

Record = PenaltyFact | PermitFact | CommendationFact


@dataclass
class RecordSet:
    records: dict[Ref, Record] = field(default_factory=dict)
    revoked: dict[Ref, Record] = field(default_factory=dict)
    #: When each revoked record was revoked: the decision's time, so that the state does not
    #: change each time it is derived again (a rebuild must give the same state).
    revoked_at: dict[Ref, datetime] = field(default_factory=dict)
    under_review: set[Ref] = field(default_factory=set)
    repairs: dict[Ref, list[RepairFact]] = field(default_factory=lambda: defaultdict(list))
    waiting: list[str] = field(default_factory=list)


def unique(facts: Iterable[Fact]) -> list[Fact]:
    """One fact per event id (a redelivered event is the same event), in a stable order."""
    by_id: dict[str, Fact] = {}
    for fact in facts:
        known = by_id.get(fact.event_id)
        if known is None or fact.order > known.order:
            by_id[fact.event_id] = fact
    return sorted(by_id.values(), key=lambda f: f.order)


def resolve(facts: list[Fact]) -> RecordSet:
    """Apply objections to the records; order of arrival plays no part."""
    result = RecordSet()
    latest: dict[Ref, Record] = {}
    objections: dict[str, list[ObjectionFact]] = defaultdict(list)
    for fact in facts:
        if isinstance(fact, PenaltyFact | PermitFact | CommendationFact):
            known = latest.get(fact.ref)
            if known is None or fact.order > known.order:
                latest[fact.ref] = fact
        elif isinstance(fact, ObjectionFact):
            objections[fact.objection_id].append(fact)
        elif isinstance(fact, RepairFact):
            result.repairs[fact.ref].append(fact)
    revoked, corrections = _outcomes(objections, result.under_review)
    for ref, record in latest.items():
        if ref in revoked:
            result.revoked[ref] = record
            result.revoked_at[ref] = revoked[ref]
        elif ref in corrections:
            corrected = corrections[ref].corrected
            result.records[ref] = corrected if corrected is not None else record
        else:
            result.records[ref] = record
    for ref, repairs in result.repairs.items():
        if ref not in latest:
            result.waiting.extend(r.event_id for r in repairs)
    for steps in objections.values():
        result.waiting.extend(s.event_id for s in steps if s.ref not in latest)
    result.under_review &= set(result.records)
    return result


def _outcomes(
    objections: dict[str, list[ObjectionFact]], under_review: set[Ref]
) -> tuple[dict[Ref, datetime], dict[Ref, ObjectionFact]]:
    revoked: dict[Ref, datetime] = {}
    corrections: dict[Ref, ObjectionFact] = {}
    for steps in objections.values():
        decisions = [s for s in steps if s.step != "FILED"]
        if not decisions:
            under_review.update(s.ref for s in steps)
            continue
        final = max(decisions, key=lambda s: s.order)
        if final.step == "REVOKED":
            revoked[final.ref] = min(final.occurred_at, revoked.get(final.ref, final.occurred_at))
        elif final.step == "CORRECTED":
            known = corrections.get(final.ref)
            if known is None or final.order > known.order:
                corrections[final.ref] = final
    return revoked, corrections
