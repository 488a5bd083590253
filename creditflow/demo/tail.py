"""Reads the demo's output topics from the beginning: the dead letters and every department's
notices, counted as Kafka holds them (not as the platform or the demo believes it sent them)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition

from creditflow.demo.space import Space
from creditflow.settings import Settings
from schemas.codec import decode
from schemas.errors import ContractError

logger = logging.getLogger(__name__)


@dataclass
class TopicCounts:
    dead_letters: Counter[str] = field(default_factory=Counter)  # by reason code
    dead_event_ids: set[str] = field(default_factory=set)  # event ids of the rejected inputs
    notices: dict[str, set[str]] = field(default_factory=dict)  # department → notice ids
    relays: Counter[str] = field(default_factory=Counter)  # department → feedback relays
    unreadable: int = 0


class TopicTail(threading.Thread):
    """Counts the dead-letter and notice topics as they fill, from offset 0."""

    def __init__(self, space: Space) -> None:
        super().__init__(name="topic-tail", daemon=True)
        self.counts = TopicCounts()
        self.lock = threading.Lock()
        self._settings = space.settings
        topics = space.settings.topics
        self._deadletter = topics.deadletter
        self._department_of = {topics.notice(d): d for d in space.departments.ids()}
        self._topics = [self._deadletter, *self._department_of]
        self._consumer = Consumer(
            {
                **space.settings.kafka_client_config(),
                "group.id": f"{space.group}-tail-{uuid.uuid4().hex[:8]}",  # never committed
                "enable.auto.commit": False,
                "enable.partition.eof": False,
            }
        )
        self._partitions = [
            TopicPartition(topic, p, OFFSET_BEGINNING)
            for topic in self._topics
            for p in range(space.settings.topic_partitions)
        ]
        self._consumer.assign(self._partitions)
        self._stop_requested = threading.Event()
        self._positions: dict[tuple[str, int], int] = {}

    def run(self) -> None:
        while not self._stop_requested.is_set():
            for message in self._consumer.consume(500, 0.2):
                self._count(message)
        self._consumer.close()

    def stop(self) -> None:
        self._stop_requested.set()
        self.join(10)

    def _count(self, message: Message) -> None:
        error = message.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                logger.warning("reading %s: %s", message.topic(), error.str())
            return
        topic, value = str(message.topic()), message.value() or b""
        with self.lock:
            self._positions[(topic, message.partition() or 0)] = (message.offset() or 0) + 1
            try:
                name, datum = decode(value)
            except ContractError:
                self.counts.unreadable += 1
                return
            if topic == self._deadletter:
                self.counts.dead_letters[str(datum["reason_code"])] += 1
                original = _event_id(datum.get("original_value"))
                if original is not None:
                    self.counts.dead_event_ids.add(original)
            elif name == "MeasureNotified":
                department = self._department_of[topic]
                self.counts.notices.setdefault(department, set()).add(str(datum["notice_id"]))
            elif name == "FeedbackRelayed":
                self.counts.relays[self._department_of[topic]] += 1

    def caught_up(self, timeout: float = 30.0) -> bool:
        """Whether everything in the topics now has been read (waiting up to ``timeout``)."""
        marks = end_offsets(self._settings, self._topics, self._settings.topic_partitions)
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                behind = [k for k, high in marks.items() if self._positions.get(k, 0) < high]
            if not behind:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)

    def snapshot(self) -> TopicCounts:
        with self.lock:
            return TopicCounts(
                Counter(self.counts.dead_letters),
                set(self.counts.dead_event_ids),
                {d: set(ids) for d, ids in self.counts.notices.items()},
                Counter(self.counts.relays),
                self.counts.unreadable,
            )


def end_offsets(
    settings: Settings, topics: list[str], partitions: int
) -> dict[tuple[str, int], int]:
    """The offset after the last message of each partition of ``topics``."""
    consumer = Consumer({**settings.kafka_client_config(), "group.id": "creditflow-demo-offsets"})
    try:
        return {
            (topic, p): int(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1])
            for topic in topics
            for p in range(partitions)
        }
    finally:
        consumer.close()


def _event_id(value: object) -> str | None:
    if not isinstance(value, bytes):
        return None
    try:
        _, datum = decode(value)
    except ContractError:
        return None
    event_id = datum.get("event_id")
    return None if event_id is None else str(event_id)
