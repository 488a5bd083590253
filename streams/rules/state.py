"""What the rules derive for one subject: lists, records in publicity, measures, score."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from schemas.enums import ListKind, NoticeCause
from streams.rules.facts import Ref


@dataclass(frozen=True, slots=True)
class Published:
    """A penalty in publicity (公示), and why it ends when it does."""

    ref: Ref
    department_id: str
    severity: str  # ordinary | serious
    since: datetime
    until: datetime
    ends_by: str  # expiry | repair
    rule: str  # the policy entry that set the period
    legal_basis: str
    violation_type: str


@dataclass(frozen=True, slots=True)
class Listing:
    """One entry on a list: what put the subject there, who, from when to when, on what basis."""

    list: ListKind
    department_id: str  # the determining (认定) or designating department
    since: datetime
    until: datetime | None  # None: open-ended (three-year-clean)
    legal_basis: str
    rule: str
    ref: Ref | None = None
    title: str = ""
    under_objection: bool = False


@dataclass(frozen=True, slots=True)
class Ended:
    """A list entry that has ended, with the cause: what lift notices report."""

    list: ListKind
    ref: Ref | None
    cause: NoticeCause
    at: datetime


@dataclass(frozen=True, slots=True)
class MeasureInForce:
    measure_id: str
    name: str
    department_id: str  # implementing department
    list: ListKind
    mandatory: bool
    legal_basis: str
    initiating_department_id: str
    since: datetime
    until: datetime | None
    records: tuple[Ref, ...]
    suspended: bool  # every record it rests on is under objection

    @property
    def key(self) -> tuple[str, str]:
        return (self.measure_id, self.department_id)


@dataclass(frozen=True, slots=True)
class Ignored:
    """An event kept in the record set that has no effect, and why (for explanations)."""

    event_id: str
    reason_code: str
    reason: str


@dataclass(frozen=True, slots=True)
class SubjectState:
    subject_kind: str
    subject_name: str
    published: tuple[Published, ...] = ()
    listings: tuple[Listing, ...] = ()
    ended: tuple[Ended, ...] = ()
    measures: tuple[MeasureInForce, ...] = ()
    score: int = 0
    grade: str = ""
    next_change: datetime | None = None
    ignored: tuple[Ignored, ...] = ()
    waiting: tuple[str, ...] = field(default=())  # event ids waiting for the record they name

    def on(self, kind: ListKind) -> bool:
        return any(listing.list == kind for listing in self.listings)

    def listed(self, kind: ListKind) -> tuple[Listing, ...]:
        return tuple(listing for listing in self.listings if listing.list == kind)
