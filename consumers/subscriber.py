"""The subscriber SDK a department runs to receive its notices and answer them.

Example::

    from consumers import DepartmentSubscriber

    with DepartmentSubscriber("finance") as subscriber:
        for notice in subscriber.notices(timeout=30):
            if isinstance(notice, MeasureNotified):
                restrict_procurement(notice.subject_id)          # the department's own system
                subscriber.answer(notice, "EXECUTED", "已限制参加政府采购")

A notice is committed only after the loop body (or the handler) returns, so a crash redelivers
it; a notice id already handled is skipped. ``answer`` publishes the feedback in one call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from confluent_kafka import Consumer, KafkaError, Message

from consumers.seen import SeenIds
from creditflow.departments import DepartmentRegistry, load_departments
from creditflow.errors import CreditflowError
from creditflow.settings import Settings
from producers.publisher import Delivery, DepartmentPublisher
from schemas.catalog import decode_event
from schemas.enums import FeedbackStatus
from schemas.errors import ContractError
from schemas.notices import FeedbackRelayed, MeasureNotified

logger = logging.getLogger(__name__)

Notice = MeasureNotified | FeedbackRelayed


class SubscribeError(CreditflowError):
    """The department's notice topic cannot be read."""


class DepartmentSubscriber:
    """Reads one department's notice topic (``credit.notice.<dept>.v1``)."""

    def __init__(
        self,
        department_id: str,
        settings: Settings | None = None,
        *,
        group_id: str | None = None,
        seen: SeenIds | None = None,
        departments: DepartmentRegistry | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``clock`` dates the answers (default: the system clock; a simulation passes its own)."""
        self.settings = settings or Settings()
        registry = departments or load_departments(self.settings.departments_file)
        if department_id not in registry:
            raise SubscribeError(f"unknown department {department_id!r}")
        self.department_id = department_id
        self.topic = self.settings.topics.notice(department_id)
        self.seen = seen or SeenIds()
        self.skipped_duplicates = 0
        self._consumer = Consumer(
            {
                **self.settings.kafka_client_config(),
                "group.id": group_id or f"creditflow-department-{department_id}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "client.id": f"creditflow-subscriber-{department_id}",
            }
        )
        self._consumer.subscribe([self.topic])
        self._publisher: DepartmentPublisher | None = None
        self._registry = registry
        self._clock = clock or (lambda: datetime.now(UTC))

    def notices(
        self, timeout: float | None = None, max_count: int | None = None
    ) -> Iterator[Notice]:
        """Yield notices as they arrive; each is committed once the caller asks for the next.

        Stops after ``timeout`` seconds without a new notice, or after ``max_count`` notices.
        """
        count = 0
        idle_since = time.monotonic()
        while max_count is None or count < max_count:
            message = self._consumer.poll(0.5)
            if message is None:
                if timeout is not None and time.monotonic() - idle_since > timeout:
                    return
                continue
            idle_since = time.monotonic()
            notice = self._decode(message)
            if notice is not None:
                if notice.notice_id in self.seen:
                    self.skipped_duplicates += 1
                else:
                    count += 1
                    yield notice
                    self.seen.add(notice.notice_id)
            self._consumer.commit(message=message, asynchronous=False)

    def run(
        self,
        handler: Callable[[Notice], None],
        timeout: float | None = None,
        max_count: int | None = None,
    ) -> int:
        """Call ``handler`` for each new notice; returns how many were handled."""
        handled = 0
        for notice in self.notices(timeout, max_count):
            handler(notice)
            handled += 1
        return handled

    def answer(
        self,
        notice: MeasureNotified,
        status: FeedbackStatus | str,
        note: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Delivery:
        """Report what the department did with a measure notice (执行反馈); ``occurred_at``
        (when it acted) defaults to the subscriber's clock."""
        if notice.department_id != self.department_id:
            raise ContractError(
                f"notice {notice.notice_id} was sent to {notice.department_id}", field="notice_id"
            )
        if self._publisher is None:
            self._publisher = DepartmentPublisher(
                self.department_id, self.settings, departments=self._registry, clock=self._clock
            )
        return self._publisher.feedback(
            {
                "occurred_at": occurred_at or self._clock(),
                "subject_id": notice.subject_id,
                "subject_kind": notice.subject_kind,
                "subject_name": notice.subject_name,
                "notice_id": notice.notice_id,
                "status": FeedbackStatus(status),
                "note": note,
            }
        )

    def _decode(self, message: Message) -> Notice | None:
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                return None
            raise SubscribeError(f"cannot read {self.topic}: {error.str()}")
        value = message.value()
        try:
            notice = decode_event(value) if value is not None else None
        except ContractError as exc:
            logger.error(
                "unreadable notice skipped: topic=%s partition=%s offset=%s: %s",
                message.topic(),
                message.partition(),
                message.offset(),
                exc,
            )
            return None
        if not isinstance(notice, MeasureNotified | FeedbackRelayed):
            logger.error("unexpected %s on %s skipped", type(notice).__name__, self.topic)
            return None
        return notice

    def close(self) -> None:
        try:
            if self._publisher is not None:
                self._publisher.close()
        finally:
            self._consumer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
