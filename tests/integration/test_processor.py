"""The processor against the real Redis: what departments are told depends on the events, not
on how the log was cut into batches."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from typing import Any

import orjson
import pytest
import redis

from creditflow.settings import Settings
from schemas.codec import encode_model
from streams.api.queries import Reads
from streams.bootstrap import build_platform
from streams.intake import Incoming
from streams.store.eventpacking import FORMAT_2, FORMAT_3, Trainer, packed_with
from streams.store.noticerecords import unpack_record
from streams.store.packing import is_packed, unpack
from streams.store.store import FeedbackChange, StoredEvents
from tests import factories as f
from tests.integration.harness import random_uscc
from tests.unit.rules_helpers import at

pytestmark = pytest.mark.integration


class Letters:
    """Dead letters kept in memory (this test runs the processor without Kafka)."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def send(self, key: bytes | None, value: bytes) -> None:
        self.sent.append(value)


def _notice_ids(settings: Settings, subject: str) -> list[tuple[str, str, str]]:
    client = redis.Redis.from_url(settings.redis_dsn)
    records = client.hgetall(f"{settings.redis_prefix}{{{subject}}}:notices")
    return sorted(
        (nid.decode(), unpack_record(raw)["action"], unpack_record(raw)["measure"])
        for nid, raw in records.items()
    )


def _run(batches: Sequence[Sequence[Incoming]]) -> Settings:
    settings = Settings(redis_prefix=f"p{uuid.uuid4().hex[:8]}:", clock="redis")
    platform = build_platform(settings)

    async def go() -> None:
        await platform.redis.set(platform.keys.clock, int(at(2024, 3, 5).timestamp() * 1000))
        processor = platform.processor(Letters())
        for batch in batches:
            await processor.handle(batch)
        await platform.redis.aclose()

    asyncio.run(go())
    return settings


def _clean(settings: Settings) -> None:
    client = redis.Redis.from_url(settings.redis_dsn)
    keys = list(client.scan_iter(f"{settings.redis_prefix}*"))
    if keys:
        client.delete(*keys)


def test_one_batch_or_two_give_the_same_notices() -> None:
    subject = random_uscc()
    penalty = f.penalty(subject_id=subject, serious=True, occurred_at=at(2024, 3, 1))
    objection = f.objection_filed(subject_id=subject, occurred_at=at(2024, 3, 2))
    messages = [
        Incoming("credit.penalty.v1", 0, 1, subject.encode(), encode_model(penalty)),
        Incoming("credit.objection.v1", 0, 1, subject.encode(), encode_model(objection)),
    ]
    together = _run([messages])
    apart = _run([messages[:1], messages[1:]])
    reversed_arrival = _run([list(reversed(messages))])
    try:
        notices = _notice_ids(together, subject)
        assert {action for _, action, _ in notices} == {"INITIATE", "SUSPEND"}
        assert notices == _notice_ids(apart, subject) == _notice_ids(reversed_arrival, subject)
    finally:
        for settings in (together, apart, reversed_arrival):
            _clean(settings)


def _penalty_then_objection(subject: str) -> tuple[list[Incoming], list[Incoming]]:
    """Two batches: a serious penalty of ``subject``, then an objection to it."""
    penalty = f.penalty(subject_id=subject, serious=True, occurred_at=at(2024, 3, 1))
    objection = f.objection_filed(subject_id=subject, occurred_at=at(2024, 3, 2))
    return (
        [Incoming("credit.penalty.v1", 0, 1, subject.encode(), encode_model(penalty))],
        [Incoming("credit.objection.v1", 0, 1, subject.encode(), encode_model(objection))],
    )


def _suspended_as_in_one_batch(settings: Settings, together: Settings, subject: str) -> None:
    """The subject's notices under ``settings``: the penalty's measures initiated, then suspended
    by the objection, as when both came in one batch (``together``)."""
    notices = _notice_ids(settings, subject)
    assert {action for _, action, _ in notices} == {"INITIATE", "SUSPEND"}
    assert notices == _notice_ids(together, subject)


