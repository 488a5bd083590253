"""A platform of one's own for an integration test: its topics, Redis keys, consumer group,
controlled clock and worker processes, on the real Kafka and Redis of the local stack."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import redis
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient
from stdnum.cn import uscc

from creditflow.admin import (
    GROUP_PATIENCE,
    admin_client,
    delete_groups,
    delete_topics,
    ensure_topics,
)
from creditflow.departments import load_departments
from creditflow.settings import Settings
from producers import DepartmentPublisher
from schemas.catalog import decode_event
from streams.keyspace import glob_escape
from streams.store.keys import Keys
from streams.store.packing import load_json
from streams.store.store import StoredEvents

PROJECT_ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def wait_for(check: Callable[[], T], timeout: float, what: str, every: float = 0.2) -> T:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


def random_uscc(rng: random.Random | None = None) -> str:
    """A valid 统一社会信用代码 of a Taizhou enterprise (9 1 3212xx …)."""
    rng = rng or random.Random()
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = (
        "91"
        + "3212"
        + f"{rng.randrange(100):02d}"
        + "".join(rng.choice(alphabet) for _ in range(9))
    )
    return body + uscc.calc_check_digit(body)


def stored_events(client: redis.Redis, prefix: str) -> dict[str, set[str]]:
    """Each subject's stored event ids, over every subject with a state under ``prefix``."""
    subjects = [
        bytes(key).decode()[len(prefix) + 1 : -len("}:state")]
        for key in client.scan_iter(f"{glob_escape(prefix)}{{*}}:state", count=1000)
    ]
    return StoredEvents(client, Keys(prefix)).ids(subjects)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class WorkerProcess:
    def __init__(self, env: dict[str, str], name: str, log: Path) -> None:
        self.name = name
        self.log = log
        self.port = int(env["CREDITFLOW_WEB_PORT"])
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "creditflow", "worker", "--loglevel", "info"],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no commit, no flush."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._out.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._out.close()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class NoticeCollector:
    """Everything that arrived on a department's notice topic, decoded."""

    def __init__(self, settings: Settings, department_id: str) -> None:
        self.topic = settings.topics.notice(department_id)
        self.consumer = Consumer(
            {
                **settings.kafka_client_config(),
                "group.id": f"collector-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
            }
        )
        partitions = self.consumer.list_topics(self.topic, timeout=10).topics[self.topic].partitions
        self.consumer.assign([TopicPartition(self.topic, p, 0) for p in partitions])
        self.received: list[Any] = []

    def poll(self, seconds: float = 0.5) -> list[Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self.consumer.poll(0.1)
            if message is not None and not message.error():
                self.received.append(decode_event(message.value()))
        return self.received

    def close(self) -> None:
        self.consumer.close()


class Harness:
    def __init__(self, tmp: Path) -> None:
        tag = uuid.uuid4().hex[:10]
        self.tmp = tmp
        self.env = {
            "CREDITFLOW_TOPIC_PREFIX": f"t{tag}.",
            "CREDITFLOW_REDIS_PREFIX": f"t{tag}:",
            "CREDITFLOW_APP_ID": f"t{tag}",
            "CREDITFLOW_CLOCK": "redis",
            "CREDITFLOW_SESSION_TIMEOUT": "10",
            "CREDITFLOW_BATCH_WITHIN": "0.1",
            "CREDITFLOW_DUE_INTERVAL": "0.5",
            # The tests' workloads are small: their stored events are packed after a few.
            "CREDITFLOW_EVENT_DICTIONARY_RECORDS": "5",
            "CREDITFLOW_DEVSTACK_DIR": str(PROJECT_ROOT / ".devstack"),
            # Not the stack's own: a test's workers (some SIGKILLed) must not stay targets of
            # the local Prometheus. A test that wants them registered creates this dir.
            "CREDITFLOW_SCRAPE_TARGETS_DIR": str(tmp / "scrape-targets"),
        }
        self.settings = Settings(
            **{k.removeprefix("CREDITFLOW_").lower(): v for k, v in self.env.items()}
        )
        self.departments = load_departments()
        self.topics = self.settings.topics.all(self.departments.ids())
        ensure_topics(self.settings, self.topics)
        self.redis = redis.Redis.from_url(self.settings.redis_dsn)
        self.workers: list[WorkerProcess] = []
        self.collectors: dict[str, NoticeCollector] = {}
        self._publishers: dict[str, DepartmentPublisher] = {}

    # Time.
    def set_clock(self, instant: datetime) -> None:
        self.redis.set(f"{self.settings.redis_prefix}clock", int(instant.timestamp() * 1000))

    # Workers.
    def start_worker(self, name: str | None = None) -> WorkerProcess:
        name = name or f"w{len(self.workers) + 1}"
        env = {**self.env, "CREDITFLOW_WEB_PORT": str(free_port()), "CREDITFLOW_WORKER_ID": name}
        worker = WorkerProcess(env, name, self.tmp / f"{name}-{len(self.workers)}.log")
        self.workers.append(worker)
        self.wait_assigned(worker)
        return worker

    def wait_assigned(self, worker: WorkerProcess, timeout: float = 120) -> None:
        """Until the consumer group is stable with every input partition assigned."""
        admin = AdminClient(self.settings.kafka_client_config())
        wanted = len(self.settings.topics.inputs) * self.settings.topic_partitions

        def stable() -> bool:
            if worker.process.poll() is not None:
                raise AssertionError(f"worker {worker.name} exited:\n{worker.tail()}")
            group = admin.describe_consumer_groups([self.settings.app_id])[self.settings.app_id]
            try:
                description = group.result(timeout=10)
            except (TimeoutError, KafkaException):
                # A broker that was just formatted creates its offsets topic on the first group
                # request and answers late or "coordinator not available" meanwhile: ask again.
                return False
            assigned = sum(len(m.assignment.topic_partitions) for m in description.members)
            return str(description.state).endswith("STABLE") and assigned == wanted

        wait_for(stable, timeout, f"worker {worker.name} to be assigned every partition", 0.5)

    # Departments.
    def publisher(self, department_id: str) -> DepartmentPublisher:
        if department_id not in self._publishers:
            self._publishers[department_id] = DepartmentPublisher(department_id, self.settings)
        return self._publishers[department_id]

    def publish(self, event: Any) -> None:
        self.publisher(event.department_id).publish(event).result(timeout=20)

    def notices(
        self, department_id: str, subject_id: str | None = None, seconds: float = 0.3
    ) -> list[Any]:
        collector = self.collectors.get(department_id)
        if collector is None:
            collector = self.collectors[department_id] = NoticeCollector(
                self.settings, department_id
            )
        received = collector.poll(seconds)
        return [n for n in received if subject_id is None or n.subject_id == subject_id]

    # State.
    def state(self, subject_id: str) -> dict[str, Any]:
        raw = self.redis.hget(f"{self.settings.redis_prefix}{{{subject_id}}}:state", "snapshot")
        return cast(dict[str, Any], load_json(raw)) if raw else {}

    def version(self, subject_id: str) -> int:
        raw = self.redis.hget(f"{self.settings.redis_prefix}{{{subject_id}}}:state", "version")
        return int(raw or 0)

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        for publisher in self._publishers.values():
            publisher.close()
        for collector in self.collectors.values():
            collector.close()
        keys = list(self.redis.scan_iter(f"{self.settings.redis_prefix}*", count=1000))
        if keys:
            self.redis.delete(*keys)
        admin = admin_client(self.settings)
        delete_topics(admin, self.topics)
        delete_groups(admin, [self.settings.app_id], GROUP_PATIENCE)


@contextmanager
def running_platform(tmp: Path, clock: datetime) -> Iterator[Harness]:
    """A harness with its clock set and one worker assigned; everything removed afterwards,
    also when the worker fails to start."""
    harness = Harness(tmp)
    try:
        harness.set_clock(clock)
        harness.start_worker()
        yield harness
    finally:
        harness.close()
