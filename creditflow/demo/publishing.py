"""The city's departments publishing: good records through the publisher SDK (validated, dated by
the simulated clock), bad records raw, as a broken department system would send them."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from creditflow.demo.badrecords import BadRecord
from creditflow.demo.errors import DemoError
from creditflow.demo.space import SimClock, Space
from creditflow.demo.stories import Scheduled
from producers import DepartmentPublisher
from producers.publisher import producer_config

logger = logging.getLogger(__name__)


class CityPublisher:
    def __init__(self, space: Space, clock: SimClock) -> None:
        settings = space.settings
        self._topics = settings.topics
        self._publishers = {
            d: DepartmentPublisher(d, settings, departments=space.departments, clock=clock.now)
            for d in space.departments.ids()
        }
        self._raw = Producer(producer_config(settings, f"{space.group}-broken-system"))
        self.sent: Counter[str] = Counter()  # good, bad
        self.raw_failed = 0
        self._event_ids: set[str] = set()

    def publish(self, item: Scheduled | BadRecord) -> None:
        if isinstance(item, Scheduled):
            self._publishers[item.event.department_id].publish(item.event)
            self.sent["good"] += 1
            self._event_ids.add(str(item.event.event_id))
            return
        self._produce_raw(item)
        self.sent["bad"] += 1

    def _produce_raw(self, item: BadRecord) -> None:
        def report(error: KafkaError | None, _message: Message) -> None:
            if error is not None:
                self.raw_failed += 1
                logger.error("bad record not delivered: %s", error.str())

        topic = self._topics.event(item.topic_kind)
        while True:
            try:
                self._raw.produce(topic, key=item.key, value=item.value, on_delivery=report)
                break
            except BufferError:
                self._raw.poll(0.2)
        self._raw.poll(0)

    @property
    def distinct(self) -> int:
        """Good records sent, each counted once (a resent event is stored once)."""
        return len(self._event_ids)

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    def poll(self) -> None:
        for publisher in self._publishers.values():
            publisher.poll(0)
        self._raw.poll(0)

    def close(self, timeout: float = 60.0) -> None:
        """Flush everything; raise if Kafka did not take every record."""
        problems: list[Any] = []
        for department, publisher in self._publishers.items():
            try:
                publisher.close(timeout)
            except Exception as exc:
                problems.append(f"{department}: {exc}")
        if self._raw.flush(timeout) or self.raw_failed:
            problems.append(f"{self.raw_failed} bad records not delivered")
        if problems:
            raise DemoError(f"records not delivered: {'; '.join(problems)}")