def test_state_stored_before_packing_is_read_and_packed_by_the_next_change() -> None:
    """A subject written as plain JSON (before snapshots and told maps were packed) is read as it
    is, by the processor and the API, and its next change stores both packed."""
    subject = random_uscc()
    first, second = _penalty_then_objection(subject)
    settings = Settings(redis_prefix=f"p{uuid.uuid4().hex[:8]}:", clock="redis")
    platform = build_platform(settings)
    state_key = platform.keys.state(subject)
    seen: dict[str, object] = {}

    async def go() -> None:
        await platform.redis.set(platform.keys.clock, int(at(2024, 3, 5).timestamp() * 1000))
        processor = platform.processor(Letters())
        await processor.handle(first)
        packed = await platform.redis.hmget(state_key, ["snapshot", "told"])
        seen["packed first"] = [is_packed(v) for v in packed]
        plain = [unpack(v) for v in packed]
        await platform.redis.hset(state_key, mapping={"snapshot": plain[0], "told": plain[1]})
        seen["plain snapshot"] = await Reads(platform.redis, platform.keys).snapshot(subject)
        seen["plain told"] = json.loads(plain[1])
        await processor.handle(second)
        seen["packed after"] = [
            is_packed(v) for v in await platform.redis.hmget(state_key, ["snapshot", "told"])
        ]
        await platform.redis.aclose()

    asyncio.run(go())
    together = _run([first + second])
    try:
        assert seen["packed first"] == [True, True]
        snapshot = seen["plain snapshot"]
        assert isinstance(snapshot, dict)
        assert snapshot["subject_id"] == subject
        assert snapshot["black_list"] is True
        assert seen["plain told"], "the serious penalty told departments of measures"
        assert seen["packed after"] == [True, True]
        # The told map read back from plain JSON led to the same notices as never storing it so.
        _suspended_as_in_one_batch(settings, together, subject)
    finally:
        _clean(settings)
        _clean(together)


def test_notice_records_written_as_json_before_are_answered_and_marked_overdue_packed() -> None:
    """Records are stored packed (streams.store.noticerecords); one written as JSON before is
    read by the API, and the scripts that answer it or mark it overdue write it back packed."""
    subject = random_uscc()
    penalty = f.penalty(subject_id=subject, serious=True, occurred_at=at(2024, 3, 1))
    messages = [Incoming("credit.penalty.v1", 0, 1, subject.encode(), encode_model(penalty))]
    settings = _run([messages])
    client = redis.Redis.from_url(settings.redis_dsn)
    platform = build_platform(settings)
    key = platform.keys.notices(subject)
    try:
        stored = client.hgetall(key)
        assert len(stored) >= 2, "a serious penalty tells several departments"
        assert not any(raw.startswith(b"{") for raw in stored.values())
        records = {nid.decode(): unpack_record(raw) for nid, raw in stored.items()}
        assert {r["status"] for r in records.values()} == {"pending"}
        (answered, a), (late, b) = sorted(records.items())[:2]
        # Written as they were before records were packed:
        client.hset(key, mapping={answered: orjson.dumps(a), late: orjson.dumps(b)})
        seen: dict[str, object] = {}

        async def go() -> None:
            reads = Reads(platform.redis, platform.keys)
            seen["read"] = await reads.notices([(subject, answered), (subject, late)])
            seen["outcome"] = await platform.store.feedback(
                FeedbackChange(
                    subject,
                    answered,
                    a["department"],
                    "e-1",
                    "EXECUTED",
                    int(at(2024, 3, 6).timestamp() * 1000),
                    "relay-topic",
                    b"key",
                    b"value",
                )
            )
            seen["overdue"] = await platform.store.mark_overdue(
                [b["department"]], int(at(2030, 1, 1).timestamp() * 1000)
            )
            await platform.redis.aclose()

        asyncio.run(go())
        assert seen["read"] == [a, b]
        assert seen["outcome"] == ("ok", a["created"])
        assert seen["overdue"] >= 1
        after = client.hmget(key, [answered, late])
        assert not any(raw.startswith(b"{") for raw in after)
        assert unpack_record(after[0]) == {
            **a,
            "status": "answered",
            "feedback": "EXECUTED",
            "feedback_event": "e-1",
            "answered": int(at(2024, 3, 6).timestamp() * 1000),
        }
        assert unpack_record(after[1]) == {**b, "status": "overdue"}
    finally:
        _clean(settings)


