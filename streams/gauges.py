"""The inputs of the gauges, read periodically: sizes in Redis and consumer lag from Kafka.

Consumer lag is the gap between the worker group's committed offset and the log-end offset, read
with confluent-kafka's AdminClient for the input partitions *this worker owns* (faust's current
assignment). Each partition is thus reported by one worker at a time and sums are meaningful; as
faust commits every few seconds, a busy partition shows a lag of up to a few seconds of input.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._listoffsets import OffsetSpec  # re-exported without __all__
from redis.asyncio import Redis
from redis.exceptions import RedisError

from streams.metrics import Metrics, PartitionLag, StoreReading
from streams.store.keys import LISTS, Keys

logger = logging.getLogger(__name__)

Partition = tuple[str, int]

# confluent-kafka leaves these factories unannotated.
LATEST = OffsetSpec.latest()  # type: ignore[no-untyped-call]
EARLIEST = OffsetSpec.earliest()  # type: ignore[no-untyped-call]


async def read_store(redis: Redis, keys: Keys, departments: Sequence[str]) -> StoreReading:
    """Every size the gauges show, in one round trip (a pipeline, not a transaction)."""
    pipe = redis.pipeline(transaction=False)
    for kind in LISTS:
        pipe.zcard(keys.list(kind))
    for department in departments:
        pipe.zcard(keys.department_notices("pending", department))
        pipe.zcard(keys.department_notices("overdue", department))
    pipe.xlen(keys.outbox)
    replies = [int(reply) for reply in await pipe.execute()]
    per_department = replies[len(LISTS) : -1]
    return StoreReading(
        lists={str(kind): count for kind, count in zip(LISTS, replies, strict=False)},
        pending=dict(zip(departments, per_department[0::2], strict=True)),
        overdue=dict(zip(departments, per_department[1::2], strict=True)),
        outbox=replies[-1],
    )


def partition_lag(committed: int, start: int, end: int) -> int:
    """Messages still to consume; a partition the group never committed counts from its start
    (the workers' ``auto_offset_reset`` is earliest)."""
    return max(0, end - (committed if committed >= 0 else start))


class LagReader:
    """Blocking reads of committed and end offsets through the Kafka admin API."""

    def __init__(self, admin: AdminClient, group: str, timeout: float = 5.0) -> None:
        self._admin = admin
        self._group = group
        self._timeout = timeout

    def read(self, partitions: Sequence[Partition]) -> list[PartitionLag]:
        if not partitions:
            return []
        tps = [TopicPartition(topic, partition) for topic, partition in partitions]
        committed = self._committed(tps)
        end = self._offsets(partitions, LATEST)
        never = [p for p in partitions if committed.get(p, -1) < 0]
        start = self._offsets(never, EARLIEST) if never else {}
        return [
            PartitionLag(t, p, partition_lag(committed.get((t, p), -1), start.get((t, p), 0), e))
            for (t, p), e in sorted(end.items())
        ]

    def _committed(self, tps: list[TopicPartition]) -> dict[Partition, int]:
        request = [ConsumerGroupTopicPartitions(self._group, tps)]
        futures = self._admin.list_consumer_group_offsets(request, request_timeout=self._timeout)
        result = futures[self._group].result(timeout=self._timeout)
        return {(tp.topic, tp.partition): tp.offset for tp in result.topic_partitions}

    def _offsets(self, partitions: Sequence[Partition], spec: OffsetSpec) -> dict[Partition, int]:
        futures = self._admin.list_offsets(
            {TopicPartition(t, p): spec for t, p in partitions}, request_timeout=self._timeout
        )
        return {
            (tp.topic, tp.partition): future.result(timeout=self._timeout).offset
            for tp, future in futures.items()
        }


@dataclass
class GaugeRefresher:
    """Reads everything the gauges show and sets them; a failed read leaves the last values
    and is logged, so a Redis or Kafka outage never stops the worker's timer."""

    metrics: Metrics
    redis: Redis
    keys: Keys
    departments: Sequence[str]
    inputs: Collection[str]
    lag: LagReader
    published: Callable[[], int]

    async def refresh(self, assigned: Iterable[Any]) -> None:
        """``assigned``: faust's TP tuples (``topic``, ``partition``) of this worker."""
        self.metrics.set_published(self.published())
        try:
            reading = await read_store(self.redis, self.keys, self.departments)
        except (RedisError, OSError) as exc:
            logger.warning("metrics: reading sizes from Redis failed: %s", exc)
        else:
            self.metrics.set_store(reading)
        owned = sorted({(tp.topic, tp.partition) for tp in assigned if tp.topic in self.inputs})
        try:
            # The admin client blocks; a thread keeps the event loop (and the agent) going.
            lags = await asyncio.to_thread(self.lag.read, owned)
        except (KafkaException, TimeoutError) as exc:
            logger.warning("metrics: reading consumer lag failed: %s", exc)
        else:
            self.metrics.set_lag(lags)
