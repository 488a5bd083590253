"""The simulated city of ``creditflow demo``: reproducible, valid, realistic, and its bad records
really bad — checked against the platform's own intake and rules, without Kafka or Redis."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from functools import cache

import pytest
from stdnum.cn import ric

from creditflow.demo.badrecords import BadRecord
from creditflow.demo.city import City, evening, simulate
from creditflow.demo.identities import DIVISIONS, RESIDENT_AREAS
from creditflow.demo.stories import Scheduled
from creditflow.departments import load_departments
from creditflow.topics import TopicNames
from schemas.codec import encode_model
from schemas.enums import SubjectKind
from schemas.events import CreditRepairDecided, ObjectionFiled, PenaltyImposed
from schemas.identifiers import validate_subject
from streams.intake import Accepted, Incoming, Rejected, accept
from streams.rules.facts import PenaltyFact, RepairFact
from streams.rules.periods import repair_problem
from tests.unit.rules_helpers import fact, policy

EVENTS = 4000
TOPICS = TopicNames()


@cache
def city(seed: int = 3, events: int = EVENTS) -> City:
    return simulate(seed, events, load_departments(), policy())


def good(c: City) -> list[Scheduled]:
    return [item for item in c.timeline if isinstance(item, Scheduled)]


def _fingerprint(c: City) -> list[tuple[str, str, bytes]]:
    return [
        (
            str(i.day),
            type(i).__name__,
            encode_model(i.event) if isinstance(i, Scheduled) else i.value,
        )
        for i in c.timeline
    ]


def test_the_same_seed_gives_the_same_city_event_for_event() -> None:
    again = simulate(3, EVENTS, load_departments(), policy())
    assert [s.id for s in again.subjects] == [s.id for s in city().subjects]
    assert _fingerprint(again) == _fingerprint(city())


def test_another_seed_gives_another_city() -> None:
    other = simulate(4, EVENTS, load_departments(), policy())
    assert {s.id for s in other.subjects}.isdisjoint({s.id for s in city().subjects})


def test_about_as_many_events_as_asked() -> None:
    assert EVENTS <= len(city().timeline) <= EVENTS + 10


def test_every_subject_has_a_valid_taizhou_identifier() -> None:
    for subject in city().subjects:
        assert validate_subject(subject.kind, subject.id) == subject.id
        if subject.kind == SubjectKind.NATURAL_PERSON:
            assert subject.id[:6] in RESIDENT_AREAS
            assert ric.get_birth_date(subject.id).year >= 1997
        else:
            prefix = "92" if subject.kind == SubjectKind.INDIVIDUAL_BUSINESS else "91"
            assert subject.id.startswith(prefix)
            assert subject.id[2:8] in DIVISIONS
            assert not ric.is_valid(subject.id)  # never mistaken for personal information


def test_subject_kinds_in_realistic_shares() -> None:
    kinds = Counter(s.kind for s in city().subjects)
    total = sum(kinds.values())
    assert 0.5 < kinds[SubjectKind.LEGAL_PERSON] / total < 0.75
    assert 0.1 < kinds[SubjectKind.INDIVIDUAL_BUSINESS] / total < 0.35
    assert 0.08 < kinds[SubjectKind.NATURAL_PERSON] / total < 0.25


def test_many_permits_fewer_penalties_few_serious() -> None:
    c = city()
    distinct = {item.event.event_id: item.event for item in good(c)}  # without the resent ones
    kinds = Counter(type(event).__name__ for event in distinct.values())
    total = sum(kinds.values())
    assert kinds["PermitGranted"] / total > 0.6
    assert 0.05 < kinds["PenaltyImposed"] / total < 0.2
    serious = {i.event.subject_id for i in good(c) if _serious(i)}
    assert 0.01 < len(serious) / len(c.subjects) < 0.06
    assert kinds["CommendationDesignated"] > 0
    assert kinds["CreditRepairDecided"] > 0
    decided = kinds["ObjectionUpheld"] + kinds["ObjectionRevoked"] + kinds["ObjectionCorrected"]
    assert kinds["ObjectionFiled"] == decided
    assert kinds["ObjectionUpheld"] > 0
    assert kinds["ObjectionRevoked"] > 0
    assert 0 < c.duplicates < 0.03 * total


def _serious(item: Scheduled) -> bool:
    return isinstance(item.event, PenaltyImposed) and item.event.serious_dishonesty is not None


def test_a_few_bad_records_of_every_kind() -> None:
    c = city()
    reasons = Counter(bad.reason_code for bad in c.bad)
    assert set(reasons) == {
        "invalid.uscc",
        "invalid.event",
        "invalid.resident_id",
        "invalid.department",
        "invalid.future",
        "invalid.key",
        "decode.not_single_object",
        "repair.before_minimum",
    }
    assert len(c.bad) < 0.01 * len(c.timeline)


def test_no_event_is_ahead_of_the_clock_it_is_published_under() -> None:
    tz = policy().tz
    for item in good(city()):
        assert item.event.occurred_at <= evening(item.day, tz)
        assert item.event.occurred_at >= evening(item.day, tz) - timedelta(days=6)


def test_the_platform_accepts_every_good_event() -> None:
    departments = load_departments()
    tz = policy().tz
    for item in good(city()):
        message = _message(item.event.topic_kind, item.event.subject_id.encode(), item)
        outcome = accept(message, TOPICS, departments, evening(item.day, tz))
        assert isinstance(outcome, Accepted), outcome


def _message(kind: str, key: bytes, item: Scheduled | BadRecord) -> Incoming:
    value = encode_model(item.event) if isinstance(item, Scheduled) else item.value
    return Incoming(TOPICS.event(kind), 0, 0, key, value)


@pytest.mark.parametrize("seed", [3, 5])
def test_the_platform_refuses_every_bad_record_for_the_reason_given(seed: int) -> None:
    c = city(seed)
    departments = load_departments()
    for bad in c.bad:
        if bad.reason_code == "repair.before_minimum":
            continue  # a valid event the rules refuse: see the next test
        message = _message(bad.topic_kind, bad.key, bad)
        outcome = accept(message, TOPICS, departments, evening(bad.day, policy().tz))
        assert isinstance(outcome, Rejected), bad.what
        assert outcome.reason_code == bad.reason_code, (bad.what, outcome.reason)


def _penalties(c: City) -> dict[tuple[str, str], PenaltyFact]:
    found = {}
    for item in good(c):
        if isinstance(item.event, PenaltyImposed):
            penalty = fact(item.event)
            assert isinstance(penalty, PenaltyFact)
            found[(penalty.ref.authority, penalty.ref.number)] = penalty
    return found


def test_early_repairs_are_refused_by_the_rules_and_the_others_accepted() -> None:
    c = city()
    penalties = _penalties(c)
    early = [b for b in c.bad if b.reason_code == "repair.before_minimum"]
    assert early
    for bad in early:
        message = _message(bad.topic_kind, bad.key, bad)
        outcome = accept(message, TOPICS, load_departments(), evening(bad.day, policy().tz))
        assert isinstance(outcome, Accepted)  # the contract holds; the rules refuse it
        repair = outcome.fact
        assert isinstance(repair, RepairFact)
        problem = repair_problem(
            repair, penalties[(repair.ref.authority, repair.ref.number)], policy()
        )
        assert problem is not None
        assert problem[0] == "repair.before_minimum"
    for item in good(c):
        if isinstance(item.event, CreditRepairDecided):
            repair = fact(item.event)
            assert isinstance(repair, RepairFact)
            record = penalties[(repair.ref.authority, repair.ref.number)]
            assert repair_problem(repair, record, policy()) is None


def test_objections_are_filed_weeks_after_the_penalty() -> None:
    c = city()
    penalties = _penalties(c)
    for item in good(c):
        if isinstance(item.event, ObjectionFiled):
            record = item.event.record
            penalty = penalties[(record.authority_uscc, record.document_number)]
            assert item.event.filed_on - penalty.decided_on >= timedelta(days=30)