@pytest.mark.parametrize("packed", [True, False], ids=["packed", "not-packed"])
def test_events_stored_one_by_one_before_are_read_and_stored_together_by_the_next_change(
    packed: bool,
) -> None:
    """A subject whose events are in a hash of their own, one per field (packed each with the
    dictionary, or plain Avro), as before they were stored together: the processor and the
    readers of stored events read them, and its next change stores them with the new one,
    together, and removes the hash."""
    subject = random_uscc()
    penalty = f.penalty(subject_id=subject, serious=True, occurred_at=at(2024, 3, 1))
    lesser = f.penalty(subject_id=subject, occurred_at=at(2024, 3, 2))
    objection = f.objection_filed(subject_id=subject, occurred_at=at(2024, 3, 3))
    first = [
        Incoming("credit.penalty.v1", 0, 1, subject.encode(), encode_model(penalty)),
        Incoming("credit.penalty.v1", 0, 2, subject.encode(), encode_model(lesser)),
    ]
    second = [Incoming("credit.objection.v1", 0, 1, subject.encode(), encode_model(objection))]
    settings = Settings(redis_prefix=f"p{uuid.uuid4().hex[:8]}:", clock="redis")
    platform = build_platform(settings)
    keys = platform.keys
    client = redis.Redis.from_url(settings.redis_dsn)
    seen: dict[str, Any] = {}

    async def go() -> None:
        await platform.redis.set(keys.clock, int(at(2024, 3, 5).timestamp() * 1000))
        processor = platform.processor(Letters())
        processor.trainer = Trainer(wanted=2)
        await processor.handle(first)
        together = await platform.redis.hget(keys.state(subject), "events")
        events = platform.store.packing.unpack_events(together)
        seen["first"] = set(events)
        one_by_one = {
            eid: platform.store.packing.pack(avro) if packed else avro
            for eid, avro in events.items()
        }
        await platform.redis.hset(keys.events(subject), mapping=one_by_one)
        await platform.redis.hdel(keys.state(subject), "events")
        seen["read before"] = StoredEvents(client, keys).ids([subject])[subject]
        seen["formats before"] = {v[0] for v in one_by_one.values()}
        await processor.handle(second)
        seen["hash after"] = await platform.redis.exists(keys.events(subject))
        after = await platform.redis.hget(keys.state(subject), "events")
        seen["after"] = set(platform.store.packing.unpack_events(after))
        seen["read after"] = StoredEvents(client, keys).ids([subject])[subject]
        await platform.redis.aclose()

    asyncio.run(go())
    together = _run([first + second])
    try:
        assert len(seen["first"]) == 2
        assert seen["formats before"] == ({FORMAT_2} if packed else {0xC3})
        assert seen["read before"] == seen["first"]
        assert seen["hash after"] == 0
        assert seen["after"] == seen["read after"] == seen["first"] | {str(objection.event_id)}
        assert _notice_ids(settings, subject) == _notice_ids(together, subject)
    finally:
        _clean(settings)
        _clean(together)


def _penalties(subjects: Sequence[str], offset: int) -> list[Incoming]:
    return [
        Incoming(
            "credit.penalty.v1",
            0,
            offset + index,
            subject.encode(),
            encode_model(f.penalty(subject_id=subject, serious=True, occurred_at=at(2024, 3, 1))),
        )
        for index, subject in enumerate(subjects)
    ]


