"""The platform core end to end: real workers, real Kafka and Redis, a controlled clock.

Each test publishes as departments do and asserts what the departments receive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from creditflow.departments import load_departments
from schemas.catalog import decode_event
from schemas.notices import FeedbackRelayed, MeasureNotified
from streams.policy import load_policy
from streams.store.noticerecords import unpack_record
from tests import factories as f
from tests.integration.harness import Harness, random_uscc, running_platform, wait_for
from tests.unit.rules_helpers import at, local

pytestmark = pytest.mark.integration

POLICY = load_policy(None, load_departments())
BLACK = [
    (m.id, d)
    for m in POLICY.measures
    if str(m.list) == "BLACK" and m.applies_to("LEGAL_PERSON")
    for d in m.departments
]
RED = [
    (m.id, d)
    for m in POLICY.measures
    if str(m.list) == "RED" and m.applies_to("LEGAL_PERSON")
    for d in m.departments
]


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Harness]:
    with running_platform(tmp_path, at(2024, 3, 5)) as harness:
        yield harness


def measure_notices(
    h: Harness, pairs: list[tuple[str, str]], subject: str, expected: int
) -> list[MeasureNotified]:
    """Wait until ``expected`` notices about ``subject`` reached the departments of ``pairs``."""
    departments = sorted({d for _, d in pairs})

    def collected() -> list[MeasureNotified] | None:
        found = [
            n
            for d in departments
            for n in h.notices(d, subject, 0.1)
            if isinstance(n, MeasureNotified)
        ]
        return found if len(found) >= expected else None

    return wait_for(collected, 60, f"{expected} notices about {subject}")


def by_action(notices: list[MeasureNotified]) -> Counter[tuple[str, str, str]]:
    return Counter((str(n.action), n.measure_id, n.department_id) for n in notices)


def test_serious_penalty_lists_and_notifies_every_implementing_department(
    platform: Harness,
) -> None:
    subject = random_uscc()
    platform.publish(
        f.commendation(
            subject_id=subject, valid_from=date(2024, 1, 1), valid_until=date(2025, 12, 31)
        )
    )
    measure_notices(platform, RED, subject, len(RED))
    platform.publish(f.penalty(subject_id=subject, serious=True))
    notices = measure_notices(platform, BLACK + RED, subject, len(RED) + len(BLACK) + len(RED))
    counts = by_action(notices)
    assert {(m, d) for (a, m, d) in counts if a == "INITIATE" and m.startswith("B")} == set(BLACK)
    assert all(n == 1 for n in counts.values()), counts  # exactly one notice per measure and action
    assert {(m, d) for (a, m, d) in counts if a == "LIFT"} == set(RED)
    state = platform.state(subject)
    (listing,) = [entry for entry in state["listings"] if entry["list"] == "BLACK"]
    assert listing["until"] == local(date(2027, 3, 1)).isoformat().replace("+00:00", "Z")
    assert state["red_list"] is False
    assert state["black_list"] is True
    black = platform.redis.zscore(f"{platform.settings.redis_prefix}list:BLACK", subject)
    assert black is not None


def test_the_same_event_twice_changes_nothing(platform: Harness) -> None:
    subject = random_uscc()
    event = f.penalty(subject_id=subject, serious=True)
    platform.publish(event)
    first = measure_notices(platform, BLACK, subject, len(BLACK))
    version = platform.version(subject)
    platform.publish(event)
    platform.publish(f.permit(subject_id=subject))  # a marker processed after the duplicate
    wait_for(lambda: platform.version(subject) == version + 1, 30, "the marker to be applied")
    again = [n for d in {d for _, d in BLACK} for n in platform.notices(d, subject, 0.2)]
    assert len(again) == len(first)


def test_repair_before_the_minimum_is_dead_lettered_after_it_lifts(platform: Harness) -> None:
    subject = random_uscc()
    platform.publish(f.penalty(subject_id=subject, serious=True))
    measure_notices(platform, BLACK, subject, len(BLACK))
    platform.set_clock(at(2024, 12, 2))
    early = f.repair(
        subject_id=subject,
        route="BLACKLIST_REMOVAL",
        decided_on=date(2024, 12, 1),
        occurred_at=at(2024, 12, 1),
    )
    platform.publish(early)
    letter = wait_for(lambda: _dead_letter(platform, str(early.event_id)), 30, "the dead letter")
    assert letter.reason_code == "repair.before_minimum"
    assert "2025-03-01" in letter.reason
    platform.set_clock(at(2025, 3, 3))
    platform.publish(
        f.repair(
            subject_id=subject,
            route="BLACKLIST_REMOVAL",
            decided_on=date(2025, 3, 2),
            occurred_at=at(2025, 3, 2),
            decision_number="泰市监信修〔2025〕9号",
        )
    )
    notices = measure_notices(platform, BLACK, subject, 2 * len(BLACK))
    lifts = [n for n in notices if str(n.action) == "LIFT"]
    assert {(n.measure_id, n.department_id) for n in lifts} == set(BLACK)
    assert len(lifts) == len(BLACK)
    assert {str(n.cause) for n in lifts} == {"REPAIRED"}
    assert platform.state(subject)["black_list"] is False


def test_objection_suspends_revocation_erases_upholding_resumes(platform: Harness) -> None:
    revoked, upheld = random_uscc(), random_uscc()
    for subject in (revoked, upheld):
        platform.publish(f.penalty(subject_id=subject, serious=True))
    for subject in (revoked, upheld):
        # The objection follows the notices of the listing, as it does in life.
        measure_notices(platform, BLACK, subject, len(BLACK))
        platform.publish(f.objection_filed(subject_id=subject))
    for subject in (revoked, upheld):
        notices = measure_notices(platform, BLACK, subject, 2 * len(BLACK))
        assert Counter(str(n.action) for n in notices) == {
            "INITIATE": len(BLACK),
            "SUSPEND": len(BLACK),
        }
    platform.publish(f.objection_revoked(subject_id=revoked))
    platform.publish(f.objection_upheld(subject_id=upheld))
    lifted = measure_notices(platform, BLACK, revoked, 3 * len(BLACK))
    assert Counter(str(n.action) for n in lifted)["LIFT"] == len(BLACK)
    state = platform.state(revoked)
    assert (state["listings"], state["records_in_publicity"], state["measures_in_force"]) == (
        [],
        [],
        [],
    )
    resumed = measure_notices(platform, BLACK, upheld, 3 * len(BLACK))
    assert Counter(str(n.action) for n in resumed)["RESUME"] == len(BLACK)


def test_listing_ends_by_itself_when_the_clock_passes_it(platform: Harness) -> None:
    subject = random_uscc()
    platform.publish(f.penalty(subject_id=subject, serious=True))
    measure_notices(platform, BLACK, subject, len(BLACK))
    platform.set_clock(local(date(2027, 3, 1)) + timedelta(minutes=1))
    notices = measure_notices(platform, BLACK, subject, 2 * len(BLACK))
    lifts = [n for n in notices if str(n.action) == "LIFT"]
    assert len(lifts) == len(BLACK)
    assert {str(n.cause) for n in lifts} == {"EXPIRED"}


def test_feedback_is_relayed_and_silence_becomes_overdue(platform: Harness) -> None:
    subject = random_uscc()
    platform.publish(f.penalty(subject_id=subject, serious=True))
    notices = measure_notices(platform, BLACK, subject, len(BLACK))
    silent = "police" if any(d == "police" for _, d in BLACK) else "civilisation"
    for notice in notices:
        if notice.department_id != silent:
            platform.publish(
                f.feedback(
                    subject_id=subject,
                    department_id=notice.department_id,
                    notice_id=notice.notice_id,
                    occurred_at=at(2024, 3, 5, 11),
                )
            )
    answering = [n for n in notices if n.department_id != silent]

    def relayed() -> list[FeedbackRelayed] | None:
        found = [
            n
            for n in platform.notices("market-regulation", subject, 0.2)
            if isinstance(n, FeedbackRelayed)
        ]
        return found if len(found) >= len(answering) else None

    relays = wait_for(relayed, 60, "every feedback relayed to the initiating department")
    assert {r.notice_id for r in relays} == {n.notice_id for n in answering}
    assert {r.implementing_department_id for r in relays} == {n.department_id for n in answering}
    platform.set_clock(at(2024, 3, 20))  # past the 7-day deadline
    prefix = platform.settings.redis_prefix
    silent_notice = next(n for n in notices if n.department_id == silent)
    wait_for(
        lambda: platform.redis.zscore(
            f"{prefix}notices:overdue:{silent}", f"{subject}|{silent_notice.notice_id}"
        ),
        30,
        "the silent department's notice to be overdue",
    )
    record = unpack_record(
        platform.redis.hget(f"{prefix}{{{subject}}}:notices", silent_notice.notice_id)
    )
    assert record["status"] == "overdue"
    answered = unpack_record(
        platform.redis.hget(f"{prefix}{{{subject}}}:notices", answering[0].notice_id)
    )
    assert (answered["status"], answered["feedback"]) == ("answered", "EXECUTED")
    assert platform.redis.zcard(f"{prefix}notices:pending:{answering[0].department_id}") == 0


def test_feedback_for_an_unknown_notice_is_dead_lettered(platform: Harness) -> None:
    subject = random_uscc()
    answer = f.feedback(subject_id=subject, notice_id="n-doesnotexist", occurred_at=at(2024, 3, 5))
    platform.publish(answer)
    letter = wait_for(lambda: _dead_letter(platform, str(answer.event_id)), 30, "the dead letter")
    assert letter.reason_code == "feedback.unknown_notice"


def test_sigkill_between_batches_loses_and_repeats_nothing(platform: Harness) -> None:
    subjects = [random_uscc() for _ in range(30)]
    for subject in subjects[:15]:
        platform.publisher("market-regulation").penalty(f.penalty(subject_id=subject, serious=True))
    platform.publisher("market-regulation").flush()
    wait_for(
        lambda: all(platform.version(s) == 1 for s in subjects[:15]), 60, "the first half applied"
    )
    platform.workers[0].kill()
    for subject in subjects[15:]:
        platform.publisher("market-regulation").penalty(f.penalty(subject_id=subject, serious=True))
    platform.publisher("market-regulation").flush()
    platform.start_worker("w-restarted")
    departments = sorted({d for _, d in BLACK})
    expected = len(subjects) * len(BLACK)

    def all_notices() -> list[MeasureNotified] | None:
        found = [
            n
            for d in departments
            for n in platform.notices(d, None, 0.2)
            if isinstance(n, MeasureNotified) and n.subject_id in subjects
        ]
        return found if len({n.notice_id for n in found}) >= expected else None

    notices = wait_for(all_notices, 90, f"{expected} distinct notices")
    assert len({n.notice_id for n in notices}) == expected  # none lost, none with a new id
    per_pair = Counter(
        (n.subject_id, n.measure_id, n.department_id)
        for n in {n.notice_id: n for n in notices}.values()
    )
    assert set(per_pair.values()) == {1}
    assert all(platform.version(s) == 1 for s in subjects)  # each applied exactly once


def _dead_letter(h: Harness, event_id: str) -> object | None:
    topic = h.settings.topics.deadletter
    consumer = Consumer(
        {**h.settings.kafka_client_config(), "group.id": "dl-reader", "enable.auto.commit": False}
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        for _ in range(20):
            message = consumer.poll(0.2)
            if message is None or message.error():
                continue
            letter = decode_event(message.value())
            original = decode_event(letter.original_value) if letter.original_value else None
            if original is not None and str(original.event_id) == event_id:
                return letter
    finally:
        consumer.close()
    return None
