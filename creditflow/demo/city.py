"""The simulated city: a seeded, reproducible year-by-year stream of its departments' records.

``simulate(seed, events)`` gives the same city, the same events (ids included) and the same bad
records for the same arguments. What it expects the platform to hold afterwards — every good
record stored once, every bad record dead-lettered with its reason — comes with it, so that the
demo can check the platform's end state against what was sent.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import groupby

from creditflow.demo import identities as ids
from creditflow.demo.badrecords import BadRecord, BadRecords
from creditflow.demo.records import RecordBuilder, Subject
from creditflow.demo.stories import Odds, Scheduled, StoryTeller
from creditflow.departments import DepartmentRegistry
from schemas.enums import SubjectKind
from schemas.events import PenaltyImposed
from streams.policy import Policy

FIRST_DAY = date(2022, 1, 1)
#: The simulated clock stands at this local time while a day's records are published: after
#: every decision of the day (office hours end at 17:00), so none is in the platform's future.
EVENING = time(18)
YEARS = 3
#: Share of bad records among the events (at least one of each kind).
BAD_SHARE = 0.004
#: Subject kinds and their shares: companies, individual businesses (个体工商户), residents.
KIND_SHARES = (
    (SubjectKind.LEGAL_PERSON, 0.62),
    (SubjectKind.INDIVIDUAL_BUSINESS, 0.22),
    (SubjectKind.NATURAL_PERSON, 0.16),
)

Item = Scheduled | BadRecord


@dataclass
class City:
    seed: int
    first: date
    last: date
    subjects: list[Subject]
    timeline: list[Item]  # in publishing order: by day, good and bad mixed
    bad: list[BadRecord]
    duplicates: int
    stories: Counter[str] = field(default_factory=Counter)

    def days(self) -> Iterator[tuple[date, list[Item]]]:
        """Each day of the span with what is published on it (days without any included)."""
        by_day = {day: list(items) for day, items in groupby(self.timeline, key=lambda i: i.day)}
        day = self.first
        while day <= self.last:
            yield day, by_day.get(day, [])
            day += timedelta(days=1)

    def expected_events(self) -> dict[str, set[str]]:
        """Per subject, the event ids the platform must store: every good record, once."""
        expected: dict[str, set[str]] = {s.id: set() for s in self.subjects}
        for item in self.timeline:
            if isinstance(item, Scheduled):
                expected[item.event.subject_id].add(str(item.event.event_id))
        return expected

    @property
    def serious(self) -> int:
        """Penalties with a serious-dishonesty determination (each once)."""
        return len(
            {
                item.event.event_id
                for item in self.timeline
                if isinstance(item, Scheduled)
                and isinstance(item.event, PenaltyImposed)
                and item.event.serious_dishonesty is not None
            }
        )

    @property
    def good(self) -> int:
        return sum(1 for item in self.timeline if isinstance(item, Scheduled))


def evening(day: date, tz: tzinfo) -> datetime:
    """The instant the clock shows while ``day``'s records are published."""
    return datetime.combine(day, EVENING, tzinfo=tz).astimezone(UTC)


def new_subject(rng: random.Random) -> Subject:
    """A subject of the simulated city, by the city's shares of kinds and its identifiers."""
    kind = rng.choices([k for k, _ in KIND_SHARES], [w for _, w in KIND_SHARES])[0]
    division = rng.choice(tuple(ids.DIVISIONS))
    if kind == SubjectKind.NATURAL_PERSON:
        return Subject(ids.resident_id(rng), kind, ids.person_name(rng))
    if kind == SubjectKind.INDIVIDUAL_BUSINESS:
        uscc = ids.individual_business_uscc(rng, division)
        return Subject(uscc, kind, ids.shop_name(rng, division), ids.person_name(rng))
    uscc = ids.enterprise_uscc(rng, division)
    return Subject(uscc, kind, ids.company_name(rng, division), ids.person_name(rng))


def simulate(
    seed: int,
    events: int,
    departments: DepartmentRegistry,
    policy: Policy,
    *,
    first: date = FIRST_DAY,
    years: int = YEARS,
    odds: Odds | None = None,
) -> City:
    """A city whose departments publish about ``events`` records over ``years`` years."""
    rng = random.Random(seed)
    last = first.replace(year=first.year + years) - timedelta(days=1)
    builder = RecordBuilder(departments, rng)
    teller = StoryTeller(rng, builder, policy, first=first, last=last, odds=odds)
    factory = BadRecords(rng, builder, teller)
    n_bad = max(len(factory.kinds), round(events * BAD_SHARE))
    subjects: list[Subject] = []
    good: list[Scheduled] = []
    duplicates: list[Scheduled] = []
    stories: Counter[str] = Counter()
    seen: set[str] = set()
    while len(good) + len(duplicates) < events - n_bad:
        subject = new_subject(rng)
        if subject.id in seen:
            continue
        seen.add(subject.id)
        story = teller.tell(subject)
        subjects.append(subject)
        good += story.events
        duplicates += story.duplicates
        stories.update(type(s.event).__name__ for s in story.events)
    bad = _bad_records(rng, factory, good, n_bad)
    timeline: list[Item] = [*good, *duplicates, *bad]
    # Stable order within a day: by decision time, bad records among the good ones.
    timeline.sort(key=lambda item: (item.day, _instant(item)))
    return City(seed, first, last, subjects, timeline, bad, len(duplicates), stories)


def _instant(item: Item) -> str:
    if isinstance(item, Scheduled):
        return f"{item.event.occurred_at.isoformat()}|{item.event.event_id}"
    return f"~{item.value.hex()[-32:]}"


def _bad_records(
    rng: random.Random, factory: BadRecords, good: list[Scheduled], count: int
) -> list[BadRecord]:
    """``count`` bad records, of each kind in turn, each made from a random good record."""
    made: list[BadRecord] = []
    misses = 0
    while len(made) < count:
        kind = factory.kinds[(len(made) + misses) % len(factory.kinds)]
        tries = (kind(rng.choice(good)) for _ in range(100))
        record = next((r for r in tries if r is not None), None)
        if record is not None:
            made.append(record)
        else:
            misses += 1
            if misses > len(factory.kinds):
                raise ValueError("the city is too small to make its bad records: ask for more")
    return made