def test_events_are_stored_packed_with_one_dictionary_that_every_worker_reads() -> None:
    """The first worker to take in enough records makes the event dictionary; another worker
    packs with it too and reads what the first stored; a Redis that lost the dictionary is given
    it again; and what is derived is what it would be without packing."""
    first_subjects = [random_uscc() for _ in range(3)]
    later_subjects = [random_uscc() for _ in range(2)]
    first = _penalties(first_subjects, 0)
    objection = f.objection_filed(subject_id=first_subjects[0], occurred_at=at(2024, 3, 2))
    later = [
        *_penalties(later_subjects, 10),
        Incoming("credit.objection.v1", 0, 1, first_subjects[0].encode(), encode_model(objection)),
    ]
    settings = Settings(redis_prefix=f"p{uuid.uuid4().hex[:8]}:", clock="redis")
    one, other = build_platform(settings), build_platform(settings)
    keys = one.keys
    seen: dict[str, Any] = {}

    async def stored_formats(subjects: Sequence[str]) -> set[tuple[int, str]]:
        """(format, dictionary id) of each subject's events, stored together."""
        formats = set()
        for subject in subjects:
            assert not await one.redis.exists(keys.events(subject))  # none stored one by one
            stored = await one.redis.hget(keys.state(subject), "events")
            formats.add((stored[0], (packed_with(stored) or b"").hex()))
        return formats

    async def go() -> None:
        await one.redis.set(keys.clock, int(at(2024, 3, 5).timestamp() * 1000))
        worker_one, worker_other = one.processor(Letters()), other.processor(Letters())
        worker_one.trainer, worker_other.trainer = Trainer(wanted=3), Trainer(wanted=2)
        await worker_one.handle(first)
        seen["current"] = await one.redis.hget(keys.packing, "events:current")
        seen["first formats"] = await stored_formats(first_subjects)
        await worker_other.handle(later)  # reads a subject the first worker stored
        seen["dictionaries"] = {
            p.store.packing.current.id.hex() for p in (one, other) if p.store.packing.current
        }
        seen["later formats"] = await stored_formats(later_subjects)
        # Redis lost the dictionary (a restart without its last writes): the first worker
        # sees a server it has not stored it on, and stores it again with its next change.
        await one.redis.delete(keys.packing)
        await one.store.server_id()
        await worker_one.handle(_penalties([random_uscc()], 20))
        seen["current again"] = await one.redis.hget(keys.packing, "events:current")
        for platform in (one, other):
            await platform.redis.aclose()

    asyncio.run(go())
    unpacked = _run([first, later])  # one worker, too few records for a dictionary
    try:
        assert seen["current"] is not None
        assert seen["first formats"] == {(FORMAT_3, seen["current"].decode())}
        assert seen["dictionaries"] == {seen["current"].decode()}
        assert seen["later formats"] == {(FORMAT_3, seen["current"].decode())}
        assert seen["current again"] == seen["current"]
        for subject in [*first_subjects, *later_subjects]:
            assert _notice_ids(settings, subject) == _notice_ids(unpacked, subject)
        assert {a for _, a, _ in _notice_ids(settings, first_subjects[0])} == {
            "INITIATE",
            "SUSPEND",
        }
    finally:
        _clean(settings)
        _clean(unpacked)


def _script_checks(client: redis.Redis) -> int:
    stats: Any = client.info("commandstats")
    return int(stats.get("cmdstat_script|exists", {}).get("calls", 0))


def test_a_redis_without_the_scripts_is_given_them_and_none_is_checked_first() -> None:
    """The store's pipelines send their scripts by hash alone: no SCRIPT EXISTS round trip
    before each; a Redis that lost its scripts (restarted, or flushed) is given them again."""
    subject = random_uscc()
    first, second = _penalty_then_objection(subject)
    settings = Settings(redis_prefix=f"p{uuid.uuid4().hex[:8]}:", clock="redis")
    platform = build_platform(settings)
    client = redis.Redis.from_url(settings.redis_dsn)
    seen: dict[str, int] = {}

    async def go() -> None:
        await platform.redis.set(platform.keys.clock, int(at(2024, 3, 5).timestamp() * 1000))
        processor = platform.processor(Letters())
        await processor.handle(first)
        checks = _script_checks(client)
        client.script_flush()
        await processor.handle(second)
        seen["checks"] = _script_checks(client) - checks
        await platform.redis.aclose()

    asyncio.run(go())
    together = _run([first + second])
    try:
        assert seen["checks"] == 0
        _suspended_as_in_one_batch(settings, together, subject)
    finally:
        _clean(settings)
        _clean(together)
