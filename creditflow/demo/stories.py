"""One subject's life in the simulated city: its permits, penalties, repairs, designations and
objections, scheduled so that the platform's rules accept every one of them.

The schedule keeps the platform's timing rules: a repair comes after the minimum period
(``streams.rules.periods.earliest_repair``); an objection is filed weeks after the penalty's
notices went out and decided weeks later. And it keeps a margin (``MARGIN``) between a record
and a change the clock makes by itself (a designation expiring, three clean years completing):
the workers run a little behind the compressed clock, and a record that lands right at such a
change could be seen before or after it, which would change the notices from run to run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from creditflow.demo.catalog import COMMENDATIONS, PENALTIES, PERMITS, SERIOUS, for_kind
from creditflow.demo.records import RecordBuilder, Subject, last_day
from schemas.enums import PenaltyCategory, RepairRoute, RepairWay, SubjectKind
from schemas.events import Event, PenaltyImposed
from streams.policy import Policy
from streams.rules.calendar import add_years
from streams.rules.facts import PenaltyFact, fact_from_datum
from streams.rules.periods import earliest_repair, is_published

#: Simulated days kept between a record and a change the clock makes by itself.
MARGIN = timedelta(days=45)
#: Simulated days between steps that must be seen in order (penalty → objection → decision).
STEP = (30, 61)


@dataclass(frozen=True, slots=True)
class Odds:
    """How often each thing happens to a subject (per subject over the whole span)."""

    extra_permit: float = 0.35
    penalty: float = 0.16
    penalty_person: float = 0.10
    serious: float = 0.035
    serious_person: float = 0.015
    commendation: float = 0.07
    repair: float = 0.3
    blacklist_removal: float = 0.35
    objection: float = 0.12
    revoked: float = 0.35
    corrected: float = 0.1
    duplicate: float = 0.01


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A good event and the simulated day it is published on."""

    day: date
    event: Event


@dataclass
class Story:
    subject: Subject
    events: list[Scheduled] = field(default_factory=list)
    duplicates: list[Scheduled] = field(default_factory=list)
    penalties: list[PenaltyImposed] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)  # document numbers of revoked penalties
    clean_from: date | None = None  # when three clean years would complete


