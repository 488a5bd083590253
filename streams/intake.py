"""From a Kafka message to an accepted event or a reasoned rejection, never an exception."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from creditflow.departments import DepartmentRegistry
from creditflow.topics import TopicNames
from schemas.catalog import model_class
from schemas.checks import check_plausible
from schemas.codec import decode, encode, model_to_datum, to_model, written_current
from schemas.errors import ContractError
from schemas.events import Event, ObjectionCorrected
from schemas.identifiers import mask_subject_id
from streams.rules.facts import Fact, fact_from_datum

#: Which events each input topic carries.
TOPIC_EVENTS = {
    "permit": {"PermitGranted"},
    "penalty": {"PenaltyImposed"},
    "repair": {"CreditRepairDecided"},
    "commendation": {"CommendationDesignated"},
    "objection": {"ObjectionFiled", "ObjectionUpheld", "ObjectionCorrected", "ObjectionRevoked"},
    "feedback": {"FeedbackReported"},
}


@dataclass(frozen=True, slots=True)
class Incoming:
    """One consumed Kafka message."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None

    def source(self) -> str:
        """Where it was read, as JSON: kept for events that wait for the record they name."""
        key = None if self.key is None else self.key.hex()
        return json.dumps([self.topic, self.partition, self.offset, key])


@dataclass(frozen=True, slots=True)
class Accepted:
    message: Incoming
    name: str
    event: Event
    value: bytes  # the event as validated, in the current schema: what the store keeps
    fact: Fact | None  # None for feedback
    event_id: str  # the event's id as text, asked for at every step

    @property
    def subject_id(self) -> str:
        return self.event.subject_id


@dataclass(frozen=True, slots=True)
class Rejected:
    message: Incoming
    reason_code: str
    reason: str
    field: str | None = None
    department_id: str | None = None
    subject_id: str | None = None  # masked for natural persons


def fact_from_bytes(value: bytes) -> Fact | None:
    """The fact of an event stored earlier (validated when it came in)."""
    name, datum = decode(value)
    corrected = None
    if name == "ObjectionCorrected":
        inner_name, inner = decode(datum["corrected_record"])
        corrected = {"name": inner_name, "datum": inner}
    return fact_from_datum(name, datum, corrected)


def _fact(name: str, event: Event, datum: dict[str, Any]) -> Fact | None:
    corrected = None
    if isinstance(event, ObjectionCorrected):
        inner = event.corrected()
        corrected = {"name": type(inner).__name__, "datum": inner.model_dump(mode="python")}
    return fact_from_datum(name, datum, corrected)


def accept(
    message: Incoming, topics: TopicNames, departments: DepartmentRegistry, now: datetime
) -> Accepted | Rejected:
    """Decode, validate and check one message against the contract."""
    try:
        return _accept(message, topics, departments, now)
    except ContractError as exc:
        return Rejected(message, exc.reason_code, exc.detail, exc.field)


def _accept(
    message: Incoming, topics: TopicNames, departments: DepartmentRegistry, now: datetime
) -> Accepted | Rejected:
    if message.value is None:
        return Rejected(message, "decode.empty", "the message has no value")
    name, datum = decode(message.value)
    kind = topics.kind_of(message.topic)
    if kind is None or name not in TOPIC_EVENTS[kind]:
        return Rejected(message, "invalid.topic", f"{name} does not belong on {message.topic}")
    try:
        event: Any = to_model(model_class(name), datum)
    except ContractError as exc:
        return _rejected(message, exc, datum)
    try:
        check_plausible(event, now, departments)
    except ContractError as exc:
        return Rejected(message, exc.reason_code, exc.detail, exc.field, *_who(event))
    if message.key is None or message.key != event.subject_id.encode():
        return Rejected(
            message, "invalid.key", "the message key must be the subject id", "key", *_who(event)
        )
    valid = model_to_datum(event)
    # What the store keeps is the event as validated. When that is what was read, in the
    # current schema, the bytes as they came are those bytes: they are not encoded again.
    if (valid == datum or _same_datum(valid, datum)) and written_current(message.value, name):
        value = message.value
    else:
        value = encode(name, valid)
    return Accepted(message, name, event, value, _fact(name, event, valid), str(event.event_id))


def _who(event: Any) -> tuple[str, str]:
    """The department and the subject (masked) a rejected event names."""
    return event.department_id, mask_subject_id(event.subject_kind, event.subject_id)


def _same_datum(valid: Any, read: Any) -> bool:
    """Whether the validated form and the datum read are the same Avro value: an array is one
    whether it is held as a tuple (the models' sequences) or as a list (what fastavro reads)."""
    if isinstance(valid, tuple | list) and isinstance(read, tuple | list):
        return len(valid) == len(read) and all(map(_same_datum, valid, read))
    if isinstance(valid, dict) and isinstance(read, dict):
        return valid.keys() == read.keys() and all(_same_datum(valid[k], read[k]) for k in valid)
    return bool(valid == read)


def _rejected(message: Incoming, exc: ContractError, datum: dict[str, Any]) -> Rejected:
    department = datum.get("department_id")
    subject = datum.get("subject_id")
    kind = str(datum.get("subject_kind", ""))
    return Rejected(
        message,
        exc.reason_code,
        exc.detail,
        exc.field,
        department if isinstance(department, str) else None,
        mask_subject_id(kind, subject) if isinstance(subject, str) else None,
    )
