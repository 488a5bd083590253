"""The bench's latency probe takes each notice as it arrives, not once a batch has filled; a
platform run refuses a consumer group that has offsets committed before its workers start."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Message, Producer, TopicPartition

from creditflow.bench.errors import BenchError
from creditflow.bench.latency import NoticeProbe, probe_when_ready
from creditflow.bench.platform import PlatformUnderTest
from creditflow.bench.run import bench_settings
from creditflow.demo.space import Space
from creditflow.departments import load_departments
from creditflow.settings import Settings
from producers.publisher import producer_config

pytestmark = pytest.mark.integration

WAIT = 20.0  # what the probe may wait for a message here: a batch would never fill


@pytest.fixture
def space() -> Iterator[Space]:
    space = Space(bench_settings(Settings(), f"p{uuid.uuid4().hex[:8]}"), load_departments())
    space.reset()
    yield space
    space.drop()


def test_a_lone_notice_is_taken_as_it_arrives(space: Space) -> None:
    settings = space.settings
    probe = probe_when_ready(lambda: NoticeProbe(settings))  # its topic is new
    producer = Producer(producer_config(settings, "creditflow-test-probe"))
    producer.produce(settings.topics.notice("finance"), key=b"subject", value=b"one notice")
    assert producer.flush(10) == 0
    values: list[bytes | None] = []
    try:
        while not values:
            began = time.monotonic()
            arrived = probe.arrived(WAIT)
            assert arrived, f"nothing arrived in {WAIT:g} s"
            # A consumer waiting for a batch of 1,000 would have waited its whole timeout.
            assert time.monotonic() - began < WAIT / 2
            values = [m.value() for m in arrived if m.error() is None]
    finally:
        probe.consumer.close()
    assert values == [b"one notice"]


def test_a_group_with_offsets_committed_before_is_refused(space: Space, tmp_path: Path) -> None:
    """Offsets an earlier run left (their deletion failed) would make a run end at once with
    nothing processed: the run says so instead of reporting figures."""
    settings = space.settings
    topic = settings.topics.inputs[0]
    landed: list[Message] = []
    producer = Producer(producer_config(settings, "creditflow-test-bench"))
    producer.produce(topic, key=b"subject", value=b"one", on_delivery=lambda e, m: landed.append(m))
    assert producer.flush(30) == 0
    (message,) = landed
    consumer = Consumer({**settings.kafka_client_config(), "group.id": space.group})
    try:
        offset = TopicPartition(topic, message.partition(), (message.offset() or 0) + 1)
        consumer.commit(offsets=[offset], asynchronous=False)
    finally:
        consumer.close()
    with PlatformUnderTest(space, 1, tmp_path, datetime(2025, 1, 1, tzinfo=UTC)) as under:
        with pytest.raises(BenchError, match="committed before its workers start"):
            under.run(1, 10)
        assert under.workers == []
