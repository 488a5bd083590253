"""Rejected import rows on the dead-letter topic, so operators see what departments could not
publish (DESIGN.md: ``credit.deadletter.v1``, ``schemas.notices.DeadLettered``)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from creditflow import deadletterkeys
from creditflow.settings import Settings
from producers.publisher import producer_config
from schemas.codec import encode_model
from schemas.deadletters import protect
from schemas.enums import SubjectKind
from schemas.errors import Problem
from schemas.identifiers import mask_resident_id, mask_subject_id
from schemas.notices import DeadLettered

logger = logging.getLogger(__name__)

_NAMESPACE = uuid.UUID("0d7b0e55-93c4-5a8e-8f0c-3b1a6c2e4f70")


def masked_subject(subject_id: str | None, kind: SubjectKind | None) -> str | None:
    """The subject id as operators may see it; masked unless it surely is an organisation."""
    if not subject_id:
        return None
    if kind is None:
        return mask_resident_id(subject_id)
    return mask_subject_id(kind, subject_id)


def dead_letter(
    *,
    department_id: str,
    source_topic: str,
    original: bytes,
    problems: tuple[Problem, ...],
    subject_id: str | None,
    now: datetime,
) -> DeadLettered:
    """The dead letter of one rejected row: its first problem, the raw row as written.

    Its id is derived from the department, topic and row, so sending it twice is harmless.
    """
    first = problems[0]
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    where = f"{first.field} ({first.code})" if first.code else first.field
    return DeadLettered(
        event_id=uuid.uuid5(_NAMESPACE, f"{department_id}\n{source_topic}\n{original.hex()}"),
        occurred_at=now,
        department_id=department_id,
        subject_id=subject_id,
        source_topic=source_topic,
        source_partition=-1,
        source_offset=-1,
        original_value=original,
        reason_code=first.reason_code,
        reason=f"{where}: {first.reason}{more}",
        field=first.field,
        rejected_by=f"importer:{department_id}",
    )


class DeadLetterSink:
    """Produces dead letters with a plain producer; counts what Kafka did not take."""

    def __init__(
        self,
        settings: Settings,
        department_id: str,
        *,
        producer: Producer | None = None,
        clock: Callable[[], datetime] | None = None,
        extra_config: dict[str, Any] | None = None,
    ) -> None:
        self.department_id = department_id
        self.topic = settings.topics.deadletter
        # Rows of natural persons are sealed to the operators' key before they leave (PIPL).
        self._seal_key = deadletterkeys.public_key(settings)
        self.clock = clock or (lambda: datetime.now(UTC))
        self._producer = producer or Producer(
            {
                **producer_config(settings, f"creditflow-importer-{department_id}-deadletter"),
                **(extra_config or {}),
            }
        )
        self.sent = 0
        self.delivered = 0
        self.failed = 0

    def send(
        self,
        *,
        source_topic: str,
        original: bytes,
        problems: tuple[Problem, ...],
        subject_id: str | None,
        subject_kind: SubjectKind | None,
    ) -> None:
        """Send the dead letter of one rejected row (keyed by its masked subject id)."""
        masked = masked_subject(subject_id, subject_kind)
        letter = dead_letter(
            department_id=self.department_id,
            source_topic=source_topic,
            original=original,
            problems=problems,
            subject_id=masked,
            now=self.clock(),
        )
        person = subject_kind == SubjectKind.NATURAL_PERSON
        letter = protect(letter, self._seal_key, force=person)
        key = masked.encode() if masked else None
        value = encode_model(letter)
        while True:
            try:
                self._producer.produce(self.topic, value=value, key=key, on_delivery=self._report)
                break
            except BufferError:
                self._producer.poll(0.5)
            except KafkaException as exc:
                self.failed += 1
                logger.error("dead letter not sent: topic=%s key=%s: %s", self.topic, masked, exc)
                return
        self.sent += 1
        self._producer.poll(0)

    def _report(self, error: KafkaError | None, message: Message) -> None:
        if error is None:
            self.delivered += 1
            return
        self.failed += 1
        logger.error(
            "dead letter not delivered: topic=%s key=%s: %s",
            self.topic,
            message.key(),
            error.str(),
        )

    def flush(self, timeout: float) -> int:
        """Wait for Kafka's reports; returns how many dead letters are still undelivered."""
        return int(self._producer.flush(timeout))
