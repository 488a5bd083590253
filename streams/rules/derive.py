"""``derive(facts, policy, now)``: a subject's state as a pure function of its records.

The same set of facts gives the same state whatever the order or repetition of arrival.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from schemas.enums import ListKind, NoticeCause
from streams.policy import Policy
from streams.rules.calendar import add_years, end_of, local_day, start_of
from streams.rules.facts import CommendationFact, Fact, PenaltyFact, PermitFact
from streams.rules.measures import measures_in_force
from streams.rules.periods import listing, publicity, repair_problem
from streams.rules.records import RecordSet, resolve, unique
from streams.rules.state import Ended, Ignored, Listing, Published, SubjectState


class _Clock:
    """Collects the instants at which the state will change by itself."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.upcoming: list[datetime] = []

    def active(self, since: datetime, until: datetime | None) -> bool:
        for instant in (since, until):
            if instant is not None and instant > self.now:
                self.upcoming.append(instant)
        return since <= self.now and (until is None or self.now < until)

    def next(self) -> datetime | None:
        return min(self.upcoming, default=None)


def derive(facts: Iterable[Fact], policy: Policy, now: datetime) -> SubjectState:
    """The subject's state at ``now`` from its facts (any order, any repetition)."""
    ordered = unique(facts)
    if not ordered:
        return SubjectState(subject_kind="", subject_name="")
    latest = ordered[-1]
    records = resolve(ordered)
    clock = _Clock(now)
    published, listings, ended, adverse = _penalties(records, policy, clock)
    reds, red_ended = _designations(records, [since for since, _ in adverse], policy, clock)
    listings += reds
    ended += red_ended
    clean = _three_year_clean(records, [until for _, until in adverse], policy, clock)
    if clean is not None:
        listings.append(clean)
    listings.sort(key=lambda entry: (entry.list, entry.since, entry.ref or ""))
    measures = measures_in_force(listings, latest.subject_kind, policy, clock.active)
    score, grade = _score(published, listings, policy)
    return SubjectState(
        subject_kind=latest.subject_kind,
        subject_name=latest.subject_name,
        published=tuple(sorted(published, key=lambda p: (p.since, p.ref))),
        listings=tuple(listings),
        ended=tuple(sorted(ended, key=lambda e: (e.at, e.list, e.ref or ""))),
        measures=measures,
        score=score,
        grade=grade,
        next_change=clock.next(),
        ignored=_ignored(records, policy),
        waiting=tuple(sorted(records.waiting)),
    )


def _penalties(
    records: RecordSet, policy: Policy, clock: _Clock
) -> tuple[list[Published], list[Listing], list[Ended], list[tuple[datetime, datetime]]]:
    published: list[Published] = []
    listings: list[Listing] = []
    ended: list[Ended] = []
    # (since, until) of each adverse record: its start ends a red designation, its end starts
    # the three years of a clean record.
    adverse: list[tuple[datetime, datetime]] = []
    for ref, record in records.records.items():
        if not isinstance(record, PenaltyFact):
            continue
        repairs = records.repairs.get(ref, [])
        window = publicity(record, repairs, policy)
        if window is not None:
            adverse.append((window.since, window.until))
            if clock.active(window.since, window.until):
                severity = "serious" if record.serious else "ordinary"
                published.append(
                    Published(
                        ref, record.department_id, severity, window.since, window.until,
                        "repair" if window.cause == NoticeCause.REPAIRED else "expiry",
                        window.rule, record.legal_basis, record.violation_type,
                    )
                )  # fmt: skip
        listed = listing(record, repairs, policy)
        if listed is None or record.serious is None:
            continue
        adverse.append((listed.since, listed.until))
        if clock.active(listed.since, listed.until):
            listings.append(
                Listing(
                    ListKind.BLACK, record.department_id, listed.since, listed.until,
                    record.serious.legal_basis, listed.rule, ref=ref,
                    title=record.violation_type, under_objection=ref in records.under_review,
                )
            )  # fmt: skip
        elif clock.now >= listed.until:
            ended.append(Ended(ListKind.BLACK, ref, listed.cause, listed.until))
    for ref, record in records.revoked.items():
        at = records.revoked_at[ref]
        if isinstance(record, PenaltyFact) and record.serious is not None:
            ended.append(Ended(ListKind.BLACK, ref, NoticeCause.REVOKED, at))
        elif isinstance(record, CommendationFact):
            ended.append(Ended(ListKind.RED, ref, NoticeCause.REVOKED, at))
    return published, listings, ended, adverse


