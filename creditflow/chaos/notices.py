"""The notices departments actually received: every department's notice topic read from the
beginning to its current end, as a department's consumer would read it."""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from creditflow.chaos.errors import ChaosError
from creditflow.settings import Settings
from schemas.codec import decode
from schemas.errors import ContractError

logger = logging.getLogger(__name__)

READ_TIMEOUT = 120.0
NOTICE = "MeasureNotified"


@dataclass
class Received:
    """Measure notices as ``department/notice_id``, one per delivery; other records counted."""

    ids: list[str] = field(default_factory=list)
    other: Counter[str] = field(default_factory=Counter)  # record name → count (feedback relays)
    unreadable: int = 0


def read_notices(settings: Settings, department_ids: list[str]) -> Received:
    topics = {settings.topics.notice(d): d for d in department_ids}
    consumer = Consumer(
        {
            **settings.kafka_client_config(),
            "group.id": f"creditflow-chaos-read-{uuid.uuid4().hex[:8]}",  # never committed
            "enable.auto.commit": False,
            "enable.partition.eof": False,
        }
    )
    try:
        ends = {
            (topic, p): int(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1])
            for topic in topics
            for p in range(settings.topic_partitions)
        }
        remaining = {tp for tp, end in ends.items() if end > 0}
        consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in remaining])
        received = Received()
        deadline = time.monotonic() + READ_TIMEOUT
        while remaining:
            if time.monotonic() > deadline:
                raise ChaosError(
                    f"the notice topics were not read to their end in {READ_TIMEOUT:g} s "
                    f"({len(remaining)} partitions left): is Kafka up?"
                )
            for message in consumer.consume(1000, timeout=1.0):
                error = message.error()
                if error is not None:
                    if error.code() != KafkaError._PARTITION_EOF:
                        logger.warning("reading notices: %s", error.str())
                    continue
                tp = (str(message.topic()), int(message.partition() or 0))
                if int(message.offset() or 0) + 1 >= ends[tp]:
                    remaining.discard(tp)
                _add(received, topics[tp[0]], message.value())
        return received
    finally:
        consumer.close()


def _add(received: Received, department: str, value: bytes | None) -> None:
    try:
        name, datum = decode(value or b"")
    except ContractError:
        received.unreadable += 1
        return
    if name == NOTICE:
        received.ids.append(f"{department}/{datum['notice_id']}")
    else:
        received.other[name] += 1
