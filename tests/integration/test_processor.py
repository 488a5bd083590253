"""The processor against the real Redis: what departments are told depends on the events, not
on how the log was cut into batches."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence

import pytest
import redis

from creditflow.settings import Settings
from schemas.codec import encode_model
from streams.api.queries import Reads
from streams.bootstrap import build_platform
from streams.intake import Incoming
from streams.store.packing import is_packed, unpack
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
        (nid.decode(), json.loads(raw)["action"], json.loads(raw)["measure"])
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


def test_state_stored_before_packing_is_read_and_packed_by_the_next_change() -> None:
    """A subject written as plain JSON (before snapshots and told maps were packed) is read as it
    is, by the processor and the API, and its next change stores both packed."""
    subject = random_uscc()
    penalty = f.penalty(subject_id=subject, serious=True, occurred_at=at(2024, 3, 1))
    objection = f.objection_filed(subject_id=subject, occurred_at=at(2024, 3, 2))
    first = [Incoming("credit.penalty.v1", 0, 1, subject.encode(), encode_model(penalty))]
    second = [Incoming("credit.objection.v1", 0, 1, subject.encode(), encode_model(objection))]
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
        notices = _notice_ids(settings, subject)
        assert {action for _, action, _ in notices} == {"INITIATE", "SUSPEND"}
        assert notices == _notice_ids(together, subject)
    finally:
        _clean(settings)
        _clean(together)
