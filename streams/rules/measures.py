"""Which measures of the measures list are in force, for which implementing department."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from schemas.enums import ListKind
from streams.policy import Measure, Policy
from streams.rules.calendar import add_months, local_day, start_of
from streams.rules.state import Listing, MeasureInForce

Active = Callable[[datetime, datetime | None], bool]


def measures_in_force(
    listings: list[Listing], subject_kind: str, policy: Policy, active: Active
) -> tuple[MeasureInForce, ...]:
    """One entry per (measure, implementing department) for each list the subject is on.

    Several entries on one list (two listings, two designations) make one measure: it starts
    with the earliest, lasts until the latest ends, and rests on all their records. It is
    suspended only while every record it rests on is under objection.
    """
    measures: list[MeasureInForce] = []
    for kind in ListKind:
        entries = [entry for entry in listings if entry.list == kind]
        if not entries:
            continue
        first = min(entries, key=lambda entry: (entry.since, entry.ref or ""))
        until = (
            None
            if any(entry.until is None for entry in entries)
            else max(entry.until for entry in entries if entry.until is not None)
        )
        records = tuple(sorted({entry.ref for entry in entries if entry.ref is not None}))
        suspended = all(entry.under_objection for entry in entries)
        for measure in policy.measures:
            if measure.list != kind or not measure.applies_to(subject_kind):
                continue
            measure_until = _until(measure, first.since, until, policy)
            if not active(first.since, measure_until):
                continue
            measures.extend(
                MeasureInForce(
                    measure.id, measure.name, department, kind, measure.mandatory,
                    measure.legal_basis, first.department_id, first.since, measure_until,
                    records, suspended,
                )
                for department in measure.departments
            )  # fmt: skip
    return tuple(sorted(measures, key=lambda m: m.key))


def _until(
    measure: Measure, since: datetime, until: datetime | None, policy: Policy
) -> datetime | None:
    if measure.period_months is None:
        return until
    end = start_of(add_months(local_day(since, policy.tz), measure.period_months), policy.tz)
    return end if until is None else min(end, until)
