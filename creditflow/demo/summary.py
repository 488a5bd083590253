"""The demo's summary: the platform's end state read back, checked against what was sent.

Every number comes from Redis, Kafka or the departments' subscribers; the city (the generator)
only supplies what was *sent*, to check against. A disagreement is a problem: the demo prints it
and exits non-zero.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field

from creditflow.demo.city import City
from creditflow.demo.readback import EndState
from creditflow.demo.responders import Tally
from creditflow.demo.tail import TopicCounts

SHOWN_EXAMPLES = 3


@dataclass
class DepartmentRow:
    notices: int = 0
    initiated: int = 0
    lifted: int = 0
    received: int = 0
    answered: int = 0
    late: int = 0
    overdue: int = 0
    pending: int = 0
    masked: int = 0


@dataclass
class Summary:
    sent: dict[str, int]
    stored: int
    feedback_applied: int
    rejected: Counter[str]
    lists: dict[str, int]
    actions: Counter[tuple[str, str, str]]
    departments: dict[str, DepartmentRow]
    examples: dict[str, str | None]
    problems: list[str] = field(default_factory=list)

    @property
    def initiated(self) -> Counter[str]:
        return _by(self.actions, "INITIATE", 0)

    @property
    def lifted(self) -> Counter[str]:
        return _by(self.actions, "LIFT", 2)

    def numbers(self) -> dict[str, object]:
        """What a run with the same seed must reproduce (the fingerprint is a hash of it)."""
        return {
            "sent": self.sent,
            "stored": self.stored,
            "rejected": dict(sorted(self.rejected.items())),
            "lists": self.lists,
            "notices": {"|".join(k): v for k, v in sorted(self.actions.items())},
            "departments": {d: row.notices for d, row in sorted(self.departments.items())},
        }

    def report(self) -> dict[str, object]:
        """Everything the summary says, for machines (``creditflow demo --json``)."""
        return {
            **self.numbers(),
            "fingerprint": self.fingerprint,
            "feedback_applied": self.feedback_applied,
            "initiated": dict(self.initiated),
            "lifted": dict(self.lifted),
            "feedback": {d: asdict(row) for d, row in sorted(self.departments.items())},
            "examples": self.examples,
            "problems": self.problems,
        }

    @property
    def fingerprint(self) -> str:
        text = json.dumps(self.numbers(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _by(actions: Counter[tuple[str, str, str]], action: str, part: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for key, n in actions.items():
        if key[1] == action:
            counts[key[part]] += n
    return counts


def summarise(
    city: City,
    state: EndState,
    topics: TopicCounts,
    tallies: dict[str, Tally],
    unknown_subjects: int,
) -> Summary:
    records = state.notices
    summary = Summary(
        sent={
            "good": city.good - city.duplicates,
            "duplicates": city.duplicates,
            "bad": len(city.bad),
            "subjects": len(city.subjects),
        },
        stored=sum(len(ids) for ids in state.stored.values()),
        feedback_applied=sum(row["answered"] for row in records.by_department.values()),
        rejected=Counter(topics.dead_letters),
        lists=dict(state.lists),
        actions=Counter(records.actions),
        departments=_departments(state, tallies),
        examples=_examples(state),
    )
    summary.problems = [
        *_check_stored(city, state, unknown_subjects),
        *_check_dead_letters(city, topics),
        *_check_notices(state, topics, tallies),
    ]
    return summary


def _departments(state: EndState, tallies: dict[str, Tally]) -> dict[str, DepartmentRow]:
    rows = {}
    for department, tally in tallies.items():
        counts = state.notices.by_department.get(department, Counter())
        rows[department] = DepartmentRow(
            notices=counts["notices"],
            initiated=len(state.notices.initiated.get(department, ())),
            lifted=tally.received["LIFT"],
            received=tally.notices,
            answered=counts["answered"],
            late=counts["late"],
            overdue=counts["overdue"],
            pending=counts["pending"],
            masked=tally.masked,
        )
    return rows


def _organisation_first(ids: list[str] | set[str]) -> str | None:
    ordered = sorted(ids, key=lambda sid: (not sid.startswith("9"), sid))
    return ordered[0] if ordered else None


def _examples(state: EndState) -> dict[str, str | None]:
    black = set(state.members.get("BLACK", []))
    repaired = state.notices.lifted.get("REPAIRED", set()) - black
    return {
        "black": _organisation_first(state.members.get("BLACK", [])),
        "red": _organisation_first(state.members.get("RED", [])),
        "repaired": _organisation_first(repaired),
    }


def _check_stored(city: City, state: EndState, unknown_subjects: int) -> list[str]:
    expected = city.expected_events()
    missing = {sid: ids - state.stored.get(sid, set()) for sid, ids in expected.items()}
    extra = {sid: state.stored.get(sid, set()) - ids for sid, ids in expected.items()}
    problems = []
    lost = {sid: ids for sid, ids in missing.items() if ids}
    if lost:
        example = next(iter(lost))
        problems.append(
            f"{sum(map(len, lost.values()))} good events of {len(lost)} subjects were not "
            f"stored (e.g. subject {example}: events {sorted(lost[example])[:3]})"
        )
    surplus = {sid: ids for sid, ids in extra.items() if ids}
    if surplus:
        problems.append(
            f"{sum(map(len, surplus.values()))} events stored that the city never sent as good "
            f"records (subjects {sorted(surplus)[:SHOWN_EXAMPLES]})"
        )
    if unknown_subjects:
        problems.append(f"{unknown_subjects} subjects in Redis that the city does not have")
    return problems


def _check_dead_letters(city: City, topics: TopicCounts) -> list[str]:
    expected = Counter(bad.reason_code for bad in city.bad)
    problems = []
    if topics.dead_letters != expected:
        problems.append(
            f"dead letters by reason {dict(sorted(topics.dead_letters.items()))} differ from the "
            f"bad records sent {dict(sorted(expected.items()))}"
        )
    good_ids = {eid for ids in city.expected_events().values() for eid in ids}
    wrongly = topics.dead_event_ids & good_ids
    if wrongly:
        problems.append(f"{len(wrongly)} good events were dead-lettered: {sorted(wrongly)[:3]}")
    if topics.unreadable:
        problems.append(f"{topics.unreadable} unreadable messages on the output topics")
    return problems


def _check_notices(state: EndState, topics: TopicCounts, tallies: dict[str, Tally]) -> list[str]:
    problems = []
    for department, tally in sorted(tallies.items()):
        initiated = state.notices.initiated.get(department, set())
        unseen = initiated - tally.seen()
        if unseen:
            problems.append(
                f"{len(unseen)} of {len(initiated)} INITIATE notices for {department} never "
                f"reached its subscriber (e.g. {sorted(unseen)[0]})"
            )
        recorded = state.notices.ids.get(department, set())
        on_topic = topics.notices.get(department, set())
        if recorded != on_topic:
            problems.append(
                f"{department}: {len(recorded)} notices recorded in Redis but {len(on_topic)} on "
                f"its topic ({len(recorded - on_topic)} missing, {len(on_topic - recorded)} extra)"
            )
        problems += [f"{department}'s subscriber: {error}" for error in tally.errors[:3]]
    return problems
