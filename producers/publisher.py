"""The publisher SDK a department runs to send its records to creditflow.

Example::

    from producers import DepartmentPublisher

    with DepartmentPublisher("market-regulation") as publisher:
        delivery = publisher.penalty({...})     # or a PenaltyImposed
        print(delivery.result(timeout=10))      # Delivered(topic=..., partition=..., offset=...)

Every event is validated before it is sent: an invalid one raises ``InvalidEventError`` naming
the field and never reaches Kafka. The producer is idempotent with ``acks=all``; the key is the
subject id; leaving the ``with`` block flushes and raises if anything was not delivered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from uuid import UUID

from confluent_kafka import KafkaError, Message, Producer

from creditflow.departments import DepartmentRegistry, load_departments
from creditflow.settings import Settings
from producers.errors import DeliveryError, PublishError
from schemas.checks import check_plausible
from schemas.codec import encode_model, to_model
from schemas.errors import ContractError
from schemas.events import (
    CommendationDesignated,
    CreditRepairDecided,
    Event,
    FeedbackReported,
    ObjectionCorrected,
    ObjectionFiled,
    ObjectionRevoked,
    ObjectionUpheld,
    PenaltyImposed,
    PermitGranted,
)
from schemas.identifiers import mask_subject_id

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Clock = Callable[[], datetime]


def producer_config(settings: Settings, client_id: str) -> dict[str, Any]:
    """The settings every creditflow producer uses (DESIGN.md: murmur2, idempotent, acks=all)."""
    return {
        **settings.kafka_client_config(),
        "client.id": client_id,
        "enable.idempotence": True,
        "acks": "all",
        # librdkafka's default (CRC32) would put a key on another partition than the Java
        # clients and faust do; murmur2 keeps a subject's events co-partitioned.
        "partitioner": "murmur2_random",
        "linger.ms": 5,
        "compression.type": "lz4",
    }


@dataclass(frozen=True, slots=True)
class Delivered:
    """Kafka acknowledged the event: where it now is."""

    event_id: UUID
    topic: str
    partition: int
    offset: int


class Delivery:
    """The delivery report of one event, resolved when Kafka answers."""

    def __init__(self, publisher: DepartmentPublisher, event: Event) -> None:
        self.event = event
        self._publisher = publisher
        self._future: Future[Delivered] = Future()

    def done(self) -> bool:
        return self._future.done()

    def result(self, timeout: float | None = None) -> Delivered:
        """Wait for the report (serving the producer meanwhile); raise DeliveryError on failure."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._future.done():
            if deadline is not None and time.monotonic() >= deadline:
                raise PublishError(f"no delivery report for event {self.event.event_id} in time")
            self._publisher.poll(0.1)
        try:
            return self._future.result(timeout=0)
        except FutureTimeout as exc:  # pragma: no cover - done() was checked
            raise PublishError("delivery report lost") from exc

    def _resolve(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._future.set_exception(
                DeliveryError(f"event {self.event.event_id} was not delivered: {error.str()}")
            )
        else:
            partition, offset = message.partition(), message.offset()
            self._future.set_result(
                Delivered(
                    self.event.event_id,
                    str(message.topic()),
                    -1 if partition is None else partition,
                    -1 if offset is None else offset,
                )
            )


class DepartmentPublisher:
    """Publishes one department's events to the creditflow input topics."""

    def __init__(
        self,
        department_id: str,
        settings: Settings | None = None,
        *,
        departments: DepartmentRegistry | None = None,
        clock: Clock | None = None,
        producer: Producer | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.departments = departments or load_departments(self.settings.departments_file)
        if department_id not in self.departments:
            raise PublishError(
                f"unknown department {department_id!r}; known: {', '.join(self.departments.ids())}"
            )
        self.department_id = department_id
        self._clock = clock or (lambda: datetime.now(UTC))
        self._producer = producer or Producer(
            producer_config(self.settings, f"creditflow-publisher-{department_id}")
        )
        self.sent = 0
        self.delivered = 0
        self.failed = 0

    # Typed entry points, one per event kind. Each takes the model or a mapping of its fields
    # (department_id defaults to this publisher's department).
    def permit(self, event: PermitGranted | Mapping[str, Any]) -> Delivery:
        return self.publish(self._build(PermitGranted, event))

    def penalty(self, event: PenaltyImposed | Mapping[str, Any]) -> Delivery:
        return self.publish(self._build(PenaltyImposed, event))

    def repair(self, event: CreditRepairDecided | Mapping[str, Any]) -> Delivery:
        return self.publish(self._build(CreditRepairDecided, event))

    def commendation(self, event: CommendationDesignated | Mapping[str, Any]) -> Delivery:
        return self.publish(self._build(CommendationDesignated, event))

    def objection_filed(self, event: ObjectionFiled | Mapping[str, Any]) -> Delivery:
        return self.publish(self._build(ObjectionFiled, event))

    def objection_upheld(self, event: ObjectionUpheld | Mapping[str, Any]) -> Delivery:
        return self.publish(self._build(ObjectionUpheld, event))

    def objection_corrected(self, event: ObjectionCorrected | Mapping[str, Any]) -> Delivery:
        return self.publish(self._build(ObjectionCorrected, event))

    def objection_revoked(self, event: ObjectionRevoked | Mapping[str, Any]) -> Delivery:
        return self.publish(self._build(ObjectionRevoked, event))

    def feedback(self, event: FeedbackReported | Mapping[str, Any]) -> Delivery:
        """Answer a notice; ``occurred_at`` defaults to now."""
        if isinstance(event, Mapping) and "occurred_at" not in event:
            event = {**event, "occurred_at": self._clock()}
        return self.publish(self._build(FeedbackReported, event))

    def _build(self, cls: type[E], event: E | Mapping[str, Any]) -> E:
        if isinstance(event, cls):
            return event
        if not isinstance(event, Mapping):
            raise TypeError(f"expected {cls.__name__} or a mapping, got {type(event).__name__}")
        return to_model(cls, {"department_id": self.department_id, **event})

    def publish(
        self, event: Event, on_delivery: Callable[[Delivery], None] | None = None
    ) -> Delivery:
        """Validate and send one event; the returned Delivery resolves when Kafka answers."""
        if event.department_id != self.department_id:
            raise ContractError(
                f"this publisher acts for {self.department_id!r}, not {event.department_id!r}",
                field="department_id",
                reason_code="invalid.department",
            )
        check_plausible(event, self._clock(), self.departments)
        value = encode_model(event)
        topic = self.settings.topics.event(event.topic_kind)
        delivery = Delivery(self, event)

        def report(error: KafkaError | None, message: Message) -> None:
            delivery._resolve(error, message)
            if error is None:
                self.delivered += 1
            else:
                self.failed += 1
                logger.error(
                    "not delivered: topic=%s key=%s event_id=%s: %s",
                    topic,
                    mask_subject_id(event.subject_kind, event.subject_id),
                    event.event_id,
                    error.str(),
                )
            if on_delivery is not None:
                on_delivery(delivery)

        self._produce(topic, event.subject_id.encode(), value, report)
        self.sent += 1
        return delivery

    def _produce(
        self, topic: str, key: bytes, value: bytes, report: Callable[[Any, Any], None]
    ) -> None:
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, on_delivery=report)
                break
            except BufferError:
                # The local queue is full: serve delivery reports until there is room.
                self._producer.poll(0.5)
        self._producer.poll(0)

    def poll(self, timeout: float = 0) -> int:
        """Serve delivery reports; returns how many were served."""
        return int(self._producer.poll(timeout))

    def flush(self, timeout: float = 30.0) -> int:
        """Wait for every report; returns how many events are still undelivered."""
        return int(self._producer.flush(timeout))

    def close(self, timeout: float = 30.0) -> None:
        """Flush; raise DeliveryError if some events were not acknowledged."""
        remaining = self.flush(timeout)
        if remaining:
            raise DeliveryError(f"{remaining} events still undelivered after {timeout:g} s")
        if self.failed:
            raise DeliveryError(f"{self.failed} of {self.sent} events were not delivered")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.flush()
