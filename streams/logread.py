"""Reading topics from the beginning to where they ended when the read began.

The rebuild and the benchmark read whole topics with a plain consumer (assign, no group
membership, nothing committed) in large batches; messages appended after the start are left for
the workers, so a read always ends even while producers keep writing.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from creditflow.errors import CreditflowError
from creditflow.settings import Settings
from streams.intake import Incoming

logger = logging.getLogger(__name__)

METADATA_TIMEOUT = 10.0
#: Messages asked for per consume() call: large, since the caller handles them in bulk.
BATCH = 10_000
#: Seconds without a message before a read that has not reached its end gives up.
IDLE_TIMEOUT = 60.0


class LogReadError(CreditflowError):
    """A topic could not be read to its end."""


@dataclass(frozen=True, slots=True)
class LogRange:
    """Where each partition of the topics starts and ends (the end taken when the read began)."""

    starts: dict[tuple[str, int], int]
    ends: dict[tuple[str, int], int]

    @property
    def total(self) -> int:
        return sum(self.ends[k] - self.starts[k] for k in self.ends)


def read_consumer(settings: Settings, **overrides: Any) -> Consumer:
    """A consumer for whole-topic reads: never commits, fetches much per round trip."""
    return Consumer(
        {
            **settings.kafka_client_config(),
            # assign() needs no group, but librdkafka wants an id; it is never joined.
            "group.id": f"creditflow-read-{uuid.uuid4().hex[:12]}",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": False,
            "auto.offset.reset": "earliest",  # a start the retention has passed: what is left
            "max.partition.fetch.bytes": 8 * 1024 * 1024,
            "fetch.max.bytes": 64 * 1024 * 1024,
            "queued.min.messages": 200_000,
            **overrides,
        }
    )


def log_range(consumer: Consumer, topics: Sequence[str]) -> LogRange:
    """The first and the next offset of every partition of ``topics``, now."""
    starts: dict[tuple[str, int], int] = {}
    ends: dict[tuple[str, int], int] = {}
    try:
        for topic in topics:
            metadata = consumer.list_topics(topic, timeout=METADATA_TIMEOUT).topics[topic]
            if metadata.error is not None:
                raise LogReadError(f"cannot read topic {topic}: {metadata.error.str()}")
            for partition in sorted(metadata.partitions):
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=METADATA_TIMEOUT
                )
                starts[(topic, partition)], ends[(topic, partition)] = int(low), int(high)
    except KafkaException as exc:
        raise LogReadError(
            f"Kafka did not give the offsets of {', '.join(topics)}: {exc.args[0].str()}"
        ) from exc
    return LogRange(starts, ends)


def incoming(message: Message) -> Incoming:
    """A message read from the log, as the workers take one in."""
    return Incoming(
        str(message.topic()), int(message.partition() or 0), int(message.offset() or 0),
        message.key(), message.value(),
    )  # fmt: skip


def read_log(
    settings: Settings, topics: Sequence[str], log: LogRange | None = None
) -> Generator[list[Message], None, None]:
    """Every message of ``topics`` from the starts to the ends of ``log`` (default: the whole
    log now), in batches.

    Within a partition the messages come in offset order; partitions are interleaved.
    """
    consumer = read_consumer(settings)
    try:
        log = log or log_range(consumer, topics)
        remaining = {key for key in log.ends if log.ends[key] > log.starts[key]}
        if not remaining:
            return
        consumer.assign([TopicPartition(t, p, log.starts[(t, p)]) for t, p in sorted(remaining)])
        idle_since = time.monotonic()
        while remaining:
            batch: list[Message] = []
            for message in consumer.consume(BATCH, 1.0):
                error = message.error()
                if error is not None:
                    raise LogReadError(f"reading {message.topic()}: {error.str()}")
                key = (str(message.topic()), int(message.partition() or 0))
                offset = int(message.offset() or 0)
                if offset < log.ends.get(key, 0):
                    batch.append(message)  # later ones were written after the read began
                if offset + 1 >= log.ends.get(key, 0):
                    _done(consumer, remaining, key)
            if batch:
                idle_since = time.monotonic()
                yield batch
                continue
            # Offsets may have gaps (control records, compaction): nothing arrives for the last
            # ones, but the consumer's position still passes them.
            for tp in consumer.position([TopicPartition(*key) for key in sorted(remaining)]):
                key = (str(tp.topic), int(tp.partition))
                if tp.offset >= log.ends[key]:
                    _done(consumer, remaining, key)
            if time.monotonic() - idle_since > IDLE_TIMEOUT:
                raise LogReadError(
                    f"nothing read for {IDLE_TIMEOUT:g} s with {len(remaining)} partitions not "
                    "read to their end; is Kafka up (`creditflow stack status`)?"
                )
    finally:
        consumer.close()


def _done(consumer: Consumer, remaining: set[tuple[str, int]], key: tuple[str, int]) -> None:
    if key in remaining:
        remaining.discard(key)
        consumer.pause([TopicPartition(*key)])
