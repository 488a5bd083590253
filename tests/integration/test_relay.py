"""The outbox relay against the real Redis and Kafka: every entry is published and removed,
whether it is new, read by this relay before a restart, or abandoned by another; a round with
nothing left behind asks Redis only for new entries."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from creditflow.settings import Settings
from producers.publisher import producer_config
from streams.relay import GROUP, OutboxRelay
from streams.store.keys import Keys
from tests.integration.harness import wait_for

pytestmark = pytest.mark.integration


class CountingRedis(redis.Redis):
    """The real client, counting the commands it sends by name (and XREADGROUP by its id)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: Counter[str] = Counter()

    def execute_command(self, *args: Any, **options: Any) -> Any:
        name = str(args[0]).upper()
        if name == "XREADGROUP":
            name += " " + str(args[-1])  # the id read from: "0" (own pending) or ">" (new)
        self.sent[name] += 1
        return super().execute_command(*args, **options)


@dataclass
class Outbox:
    settings: Settings
    keys: Keys
    topic: str
    redis: CountingRedis

    def add(self, count: int) -> list[bytes]:
        values = [f"notice {uuid.uuid4().hex}".encode() for _ in range(count)]
        for value in values:
            fields = {"topic": self.topic, "key": b"subject", "value": value}
            self.redis.xadd(self.keys.outbox, fields)  # type: ignore[arg-type]
        return values

    def relay(self, consumer: str, **options: Any) -> OutboxRelay:
        producer = Producer(producer_config(self.settings, f"creditflow-test-{consumer}"))
        relay = OutboxRelay(self.redis, producer, self.keys, consumer, **options)
        relay.ensure_group()
        return relay

    def published(self) -> list[bytes]:
        """Every value on the topic, once the topic's end is reached."""
        consumer = Consumer(
            {
                **self.settings.kafka_client_config(),
                "group.id": f"creditflow-test-{uuid.uuid4().hex[:8]}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
            }
        )
        consumer.subscribe([self.topic])
        values: list[bytes] = []
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                message = consumer.poll(1.0)
                if message is None:
                    continue
                if message.error() is None:
                    values.append(message.value())
                elif message.error().code() == KafkaError._PARTITION_EOF:  # all read
                    return values
            raise AssertionError(f"the end of {self.topic} was not reached in 60 s")
        finally:
            consumer.close()


@pytest.fixture
def outbox(settings: Settings) -> Iterator[Outbox]:
    name = uuid.uuid4().hex[:8]
    topic = f"test-relay-{name}"
    admin = AdminClient(settings.kafka_client_config())
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    client = CountingRedis.from_url(settings.redis_dsn)
    keys = Keys(f"test-relay-{name}:")
    yield Outbox(settings, keys, topic, client)
    client.delete(keys.outbox)
    admin.delete_topics([topic])[topic].result(30)


def _pending(outbox: Outbox) -> int:
    return int(outbox.redis.xpending(outbox.keys.outbox, GROUP)["pending"])


def test_rounds_with_nothing_left_behind_only_read_new_entries(outbox: Outbox) -> None:
    relay = outbox.relay("w1", claim_every=60)
    sent = outbox.add(3)
    assert relay.run_once(block_ms=100) == 3
    outbox.redis.sent.clear()
    for _ in range(5):
        sent += outbox.add(2)
        assert relay.run_once(block_ms=100) == 2
    assert relay.run_once(block_ms=100) == 0
    assert outbox.redis.sent["XREADGROUP >"] == 6
    assert outbox.redis.sent["XREADGROUP 0"] == 0
    assert outbox.redis.sent["XAUTOCLAIM"] == 0
    assert outbox.redis.xlen(outbox.keys.outbox) == 0
    assert _pending(outbox) == 0
    assert sorted(outbox.published()) == sorted(sent)


def test_entries_read_before_a_restart_are_published_first(outbox: Outbox) -> None:
    sent = outbox.add(5)
    # Read and never acknowledged: the relay of this name stopped before Kafka had them.
    outbox.relay("w1")  # the group
    outbox.redis.xreadgroup(GROUP, "w1", {outbox.keys.outbox: ">"}, count=5)
    later = outbox.add(1)
    relay = outbox.relay("w1", batch=2)  # after the restart
    published = [relay.run_once(block_ms=100) for _ in range(4)]
    # Its own entries first, a batch at a time, then the new one.
    assert published == [2, 2, 1, 1]
    assert relay.run_once(block_ms=100) == 0
    assert outbox.redis.xlen(outbox.keys.outbox) == 0
    assert _pending(outbox) == 0
    assert sorted(outbox.published()) == sorted(sent + later)


def test_entries_another_relay_abandoned_are_claimed(outbox: Outbox) -> None:
    sent = outbox.add(3)
    outbox.relay("gone")
    outbox.redis.xreadgroup(GROUP, "gone", {outbox.keys.outbox: ">"}, count=3)
    relay = outbox.relay("w1", claim_idle=0.5, claim_every=2.0)
    # Not yet idle long enough: nothing to publish, and not looked for again at once.
    assert relay.run_once(block_ms=100) == 0
    outbox.redis.sent.clear()
    assert relay.run_once(block_ms=100) == 0
    assert outbox.redis.sent["XAUTOCLAIM"] == 0
    published = wait_for(lambda: relay.run_once(block_ms=100), 10, "the abandoned entries claimed")
    assert published == 3
    assert outbox.redis.xlen(outbox.keys.outbox) == 0
    assert _pending(outbox) == 0
    assert sorted(outbox.published()) == sorted(sent)
