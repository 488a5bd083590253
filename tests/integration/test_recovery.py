"""A Redis that comes back without its last writes (appendfsync everysec, then SIGKILL) while the
workers' group has committed past them: the worker takes those messages in again from Kafka."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import redis
from confluent_kafka import Consumer, TopicPartition
from redis.asyncio.client import Pipeline
from redis.asyncio.client import Redis as AsyncRedis

from creditflow.devstack import stack
from streams.bootstrap import Platform, build_platform
from streams.digest import read_digest
from streams.intake import Incoming
from streams.logread import LogReadError, read_log
from streams.recovery import Recovery, StateLostError
from streams.store.eventpacking import Trainer
from streams.store.store import Store
from tests import factories as f
from tests.integration.harness import Harness, random_uscc, wait_for
from tests.integration.test_processor import Letters
from tests.unit.rules_helpers import at

pytestmark = pytest.mark.integration


def _commit(harness: Harness, offsets: dict[tuple[str, int], int]) -> None:
    """Commit for the workers' group, as faust does once a batch is acknowledged."""
    consumer = Consumer(
        {**harness.settings.kafka_client_config(), "group.id": harness.settings.app_id}
    )
    try:
        consumer.commit(
            offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=False
        )
    finally:
        consumer.close()


def _penalties_published(harness: Harness, count: int) -> tuple[list[str], list[Incoming]]:
    """Serious penalties of ``count`` new subjects, published; the subjects, and the messages as
    the input log holds them."""
    subjects = [random_uscc() for _ in range(count)]
    for n, subject in enumerate(subjects):
        harness.publish(f.penalty(subject_id=subject, serious=True, occurred_at=at(2024, 1, n + 1)))
    return subjects, _read_back(harness, count)


def _read_back(harness: Harness, count: int) -> list[Incoming]:
    """The ``count`` messages published to the input topics, as the input log holds them."""
    inputs = list(harness.settings.topics.inputs)

    def published() -> list[Incoming] | None:
        try:  # the namespace's topics are new: a partition may have no leader yet
            found = [
                Incoming(str(m.topic()), m.partition() or 0, m.offset() or 0, m.key(), m.value())
                for batch in read_log(harness.settings, inputs)  # read as it is iterated
                for m in batch
            ]
        except LogReadError:
            return None
        return found if len(found) == count else None

    return wait_for(published, 60, f"the {count} messages read back")


