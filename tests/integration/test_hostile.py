"""Hostile input: whatever departments (or anyone) put on the input topics, every bad message
ends in the dead-letter topic with a reason, no worker dies, and the good events interleaved
with them are all applied."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from producers.publisher import producer_config
from schemas.catalog import decode_event
from schemas.codec import encode, encode_model
from tests import factories as f
from tests.integration.harness import Harness, random_uscc, running_platform, wait_for
from tests.unit.rules_helpers import at

pytestmark = pytest.mark.integration

HOSTILE = 10_000
GOOD = 400
BIG = 900_000  # below the broker's 1 MB message limit; bigger is refused by Kafka itself


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Harness]:
    with running_platform(tmp_path, at(2024, 3, 5)) as harness:
        yield harness


def _datum(event: Any) -> dict[str, Any]:
    return dict(event.model_dump(mode="python"))


def _hostile(
    rng: random.Random, topics: Any
) -> Iterator[tuple[str, bytes | None, bytes | None, str]]:
    """(topic, key, value, what) of every kind of bad input, round-robin over the input topics."""
    inputs = list(topics.inputs)
    subject = random_uscc(rng)
    valid = encode_model(f.penalty(subject_id=subject))
    makers = [
        ("random bytes", lambda: rng.randbytes(rng.randrange(0, 300))),
        ("truncated avro", lambda: valid[: rng.randrange(1, len(valid) - 1)]),
        (
            "bad check digit",
            lambda: encode(
                "PenaltyImposed",
                {
                    **_datum(f.penalty()),
                    "subject_id": "91110000600037341N",
                    "uscc": "91110000600037341N",
                },
            ),
        ),
        (
            "future date",
            lambda: encode(
                "PenaltyImposed", {**_datum(f.penalty()), "decided_on": date(2099, 1, 1)}
            ),
        ),
        (
            "negative amount",
            lambda: encode("PenaltyImposed", {**_datum(f.penalty()), "fine_amount": Decimal("-5")}),
        ),
        (
            "unknown department",
            lambda: encode(
                "PermitGranted", {**_datum(f.permit()), "department_id": "no-such-dept"}
            ),
        ),
        (
            "huge string",
            lambda: encode("PenaltyImposed", {**_datum(f.penalty()), "facts": "违" * (BIG // 3)}),
        ),
        (
            "missing document number",
            lambda: encode("PermitGranted", {**_datum(f.permit()), "document_number": ""}),
        ),
        ("empty value", lambda: None),
    ]
    for i in range(HOSTILE):
        what, make = makers[i % len(makers)]
        topic = inputs[i % len(inputs)]
        value = make()
        key: bytes | None = f.COMPANY.encode()
        if i % 13 == 0:
            key = b"\xff\xfe\x00not utf-8"  # with a valid event: rejected for its key
            value = encode_model(f.permit(document_number=f"K{i}", event_id=uuid.uuid4()))
            what, topic = "non-utf-8 key", topics.event("permit")
        yield topic, key, value, what


def test_hostile_messages_are_dead_lettered_and_good_ones_applied(platform: Harness) -> None:
    h = platform
    rng = random.Random(20241127)
    producer = Producer({**producer_config(h.settings, "hostile"), "linger.ms": 50})
    sent: Counter[str] = Counter()
    good_subjects = [random_uscc(rng) for _ in range(GOOD)]
    hostile = _hostile(rng, h.settings.topics)
    for i, (topic, key, value, what) in enumerate(hostile):
        _produce(producer, topic, key, value)
        sent[what] += 1
        if i % (HOSTILE // GOOD) == 0 and i // (HOSTILE // GOOD) < GOOD:
            subject = good_subjects[i // (HOSTILE // GOOD)]
            good = f.permit(subject_id=subject, document_number=f"G{i}")
            _produce(
                producer, h.settings.topics.event("permit"), subject.encode(), encode_model(good)
            )
    assert producer.flush(60) == 0
    # 10 MB never reaches a topic: the client refuses it (message.max.bytes), as would the broker.
    big = encode("PenaltyImposed", {**_datum(f.penalty()), "facts": "x" * 10_000_000})
    with pytest.raises(KafkaException, match="MSG_SIZE_TOO_LARGE"):
        producer.produce(h.settings.topics.event("penalty"), key=b"k", value=big)
    letters = wait_for(lambda: _dead_letters(h, HOSTILE), 240, f"{HOSTILE} dead letters")
    assert len(letters) == HOSTILE
    assert all(letter.reason_code and letter.reason for letter in letters)
    reasons = Counter(letter.reason_code for letter in letters)
    assert reasons["decode.empty"] == sent["empty value"]
    assert reasons["invalid.key"] >= sent["non-utf-8 key"]
    wait_for(lambda: all(h.version(s) == 1 for s in good_subjects), 120, "every good event applied")
    assert h.workers[0].process.poll() is None, h.workers[0].tail()


def _produce(producer: Producer, topic: str, key: bytes | None, value: bytes | None) -> None:
    while True:
        try:
            producer.produce(topic, key=key, value=value)
            return
        except BufferError:
            producer.poll(0.5)


def _dead_letters(h: Harness, expected: int) -> list[Any] | None:
    topic = h.settings.topics.deadletter
    consumer = Consumer(
        {
            **h.settings.kafka_client_config(),
            "group.id": f"dl-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        letters = []
        idle = 0
        while idle < 5:
            batch = consumer.consume(1000, 0.2)
            idle = idle + 1 if not batch else 0
            letters += [decode_event(m.value()) for m in batch if not m.error()]
    finally:
        consumer.close()
    return letters if len(letters) >= expected else None
