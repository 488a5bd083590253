"""The secured mode of the local Kafka against a real broker of its own: SCRAM-SHA-256 logins and
ACLs, so that a department reads only its own notices (等级保护: least privilege).

The broker runs in a temporary stack directory on free ports (the shared stack is left alone)
and is stopped at the end.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from confluent_kafka import Consumer, KafkaError, Producer

from creditflow.admin import ensure_topics
from creditflow.departments import load_departments
from creditflow.devstack import security
from creditflow.devstack.kafka import KafkaService
from creditflow.devstack.paths import StackPaths
from creditflow.settings import Settings
from producers import DepartmentPublisher
from producers.publisher import producer_config
from schemas.catalog import decode_event
from tests import factories as f
from tests.integration.harness import WorkerProcess, free_port, random_uscc

pytestmark = pytest.mark.integration

OWN, OTHER = "finance", "court"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    main = Settings()
    libs = main.kafka_home or StackPaths.from_settings(main).kafka_libs.parent
    settings = Settings(
        devstack_dir=tmp_path_factory.mktemp("secured") / "stack",
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        kafka_security="sasl",
        redis_url=main.redis_dsn,
        topic_prefix="sec.",
        topic_partitions=1,
    ).model_copy(update={"kafka_home": libs, "kafka_bootstrap": None})
    paths = StackPaths.from_settings(settings)
    paths.make_dirs()
    kafka = KafkaService(security.as_admin(settings), paths)
    process = kafka.start()
    try:
        kafka.await_started(process)
        departments = load_departments().ids()
        ensure_topics(security.as_admin(settings), settings.topics.all(departments))
        security.provision(settings, departments)
        yield settings
    finally:
        kafka.stop(process.pid)


def as_user(settings: Settings, user: str, password: str | None = None) -> Settings:
    """The same stack seen by another Kafka user (its password from the stack's secrets)."""
    extra = {} if password is None else {"sasl_password": password}
    return Settings(
        devstack_dir=settings.devstack_dir,
        kafka_port=settings.kafka_port,
        kafka_security="sasl",
        sasl_username=user,
        topic_prefix=settings.topic_prefix,
        **extra,
    )


def produce(
    settings: Settings, topic: str, value: bytes, timeout_ms: int = 15000
) -> KafkaError | None:
    """Kafka's verdict on one message: None when it was written."""
    config = {**producer_config(settings, "security-test"), "message.timeout.ms": timeout_ms}
    producer = Producer(config)
    outcome: list[KafkaError | None] = []
    producer.produce(topic, value, b"key", on_delivery=lambda err, _m: outcome.append(err))
    producer.flush(20)
    return outcome[0] if outcome else KafkaError(KafkaError._MSG_TIMED_OUT)


def consume(settings: Settings, topic: str, group: str, seconds: float = 15) -> object:
    """The first value read from ``topic``, or the first error the broker answered."""
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
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            return message.value() if error is None else error
        return None
    finally:
        consumer.close()


def test_a_department_reads_its_own_notices_only(secured: Settings) -> None:
    topics = secured.topics
    marker = uuid.uuid4().hex.encode()
    platform = as_user(secured, security.PLATFORM)
    assert produce(platform, topics.notice(OWN), marker) is None
    own_group = f"creditflow-department-{OWN}"

    department = as_user(secured, OWN)
    assert consume(department, topics.notice(OWN), own_group) == marker

    refused = consume(department, topics.notice(OTHER), own_group)
    assert isinstance(refused, KafkaError), refused
    assert refused.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_a_department_writes_the_input_topics_and_nothing_else(secured: Settings) -> None:
    department = as_user(secured, OWN)
    for topic in (*secured.topics.inputs, secured.topics.deadletter):
        assert produce(department, topic, b"event") is None, topic
    written = produce(department, secured.topics.notice(OTHER), b"forged notice")
    assert written is not None
    assert written.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    audit = produce(department, secured.topics.audit, b"forged audit")
    assert audit is not None
    assert audit.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_a_wrong_password_does_not_log_in(secured: Settings) -> None:
    impostor = as_user(secured, OWN, password="not-the-password")
    refused = produce(impostor, secured.topics.event("penalty"), b"event", timeout_ms=3000)
    assert refused is not None


def test_the_stack_keeps_passwords_out_of_the_repository(secured: Settings) -> None:
    secrets = secured.secrets_dir / "kafka-users.yaml"
    assert secrets.stat().st_mode & 0o077 == 0  # owner only
    config = StackPaths.from_settings(secured).kafka_config
    assert config.stat().st_mode & 0o077 == 0  # it holds the admin's password


def test_a_worker_runs_as_the_platform_user(secured: Settings, tmp_path: Path) -> None:
    """The platform's ACLs are enough for a real worker: a department's penalty becomes a
    notice another department reads, all through the secured broker."""
    tag = uuid.uuid4().hex[:8]
    env = {
        "CREDITFLOW_KAFKA_SECURITY": "sasl",
        "CREDITFLOW_DEVSTACK_DIR": str(secured.devstack_dir),
        "CREDITFLOW_KAFKA_PORT": str(secured.kafka_port),
        "CREDITFLOW_REDIS_URL": secured.redis_dsn,
        "CREDITFLOW_TOPIC_PREFIX": secured.topic_prefix,
        "CREDITFLOW_TOPIC_PARTITIONS": "1",
        "CREDITFLOW_REDIS_PREFIX": f"sec{tag}:",
        "CREDITFLOW_APP_ID": f"creditflow-sec{tag}",
        "CREDITFLOW_WEB_PORT": str(free_port()),
        "CREDITFLOW_WORKER_ID": "secured",
        "CREDITFLOW_SESSION_TIMEOUT": "10",
    }
    store = redis.Redis.from_url(secured.redis_dsn)
    worker = WorkerProcess(env, "secured", tmp_path / "secured-worker.log")
    try:
        market = as_user(secured, "market-regulation")
        subject = random_uscc()
        event = f.penalty(subject_id=subject, serious=True, occurred_at=datetime.now(UTC))
        publisher = DepartmentPublisher("market-regulation", market)
        publisher.publish(event).result(timeout=30)
        publisher.close()

        finance = Consumer(
            {
                **as_user(secured, OWN).kafka_client_config(),
                "group.id": f"creditflow-department-{OWN}.secured-test",
                "auto.offset.reset": "earliest",
            }
        )
        finance.subscribe([secured.topics.notice(OWN)])
        try:
            deadline = time.monotonic() + 90
            notice = None
            while notice is None and time.monotonic() < deadline:
                assert worker.process.poll() is None, worker.tail()
                message = finance.poll(0.5)
                if message is not None and message.error() is None:
                    value = message.value() or b""
                    notice = decode_event(value) if subject.encode() in value else None
        finally:
            finance.close()
        assert notice is not None, worker.tail()
        assert notice.subject_id == subject
    finally:
        worker.stop()
        keys = list(store.scan_iter(f"sec{tag}:*"))
        if keys:
            store.delete(*keys)
