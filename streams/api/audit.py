"""The audit trail of credit checks: each subject query is on ``credit.audit.v1`` before its
answer leaves the worker; a query Kafka does not acknowledge in time is refused (503)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from creditflow.settings import Settings
from producers.publisher import producer_config
from schemas.audit import CreditCheckAudited
from schemas.codec import encode_model
from streams.api.errors import unavailable

logger = logging.getLogger(__name__)

#: Extra wait past librdkafka's own message timeout, so that its verdict arrives first.
_MARGIN = 0.5
_POLL = 0.05


class AuditLog:
    """Writes audit records with an idempotent acks=all producer and awaits each delivery."""

    def __init__(self, producer: Producer, topic: str, timeout: float) -> None:
        self._producer = producer
        self._topic = topic
        self._timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditLog:
        config: dict[str, Any] = {
            **producer_config(settings, f"creditflow-audit-{settings.worker_name}"),
            # librdkafka gives up on the record when the query gives up waiting for it.
            "message.timeout.ms": max(1000, int(settings.audit_timeout * 1000)),
            "linger.ms": 0,
        }
        return cls(Producer(config), settings.topics.audit, settings.audit_timeout)

    async def record(self, audit: CreditCheckAudited) -> None:
        """Return once Kafka acknowledged ``audit``; raise a 503 ApiError otherwise."""
        done = threading.Event()
        errors: list[KafkaError | None] = []

        def report(error: KafkaError | None, _message: Any) -> None:
            errors.append(error)
            done.set()

        try:
            self._producer.produce(
                self._topic,
                key=audit.department_id.encode(),
                value=encode_model(audit),
                on_delivery=report,
            )
        except (BufferError, KafkaException) as exc:
            logger.error("audit record not queued: topic=%s: %s", self._topic, exc)
            raise self._failed() from exc
        loop = asyncio.get_running_loop()
        # Delivery reports are served by poll(), which blocks: keep it off the event loop.
        delivered = await loop.run_in_executor(None, self._wait, done, self._timeout + _MARGIN)
        if not delivered or errors[0] is not None:
            reason = "no acknowledgement in time" if not delivered else errors[0]
            logger.error(
                "audit record not delivered: topic=%s department=%s event_id=%s: %s",
                self._topic,
                audit.department_id,
                audit.event_id,
                reason,
            )
            raise self._failed()

    def _wait(self, done: threading.Event, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not done.is_set() and time.monotonic() < deadline:
            self._producer.poll(_POLL)
        return done.is_set()

    def _failed(self) -> Exception:
        return unavailable(
            "audit_unavailable",
            "the query could not be written to the audit trail, so it is not answered; retry later",
        )

    def close(self, timeout: float = 10.0) -> None:
        self._producer.flush(timeout)
