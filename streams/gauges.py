"""The inputs of the gauges, read periodically: sizes in Redis and consumer lag from Kafka.

Consumer lag is the gap between the worker group's committed offset and the log-end offset, read
with a confluent-kafka consumer (outside the group) for the input partitions *this worker owns*
(faust's current assignment). Each partition is thus reported by one worker at a time and sums
are meaningful; as faust commits every few seconds, a busy partition shows a lag of up to a few
seconds of input.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaException, TopicPartition
from redis.asyncio import Redis
from redis.exceptions import RedisError

from streams.metrics import Metrics, PartitionLag, StoreReading
from streams.store.keys import LISTS, Keys

logger = logging.getLogger(__name__)

Partition = tuple[str, int]


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
    """Blocking reads of committed and end offsets with a plain consumer that never joins the
    group: the consumer API, not the admin API, whose requests have aborted a worker (a
    librdkafka assertion) while the broker was down."""

    def __init__(self, consumer: Consumer, timeout: float = 5.0) -> None:
        self._consumer = consumer
        self._timeout = timeout

    def read(self, partitions: Sequence[Partition]) -> list[PartitionLag]:
        if not partitions:
            return []
        tps = [TopicPartition(topic, partition) for topic, partition in partitions]
        committed = {
            (tp.topic, tp.partition): tp.offset
            for tp in self._consumer.committed(tps, timeout=self._timeout)
        }
        lags = []
        for topic, partition in sorted(partitions):
            start, end = self._consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=self._timeout, cached=False
            )
            lag = partition_lag(committed.get((topic, partition), -1), start, end)
            lags.append(PartitionLag(topic, partition, lag, end))
        return lags

    def close(self) -> None:
        self._consumer.close()


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
