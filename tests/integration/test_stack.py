"""``creditflow stack`` through the real CLI, against the local stack that ``make test`` started."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from confluent_kafka import Consumer, Producer

from creditflow.admin import admin_client, delete_topics, ensure_topics
from creditflow.settings import Settings

pytestmark = pytest.mark.integration

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(autouse=True)
def _local_stack(settings: Settings) -> None:
    if settings.kafka_bootstrap or settings.redis_url:
        pytest.skip("tests of the local stack; CREDITFLOW_KAFKA_BOOTSTRAP/REDIS_URL are set")


@pytest.fixture
def topic(settings: Settings, unique_name: Callable[[str], str]) -> Iterator[str]:
    name = unique_name("test.stack")
    ensure_topics(settings, [name])
    yield name
    delete_topics(admin_client(settings), [name])


def test_second_up_is_fast_and_says_already_running(cli: RunCli) -> None:
    began = time.monotonic()
    result = cli("stack", "up")
    elapsed = time.monotonic() - began

    assert result.returncode == 0, result.stderr
    assert elapsed < 5
    assert "kafka: already running" in result.stdout
    assert "redis: already running" in result.stdout


def test_status_exits_zero_when_both_answer(cli: RunCli) -> None:
    result = cli("stack", "status")

    assert result.returncode == 0, result.stdout + result.stderr
    # Prometheus is the third service where it is installed (else "not installed", no failure).
    assert result.stdout.count("running") == (3 if shutil.which("prometheus") else 2)


def test_status_fails_when_the_external_redis_does_not_answer(
    cli: RunCli, free_port: Callable[[], int]
) -> None:
    result = cli(
        "stack", "status", env={"CREDITFLOW_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    )

    assert result.returncode != 0
    assert "external" in result.stdout


def test_up_fails_at_once_when_the_kafka_port_is_taken(
    cli: RunCli, free_port: Callable[[], int], settings: Settings, tmp_path: Path
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        port = squatter.getsockname()[1]
        began = time.monotonic()
        result = cli(
            "stack",
            "up",
            env={
                "CREDITFLOW_DEVSTACK_DIR": str(tmp_path / "stack"),
                "CREDITFLOW_KAFKA_PORT": str(port),
                "CREDITFLOW_KAFKA_CONTROLLER_PORT": str(free_port()),
                # Only Kafka is local here: the main stack's Redis stands in as external.
                "CREDITFLOW_REDIS_URL": settings.redis_dsn,
            },
        )

    assert result.returncode == 1
    assert time.monotonic() - began < 10
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(port) in result.stderr
    assert "CREDITFLOW_KAFKA_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_data_survives_down_and_up(
    cli: RunCli, settings: Settings, topic: str, unique_name: Callable[[str], str]
) -> None:
    key, value = unique_name("subject"), unique_name("value")
    _produce(settings, topic, key, value)
    store = redis.Redis.from_url(settings.redis_dsn)
    store.set(key, value)
    try:
        down = cli("stack", "down")
        assert down.returncode == 0, down.stderr
        assert "kafka: stopped" in down.stdout
        assert "redis: stopped" in down.stdout
        assert cli("stack", "status").returncode != 0
    finally:
        # Whatever failed above, the rest of the suite needs the stack running again.
        up = cli("stack", "up")
    assert up.returncode == 0, up.stderr
    assert "kafka: started" in up.stdout

    assert store.get(key) == value.encode()
    store.delete(key)
    assert _consume_one(settings, topic, unique_name("test.group")) == (key, value)


def _produce(settings: Settings, topic: str, key: str, value: str) -> None:
    producer = Producer(
        {**settings.kafka_client_config(), "acks": "all", "partitioner": "murmur2_random"}
    )
    errors: list[object] = []
    producer.produce(topic, value, key, on_delivery=lambda err, _msg: errors.append(err))
    assert producer.flush(15) == 0
    assert errors == [None]


def _consume_one(settings: Settings, topic: str, group: str) -> tuple[str, str] | None:
    consumer = Consumer(
        {
            **settings.kafka_client_config(),
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                return (message.key() or b"").decode(), (message.value() or b"").decode()
        return None
    finally:
        consumer.close()
