"""``state digest`` and ``state rebuild``: Redis rebuilt from the log equals Redis as the workers
left it (the Kafka log is the source of truth, DESIGN.md principle 7)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from creditflow.demo.readback import group_lag
from creditflow.demo.space import Space
from schemas.codec import encode_model
from schemas.identifiers import mask_resident_id, mask_subject_name
from streams.rebuild import EVENTS_HELD, active_workers, rebuild
from streams.rules.notices import notice_id
from streams.store.eventpacking import FORMAT_3, packed_with
from streams.store.noticerecords import unpack_record
from streams.store.packing import load_json
from tests import factories as f
from tests.conftest import RunCli
from tests.integration.harness import (
    Harness,
    random_uscc,
    running_platform,
    stored_events,
    wait_for,
)
from tests.unit.rules_helpers import at

pytestmark = pytest.mark.integration


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Harness]:
    with running_platform(tmp_path, at(2024, 7, 1)) as harness:
        yield harness


def drained(h: Harness) -> bool:
    """Every input message processed and committed, every notice and relay published."""
    outbox = int(h.redis.xlen(f"{h.settings.redis_prefix}outbox"))
    lag = group_lag(Space(h.settings, h.departments))
    return outbox == 0 and lag == 0


def suspended(h: Harness, subject: str) -> bool:
    measures = h.state(subject).get("measures_in_force", [])
    return bool(measures) and all(m["suspended"] for m in measures)


def notice_known(h: Harness, subject: str, nid: str) -> bool:
    return bool(h.redis.hexists(f"{h.settings.redis_prefix}{{{subject}}}:notices", nid))


def answer(h: Harness, subject: str, department: str, measure: str, shown: str) -> str:
    """Wait for the first notice of (measure, department) and answer it as the department."""
    nid = notice_id(subject, measure, department, 1)
    wait_for(lambda: notice_known(h, subject, nid), 60, f"notice {measure} to {department}")
    kind = "NATURAL_PERSON" if subject == f.PERSON else "LEGAL_PERSON"
    name = "张三" if subject == f.PERSON else "泰州某某有限公司"
    h.publish(
        f.feedback(
            subject_id=shown,
            subject_kind=kind,
            subject_name=name if shown == subject else mask_subject_name(kind, name),
            department_id=department,
            notice_id=nid,
            occurred_at=at(2024, 7, 1),
        )
    )
    return nid


def publish_workload(h: Harness) -> dict[str, Any]:
    listed, objected, revoked, repaired, designated = (random_uscc() for _ in range(5))
    for subject in (listed, objected, revoked):
        h.publish(f.penalty(subject_id=subject, serious=True))
    h.publish(f.penalty(subject_id=f.PERSON, serious=True, department_id="court",
                        authority_uscc="11321200203024018E", source_uscc="11321200203024018E",
                        categories=["OTHER"], fine_amount=None))  # fmt: skip
    h.publish(f.penalty(subject_id=repaired))
    h.publish(
        f.repair(subject_id=repaired, decided_on=date(2024, 6, 3), occurred_at=at(2024, 6, 3))
    )
    # Refused on arrival by the rules (a removal before the 12-month minimum): dead-lettered,
    # and it must stay out of the rebuilt state although it passes validation.
    h.publish(
        f.repair(
            subject_id=listed,
            route="BLACKLIST_REMOVAL",
            decided_on=date(2024, 6, 3),
            occurred_at=at(2024, 6, 3),
        )
    )
    h.publish(f.commendation(subject_id=designated, valid_until=date(2026, 2, 28)))
    h.publish(f.permit(subject_id=random_uscc()))
    raw = Producer(h.settings.kafka_client_config())
    raw.produce(h.settings.topics.event("permit"), key=listed.encode(), value=b'{"json": true}')
    raw.flush(10)
    for subject in (objected, revoked):
        wait_for(lambda s=subject: h.version(s) >= 1, 60, "the penalty to be applied")
        h.publish(f.objection_filed(subject_id=subject, occurred_at=at(2024, 5, 1)))
    wait_for(lambda: suspended(h, revoked), 60, "the measures to be suspended")
    h.publish(f.objection_revoked(subject_id=revoked, occurred_at=at(2024, 6, 1)))
    answered = [
        answer(h, listed, "finance", "B01", listed),
        answer(h, listed, "market-regulation", "B07", listed),
        answer(h, f.PERSON, "finance", "B01", mask_resident_id(f.PERSON)),  # masked for finance
    ]
    return {"answered": answered, "person": f.PERSON}


def told_pairs(h: Harness, subject: str) -> list[tuple[str, str, str, int]]:
    """What departments were told about ``subject``: (measure, department, status, sequence)."""
    raw = h.redis.hget(f"{h.settings.redis_prefix}{{{subject}}}:state", "told")
    pairs = [
        (p["measure"]["measure_id"], p["measure"]["department_id"], p["status"], p["seq"])
        for p in (load_json(raw) if raw else [])
    ]
    return sorted(pairs)


def stored_formats(h: Harness) -> set[tuple[int, bool]]:
    """(format, whether packed with a dictionary) of the stored events: a subject's together,
    or each of those stored one by one (streams.store.eventpacking)."""
    prefix = h.settings.redis_prefix
    together = {
        (value[0], packed_with(value) is not None)
        for key in h.redis.scan_iter(f"{prefix}{{*}}:state")
        if (value := h.redis.hget(key, "events")) is not None
    }
    one_by_one = {
        (value[0], packed_with(value) is not None)
        for key in h.redis.scan_iter(f"{prefix}{{*}}:events")
        for value in h.redis.hvals(key)
    }
    return together | one_by_one


def digest(h: Harness, cli: RunCli) -> dict[str, Any]:
    result = cli("state", "digest", "--json", env=h.env)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_rebuild_from_the_log_gives_the_same_state(platform: Harness, cli: RunCli) -> None:
    h = platform
    workload = publish_workload(h)
    wait_for(lambda: drained(h), 90, "the platform to drain (lag 0, outbox empty)", 0.5)

    refused = cli("state", "rebuild", env=h.env)
    assert refused.returncode == 1
    assert "running" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    for worker in h.workers:
        worker.stop()
    wait_for(lambda: active_workers(h.settings) == 0, 30, "the group to be empty")
    before = digest(h, cli)
    assert before["subjects"] == 7
    assert before["lists"]["BLACK"] == 3  # listed, objected (suspended) and the person
    assert before["notices"] > 20

    prefix = h.settings.redis_prefix
    stored = sum(map(len, stored_events(h.redis, prefix).values()))
    # The person's pairs are shown masked to some departments and in full to others: their
    # notices sit on partitions of two keys, which two processes may restore apart.
    told_before = told_pairs(h, f.PERSON)
    assert len(told_before) >= 2
    # Notice → subject is kept for the notices departments are shown masked, the person's,
    # and only for those: the others' feedback names its subject.
    person_notices = set(h.redis.hkeys(f"{prefix}{{{f.PERSON}}}:notices"))
    assert person_notices
    assert h.redis.hgetall(f"{prefix}notice-subjects") == dict.fromkeys(
        person_notices, f.PERSON.encode()
    )

    report = rebuild(h.settings, processes=2)  # two processes, each some partitions' subjects
    after = digest(h, cli)
    assert after == before
    assert report.stored == stored  # the events stored, not where some of them wait
    assert told_pairs(h, f.PERSON) == told_before
    assert report.queued == 0  # nothing told again
    assert report.unmatched == 0
    assert report.answered == len(workload["answered"])
    assert report.refused == 2  # the broken message and the early removal

    person_notice = workload["answered"][2]
    record = unpack_record(h.redis.hget(f"{prefix}{{{f.PERSON}}}:notices", person_notice))
    assert (record["status"], record["feedback"]) == ("answered", "EXECUTED")
    assert h.redis.hgetall(f"{prefix}notice-subjects") == dict.fromkeys(
        person_notices, f.PERSON.encode()
    )
    assert h.redis.zscore(f"{prefix}notices:answered:finance", f"{f.PERSON}|{person_notice}")
    assert h.redis.zcard(f"{prefix}notices:pending:finance") > 0
    assert h.redis.get(f"{prefix}clock") is not None  # the clock survives the rebuild

    again = cli("state", "rebuild", env=h.env)  # by the CLI, once more: still the same state
    assert again.returncode == 0, again.stderr
    assert "notices restored" in again.stdout
    assert digest(h, cli) == before

    # Each subject's events were stored together, packed with the dictionary the workers made,
    # which the rebuilds kept; one into a Redis without any makes one of the first records of
    # the log.
    assert stored_formats(h) == {(FORMAT_3, True)}
    h.redis.delete(f"{prefix}packing")
    alone = rebuild(h.settings, processes=1)  # every step in this process
    assert digest(h, cli) == before
    assert h.redis.hget(f"{prefix}packing", "events:current") is not None
    assert stored_formats(h) == {(FORMAT_3, True)}
    assert (alone.stored, alone.queued, alone.answered) == (stored, 0, report.answered)
    assert told_pairs(h, f.PERSON) == told_before

    # Room to hold two events: the rest are stored in Redis as they are read, and read back.
    spilled = rebuild(h.settings, processes=2, held=2)
    assert digest(h, cli) == before
    assert (spilled.stored, spilled.queued) == (stored, 0)
    assert stored_formats(h) == {(FORMAT_3, True)}


def test_a_subject_read_by_two_processes_keeps_every_event(platform: Harness, cli: RunCli) -> None:
    """Topics whose partition counts differ can put a subject's records under two partition
    numbers, read by two processes of a rebuild: each holds some of its events, and one derives
    it with all of them. A copy of an event sent again is stored once."""
    h = platform
    subject = random_uscc()
    penalty, permit = f.penalty(subject_id=subject, serious=True), f.permit(subject_id=subject)
    raw = Producer(h.settings.kafka_client_config())
    for event, partition in ((penalty, 0), (permit, 1), (penalty, 0)):
        raw.produce(
            h.settings.topics.event(event.topic_kind),
            key=subject.encode(),
            value=encode_model(event),
            partition=partition,
        )
    raw.flush(10)
    wait_for(lambda: h.version(subject) >= 1, 60, "the records to be applied")
    wait_for(lambda: drained(h), 90, "the platform to drain (lag 0, outbox empty)", 0.5)
    for worker in h.workers:
        worker.stop()
    wait_for(lambda: active_workers(h.settings) == 0, 30, "the group to be empty")
    before = digest(h, cli)
    events = {str(penalty.event_id), str(permit.event_id)}
    assert stored_events(h.redis, h.settings.redis_prefix)[subject] == events

    # Held in the two processes; one held and one stored in a single process; none held.
    for processes, held in ((2, EVENTS_HELD), (1, 1), (2, 0)):
        report = rebuild(h.settings, processes=processes, held=held)
        assert digest(h, cli) == before, (processes, held)
        assert report.stored == len(events), (processes, held)
        assert stored_events(h.redis, h.settings.redis_prefix)[subject] == events
        assert not h.redis.exists(f"{h.settings.redis_prefix}{{{subject}}}:events")