def test_a_worker_takes_in_again_what_redis_lost(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    try:
        harness.set_clock(at(2024, 6, 1))
        subjects = [random_uscc() for _ in range(12)]
        for n, subject in enumerate(subjects):
            decided = at(2024, 1, 1 + n)
            harness.publish(f.penalty(subject_id=subject, serious=n % 2 == 0, occurred_at=decided))
            harness.publish(f.objection_filed(subject_id=subject, occurred_at=at(2024, 3, 1 + n)))
        inputs = list(harness.settings.topics.inputs)
        messages = _read_back(harness, 24)
        ends: dict[tuple[str, int], int] = {}
        for m in messages:
            ends[(m.topic, m.partition)] = max(ends.get((m.topic, m.partition), 0), m.offset + 1)
        assigned = [(t, p) for t in inputs for p in range(harness.settings.topic_partitions)]
        client = redis.Redis.from_url(harness.settings.redis_dsn)
        keys = build_platform(harness.settings).keys

        async def work(batch: list[Incoming]) -> int:
            """A worker starting, then given ``batch``: the messages it read again."""
            platform = build_platform(harness.settings)
            try:
                recovery = Recovery(harness.settings, platform.processor(Letters()))
                replayed = await recovery.ensure(assigned)
                if batch:
                    await recovery.handle(batch, assigned)
                return replayed
            finally:
                await platform.redis.aclose()

        assert asyncio.run(work(messages)) == 0  # nothing taken in before: nothing read again
        _commit(harness, ends)
        before = read_digest(client, keys)
        assert before.subjects == 12
        assert {k: int(v) for k, v in client.hgetall(keys.positions).items()} == {
            f"{t}|{p}".encode(): o for (t, p), o in ends.items()
        }

        # What a killed Redis may come back as: the last subjects' writes and the positions
        # they advanced are gone, the group's commits are not.
        for subject in subjects[6:]:
            client.delete(keys.state(subject), keys.events(subject), keys.notices(subject))
            for kind in ("BLACK", "RED", "THREE_YEAR_CLEAN"):
                client.zrem(f"{keys.prefix}list:{kind}", subject)
        client.delete(keys.positions)
        assert read_digest(client, keys).digest != before.digest

        # A worker starting on that Redis: the group has committed everything, so Kafka gives it
        # nothing new; it reads again from the positions Redis kept.
        assert asyncio.run(work([])) == len(messages)
        assert read_digest(client, keys).digest == before.digest
    finally:
        harness.close()


def test_a_running_worker_finds_lost_writes_when_it_records_how_far_it_went(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path)
    try:
        harness.set_clock(at(2024, 6, 1))
        subjects, messages = _penalties_published(harness, 8)
        inputs = list(harness.settings.topics.inputs)
        # The second batch is of other partitions than the first: the loss is found whichever
        # partitions the writes it lost were of.
        partitions = sorted({(m.topic, m.partition) for m in messages})
        assert len(partitions) > 1
        split = set(partitions[: len(partitions) // 2])
        first = [m for m in messages if (m.topic, m.partition) in split]
        second = [m for m in messages if (m.topic, m.partition) not in split]
        assigned = [(t, p) for t in inputs for p in range(harness.settings.topic_partitions)]
        client = redis.Redis.from_url(harness.settings.redis_dsn)
        keys = build_platform(harness.settings).keys
        lost = [m.key.decode() for m in first if m.key is not None]

        async def work() -> None:
            platform = build_platform(harness.settings)
            try:
                recovery = Recovery(harness.settings, platform.processor(Letters()))
                await recovery.handle(first, assigned)
                # Redis comes back without the first batch (same server: nothing to notice yet).
                for subject in lost:
                    client.delete(keys.state(subject), keys.events(subject))
                client.delete(keys.positions)
                with pytest.raises(StateLostError):
                    await recovery.handle(second, assigned)
                await recovery.handle(second, assigned)  # tried again, as the worker does
            finally:
                await platform.redis.aclose()

        asyncio.run(work())
        assert all(harness.state(subject) for subject in subjects)
        assert sum(int(v) for v in client.hvals(keys.positions)) == len(messages)
    finally:
        harness.close()


def _run_id_questions(client: redis.Redis) -> int:
    """INFO commands Redis has served, not counting this one (counted once it is served)."""
    stats: Any = client.info("commandstats")
    return int(stats.get("cmdstat_info", {}).get("calls", 0))


def test_a_delivery_asks_redis_for_its_run_id_once_for_its_first_batch(tmp_path: Path) -> None:
    """The first delivery's question covers its first batch; every further batch (a later
    delivery's with the same partitions too), and a batch tried again after Redis lost writes,
    asks again."""
    harness = Harness(tmp_path)
    try:
        harness.set_clock(at(2024, 6, 1))
        subjects, messages = _penalties_published(harness, 3)
        inputs = list(harness.settings.topics.inputs)
        assigned = [(t, p) for t in inputs for p in range(harness.settings.topic_partitions)]
        client = redis.Redis.from_url(harness.settings.redis_dsn)
        keys = build_platform(harness.settings).keys
        asked: list[int] = []

        async def work() -> None:
            platform = build_platform(harness.settings)
            try:
                recovery = Recovery(harness.settings, platform.processor(Letters()))
                before = _run_id_questions(client)
                await recovery.delivery_gap(assigned)
                await recovery.handle(messages[:1], assigned)
                asked.append(_run_id_questions(client) - before - 1)
                before = _run_id_questions(client)
                await recovery.handle(messages[1:2], assigned)
                asked.append(_run_id_questions(client) - before - 1)
                # Another delivery; Redis loses what was written before its batch is recorded.
                await recovery.delivery_gap(assigned)
                client.delete(keys.positions)
                with pytest.raises(StateLostError):
                    await recovery.handle(messages[2:], assigned)
                before = _run_id_questions(client)
                await recovery.handle(messages[2:], assigned)  # tried again, as the worker does
                asked.append(_run_id_questions(client) - before - 1)
            finally:
                await platform.redis.aclose()

        asyncio.run(work())
        assert asked == [1, 1, 1]
        assert all(harness.state(subject) for subject in subjects)
        assert sum(int(v) for v in client.hvals(keys.positions)) == len(messages)
    finally:
        harness.close()


# The store's scripts by the hash EVALSHA names them with.
SCRIPTS = {
    hashlib.sha1(
        resources.files("streams.store").joinpath(f"{name}.lua").read_bytes()
    ).hexdigest(): name
    for name in ("load", "apply", "advance")
}


def _named(args: tuple[Any, ...]) -> str:
    name = str(args[0]).upper()
    return SCRIPTS.get(str(args[1]), name) if name == "EVALSHA" else name


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the workers' asyncio clients send, one entry per round trip: a command's name (a
    script call: the script's), or the names in a pipeline, each once, joined by "+"."""
    sent: list[str] = []
    command = AsyncRedis.execute_command
    pipeline = Pipeline.execute

    async def one(self: AsyncRedis, *args: Any, **options: Any) -> Any:
        sent.append(_named(args))
        return await command(self, *args, **options)

    async def many(self: Pipeline, *args: Any, **options: Any) -> Any:
        names = [_named(c[0]) for c in self.command_stack]
        sent.append("+".join(dict.fromkeys(names)))
        return await pipeline(self, *args, **options)

    monkeypatch.setattr(AsyncRedis, "execute_command", one)
    monkeypatch.setattr(Pipeline, "execute", many)
    return sent


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """A namespace of one's own on the stack, its clock set."""
    harness = Harness(tmp_path)
    try:
        harness.set_clock(at(2024, 6, 1))
        yield harness
    finally:
        harness.close()


def _assigned(harness: Harness) -> list[tuple[str, int]]:
    """Every input partition: what a single worker is assigned."""
    partitions = range(harness.settings.topic_partitions)
    return [(t, p) for t in harness.settings.topics.inputs for p in partitions]


@asynccontextmanager
async def _recovery(harness: Harness) -> AsyncIterator[tuple[Recovery, Platform]]:
    """A worker's recovery and platform; its first batch makes the event dictionary."""
    platform = build_platform(harness.settings)
    try:
        processor = platform.processor(Letters())
        processor.trainer = Trainer(wanted=1)
        yield Recovery(harness.settings, processor), platform
    finally:
        await platform.redis.aclose()


async def _reconnected(client: AsyncRedis) -> None:
    """Until ``client`` answers again: its connections to the server before are closed."""
    for _ in range(10):
        try:
            await client.ping()
            return
        except redis.ConnectionError:
            await asyncio.sleep(0.2)
    await client.ping()


def _positions(harness: Harness) -> int:
    """The sum of the positions Redis holds: the messages recorded as taken in."""
    client = redis.Redis.from_url(harness.settings.redis_dsn)
    keys = build_platform(harness.settings).keys
    return sum(int(v) for v in client.hvals(keys.positions))


def test_a_batch_waits_for_redis_three_times(harness: Harness, round_trips: list[str]) -> None:
    """A delivery after the first, of the same partitions, asks nothing; its batch asks for the
    clock (a Redis clock here), for the run id with the subjects read, and records the positions
    with their changes."""
    subjects, messages = _penalties_published(harness, 2)
    assigned = _assigned(harness)
    sent: list[str] = []

    async def work() -> None:
        async with _recovery(harness) as (recovery, _):
            await recovery.delivery_gap(assigned)
            await recovery.handle(messages[:1], assigned)
            round_trips.clear()
            await recovery.delivery_gap(assigned)  # another delivery, the same partitions
            await recovery.handle(messages[1:], assigned)
            sent.extend(round_trips)

    asyncio.run(work())
    assert sent == ["GET", "INFO+load", "apply+advance"]
    assert all(harness.state(subject) for subject in subjects)


def test_a_batch_finds_a_restarted_redis_before_it_writes(harness: Harness) -> None:
    """Redis restarts between two batches and comes back without the first one's writes: the
    second batch finds the new run id with its first read, and what was lost is taken in again
    before the batch is, so the positions it records are whole (else the batch would find the
    loss only as it recorded them, StateLostError)."""
    subjects, messages = _penalties_published(harness, 6)
    assigned = _assigned(harness)
    client = redis.Redis.from_url(harness.settings.redis_dsn)
    first, second = messages[:3], messages[3:]
    lost = [m.key.decode() for m in first if m.key is not None]

    async def work() -> None:
        async with _recovery(harness) as (recovery, platform):
            await recovery.delivery_gap(assigned)
            await recovery.handle(first, assigned)
            await asyncio.to_thread(stack.restart, harness.settings, "redis", kill=False)
            for subject in lost:
                client.delete(platform.keys.state(subject), platform.keys.events(subject))
            client.delete(platform.keys.positions)
            await _reconnected(platform.redis)
            await recovery.handle(second, assigned)

    asyncio.run(work())
    assert all(harness.state(subject) for subject in subjects)
    assert _positions(harness) == len(messages)


def test_positions_go_with_the_changes_only_if_every_change_applied(
    harness: Harness, round_trips: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer changes one of the batch's subjects between its read and its change: that
    change does not apply, the positions queued after it are not recorded, and they are once
    the subject is planned again and applied."""
    subjects, messages = _penalties_published(harness, 4)
    assigned = _assigned(harness)
    client = redis.Redis.from_url(harness.settings.redis_dsn)
    keys = build_platform(harness.settings).keys
    first, second = messages[:1], messages[1:]
    raced = next(m.key.decode() for m in second if m.key is not None)
    load, apply = Store.load, Store.apply
    sent: list[str] = []
    recorded_after_apply: list[dict[bytes, bytes]] = []

    async def raced_load(self: Store, *args: Any, **options: Any) -> Any:
        loaded = await load(self, *args, **options)
        if not sent:  # the batch's first read: another writer changes a subject it read
            client.hincrby(keys.state(raced), "version", 1)
            sent.append(raced)
        return loaded

    async def watched_apply(self: Store, *args: Any, **options: Any) -> Any:
        versions = await apply(self, *args, **options)
        recorded_after_apply.append(client.hgetall(keys.positions))
        return versions

    async def work() -> None:
        async with _recovery(harness) as (recovery, _):
            await recovery.delivery_gap(assigned)
            await recovery.handle(first, assigned)
            recorded_after_apply.clear()
            round_trips.clear()
            monkeypatch.setattr(Store, "load", raced_load)
            monkeypatch.setattr(Store, "apply", watched_apply)
            await recovery.handle(second, assigned)

    asyncio.run(work())
    assert sent == [raced]
    assert round_trips == ["GET", "INFO+load", "apply+advance", "load", "apply", "advance"]
    before = {f"{m.topic}|{m.partition}".encode(): str(m.offset + 1).encode() for m in first}
    assert recorded_after_apply == [before, before]  # nothing of the batch while it applied
    assert all(harness.state(subject) for subject in subjects)
    assert _positions(harness) == len(messages)


def test_a_batch_with_feedback_records_its_positions_after_it(
    harness: Harness, round_trips: list[str]
) -> None:
    """Feedback is written after the subjects' changes: the positions are recorded after it,
    not with the changes (Redis losing the feedback's write would otherwise keep positions
    past it)."""
    subject = random_uscc()
    harness.publish(f.penalty(subject_id=subject, serious=True, occurred_at=at(2024, 1, 1)))
    harness.publish(f.penalty(subject_id=subject, occurred_at=at(2024, 1, 2)))
    harness.publish(f.feedback(subject_id=subject, notice_id="n-doesnotexist"))
    messages = _read_back(harness, 3)
    first = [m for m in messages if m.topic != harness.settings.topics.feedback][:1]
    second = [m for m in messages if m not in first]
    assigned = _assigned(harness)
    sent: list[str] = []

    async def work() -> None:
        async with _recovery(harness) as (recovery, _):
            await recovery.delivery_gap(assigned)
            await recovery.handle(first, assigned)
            round_trips.clear()
            await recovery.handle(second, assigned)
            sent.extend(round_trips)

    asyncio.run(work())
    assert sent[:3] == ["GET", "INFO+load", "apply"]
    assert len(sent) > 4  # the feedback's own calls between
    assert sent[-1] == "advance"
    assert harness.version(subject) == 2  # both penalties applied


def test_a_restart_between_deliveries_is_found_by_the_next_batch(harness: Harness) -> None:
    """The first delivery asks for the run id and nothing of it is ready yet (held in the
    ordering buffer); Redis restarts; the next delivery asks nothing, and its batch finds the
    restart with its read: what the worker was delivered is taken in again at once, the held
    messages with it."""
    subjects, messages = _penalties_published(harness, 4)
    assigned = _assigned(harness)
    held, batch = messages[:2], messages[2:]

    async def work() -> None:
        async with _recovery(harness) as (recovery, platform):
            await recovery.delivery_gap(assigned)
            recovery.delivered(held)
            await asyncio.to_thread(stack.restart, harness.settings, "redis", kill=False)
            await _reconnected(platform.redis)
            assert await recovery.delivery_gap(assigned) == ([], False)
            await recovery.handle(batch, assigned)

    asyncio.run(work())
    assert all(harness.state(subject) for subject in subjects)
    assert _positions(harness) == len(messages)