def _designations(
    records: RecordSet, adverse: list[datetime], policy: Policy, clock: _Clock
) -> tuple[list[Listing], list[Ended]]:
    listings: list[Listing] = []
    ended: list[Ended] = []
    for ref, record in records.records.items():
        if not isinstance(record, CommendationFact):
            continue
        since, until = start_of(record.valid_from, policy.tz), end_of(record.valid_until, policy.tz)
        cause = NoticeCause.EXPIRED
        if policy.red_list.ended_by_penalty:
            first = min((a for a in adverse if since <= a < until), default=None)
            if first is not None:
                until, cause = first, NoticeCause.ENDED_BY_PENALTY
        if clock.active(since, until):
            listings.append(
                Listing(
                    ListKind.RED, record.department_id, since, until,
                    f"{record.title} ({record.designation})", "red_list: designation validity",
                    ref=ref, title=record.title, under_objection=ref in records.under_review,
                )
            )  # fmt: skip
        elif clock.now >= until:
            ended.append(Ended(ListKind.RED, ref, cause, until))
    return listings, ended


def _three_year_clean(
    records: RecordSet, adverse_ends: list[datetime], policy: Policy, clock: _Clock
) -> Listing | None:
    """连续三年无不良信用记录: known for the whole period, with no adverse record on file
    (in publicity or listed) at any time within it."""
    known = [_first_day(record, policy) for record in records.records.values()]
    if not known:
        return None
    base = max([*adverse_ends, min(known)])
    years = policy.three_year_clean.years
    since = start_of(add_years(local_day(base, policy.tz), years), policy.tz)
    if not clock.active(since, None):
        return None
    return Listing(
        ListKind.THREE_YEAR_CLEAN,
        policy.three_year_clean.initiating_department,
        since,
        None,
        "连续三年无不良信用记录",
        f"three_year_clean.years={years}",
    )


def _first_day(record: PenaltyFact | PermitFact | CommendationFact, policy: Policy) -> datetime:
    day = record.valid_from if isinstance(record, CommendationFact) else record.decided_on
    return start_of(day, policy.tz)


def _score(published: list[Published], listings: list[Listing], policy: Policy) -> tuple[int, str]:
    rules = policy.score
    score = rules.base
    score += sum(
        rules.serious_penalty if p.severity == "serious" else rules.ordinary_penalty
        for p in published
    )
    kinds = [entry.list for entry in listings]
    score += rules.black_listed if ListKind.BLACK in kinds else 0
    score += rules.commendation * kinds.count(ListKind.RED)
    score += rules.three_year_clean if ListKind.THREE_YEAR_CLEAN in kinds else 0
    score = max(rules.minimum, min(rules.maximum, score))
    grade = next(g.grade for g in rules.grades if score >= g.min_score)
    return score, grade


def _ignored(records: RecordSet, policy: Policy) -> tuple[Ignored, ...]:
    ignored = []
    for ref, repairs in records.repairs.items():
        record = records.records.get(ref)
        if record is None:
            continue
        for repair in repairs:
            problem = repair_problem(repair, record, policy)
            if problem is not None:
                ignored.append(Ignored(repair.event_id, *problem))
    return tuple(sorted(ignored, key=lambda i: i.event_id))