class StoryTeller:
    def __init__(
        self,
        rng: random.Random,
        builder: RecordBuilder,
        policy: Policy,
        *,
        first: date,
        last: date,
        odds: Odds | None = None,
    ) -> None:
        self.rng = rng
        self.builder = builder
        self.policy = policy
        self.first, self.last = first, last
        self.odds = odds or Odds()

    def at(self, day: date) -> datetime:
        """A time in office hours on ``day`` (local), as a UTC instant."""
        opening = datetime.combine(day, time(9), tzinfo=self.policy.tz)
        return (opening + timedelta(minutes=self.rng.randrange(8 * 60))).astimezone(UTC)

    def day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randrange(max(1, (last - first).days + 1)))

    def tell(self, subject: Subject) -> Story:
        story = Story(subject)
        person = subject.kind == SubjectKind.NATURAL_PERSON
        for _ in range(1 + (self.rng.random() < self.odds.extra_permit)):
            self._permit(story)
        first_known = min(s.day for s in story.events)
        story.clean_from = add_years(first_known, self.policy.three_year_clean.years)
        if self.rng.random() < (self.odds.penalty_person if person else self.odds.penalty):
            self._penalty(story, serious=False)
        if self.rng.random() < (self.odds.serious_person if person else self.odds.serious):
            self._penalty(story, serious=True)
        if self.rng.random() < self.odds.commendation:
            self._commendation(story, first_known)
        for scheduled in story.events:
            if self.rng.random() < self.odds.duplicate:
                # A department's retry: the same event (same id) again a few days later.
                day = scheduled.day + timedelta(days=self.rng.randrange(1, 6))
                if day <= self.last:
                    story.duplicates.append(Scheduled(day, scheduled.event))
        return story

    def _add(self, story: Story, day: date, make: Callable[[datetime], Event]) -> None:
        story.events.append(Scheduled(day, make(self.at(day))))

    def _permit(self, story: Story) -> None:
        kind = self.rng.choice(for_kind(PERMITS, story.subject.kind))
        day = self.day_between(self.first, self.last)
        self._add(story, day, lambda at: self.builder.permit(story.subject, kind, day, at))

    def _penalty_day(self, story: Story, latest: date) -> date | None:
        """A day for a penalty away from the day three clean years would complete."""
        for _ in range(20):
            day = self.day_between(self.first, latest)
            if story.clean_from is None or abs(day - story.clean_from) > MARGIN:
                return day
        return None

    def _penalty(self, story: Story, *, serious: bool) -> None:
        kinds = for_kind(SERIOUS if serious else PENALTIES, story.subject.kind)
        # A serious determination early enough that its removal or expiry falls in the span.
        latest = self.first + (self.last - self.first) * 7 // 10 if serious else self.last
        day = self._penalty_day(story, latest)
        if not kinds or day is None:
            return
        kind = self.rng.choice(kinds)
        months = self.rng.choice((None, None, None, 24, 12)) if serious else None
        penalty = self.builder.penalty(story.subject, kind, day, self.at(day), months)
        story.events.append(Scheduled(day, penalty))
        story.penalties.append(penalty)
        fact = fact_from_datum("PenaltyImposed", penalty.model_dump(mode="python"))
        if not isinstance(fact, PenaltyFact) or not is_published(fact, self.policy):
            return
        resolved = day
        if self.rng.random() < self.odds.objection:
            resolved = self._objection(story, penalty, day)
        if penalty.document_number in story.revoked:
            return
        self._repair(story, penalty, fact, resolved, serious=serious, months=months)

    def _objection(self, story: Story, penalty: PenaltyImposed, day: date) -> date:
        """File an objection after the penalty's notices went out; decide it weeks later."""
        filed = day + timedelta(days=self.rng.randrange(*STEP))
        decided = filed + timedelta(days=self.rng.randrange(*STEP))
        if decided > self.last:
            return day
        roll = self.rng.random()
        can_correct = PenaltyCategory.FINE in penalty.categories and not penalty.serious_dishonesty
        if roll < self.odds.revoked:
            outcome = "REVOKED"
            story.revoked.add(penalty.document_number)
        elif roll < self.odds.revoked + self.odds.corrected and can_correct:
            outcome = "CORRECTED"
        else:
            outcome = "UPHELD"
        self._add(story, filed, lambda at: self.builder.objection(penalty, "FILED", filed, at))
        self._add(story, decided, lambda at: self.builder.objection(penalty, outcome, decided, at))
        return decided

    def _repair(
        self,
        story: Story,
        penalty: PenaltyImposed,
        fact: PenaltyFact,
        resolved: date,
        *,
        serious: bool,
        months: int | None,
    ) -> None:
        # A listing of 12 months ends when removal would first be allowed: nothing to repair.
        if serious and (months == 12 or self.rng.random() >= self.odds.blacklist_removal):
            return
        if not serious and self.rng.random() >= self.odds.repair:
            return
        route = RepairRoute.BLACKLIST_REMOVAL if serious else RepairRoute.PUBLICITY_ENDED_EARLY
        earliest, _rule = earliest_repair(fact, str(route), self.policy)
        day = max(earliest, resolved + timedelta(days=STEP[0])) + timedelta(
            days=self.rng.randrange(0, 90)
        )
        if day > self.last:
            return
        way = self.rng.choice(tuple(RepairWay))
        self._add(story, day, lambda at: self.builder.repair(penalty, route, way, day, at))

    def _commendation(self, story: Story, first_known: date) -> None:
        kinds = for_kind(COMMENDATIONS, story.subject.kind)
        if not kinds or any(p.serious_dishonesty for p in story.penalties):
            return
        kind = self.rng.choice(kinds)
        day = self.day_between(first_known, self.last)
        expires = last_day(day, kind.years) + timedelta(days=1)
        # Departments designate no subject punished in the year before; a penalty right after
        # a designation, or right at its expiry, would race the platform's own clock.
        for penalty in story.penalties:
            if -timedelta(days=365) <= penalty.decided_on - day <= MARGIN:
                return
            if abs(penalty.decided_on - expires) <= MARGIN:
                return
        self._add(story, day, lambda at: self.builder.commendation(story.subject, kind, day, at))
