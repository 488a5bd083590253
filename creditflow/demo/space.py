"""The demo's own corner of Kafka and Redis: its topics, key prefix, consumer groups and clock.

A run starts from nothing (its topics recreated, its keys deleted, its groups dropped) so that the
same seed gives the same end state, and never touches anything outside its namespace.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import redis
from confluent_kafka.admin import AdminClient

from creditflow.admin import (
    admin_client,
    delete_groups,
    delete_topics,
    ensure_topics,
    group_members,
    partition_counts,
)
from creditflow.demo.errors import DemoError
from creditflow.departments import DepartmentRegistry
from creditflow.errors import StackError
from creditflow.settings import Settings

logger = logging.getLogger(__name__)

TOPIC_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Space:
    """Where one demo lives: ``<name>.`` topics, ``<name>:`` keys, ``creditflow-<name>`` group."""

    settings: Settings
    departments: DepartmentRegistry

    @classmethod
    def named(cls, name: str, base: Settings, departments: DepartmentRegistry) -> Space:
        settings = base.model_copy(
            update={
                "topic_prefix": f"{name}.",
                "redis_prefix": f"{name}:",
                "app_id": f"creditflow-{name}",
                "clock": "redis",
                # Compressed time: due subjects are looked at often.
                "due_interval": 0.25,
                "session_timeout": 10.0,
            }
        )
        return cls(settings, departments)

    @property
    def topics(self) -> list[str]:
        return self.settings.topics.all(self.departments.ids())

    @property
    def group(self) -> str:
        return self.settings.app_id

    def subscriber_group(self, department_id: str) -> str:
        return f"{self.settings.app_id}-{department_id}"

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings.redis_dsn)

    def reset(self) -> None:
        """Delete what an earlier run left and create the topics afresh."""
        self.drop()
        ensure_topics(self.settings, self.topics)
        admin = admin_client(self.settings)
        _wait(lambda: set(self.topics) <= set(partition_counts(admin)), "the demo's topics")

    def drop(self) -> None:
        """Delete the namespace's topics, consumer groups and Redis keys (not while it runs)."""
        admin = admin_client(self.settings)
        self._refuse_if_running(admin)
        self._drop_groups(admin)
        self._drop_topics(admin)
        client = self.redis()
        try:
            _delete_keys(client, self.settings.redis_prefix)
        finally:
            client.close()

    def _refuse_if_running(self, admin: AdminClient) -> None:
        members = group_members(admin, self.group)
        if members:
            raise DemoError(
                f"a demo is already running in this namespace ({members} workers in the "
                f"consumer group {self.group}): stop it, or pick another --namespace"
            )

    def _drop_groups(self, admin: AdminClient) -> None:
        groups = [self.group, *(self.subscriber_group(d) for d in self.departments.ids())]
        try:
            delete_groups(admin, groups, TOPIC_TIMEOUT)
        except StackError as exc:
            raise DemoError(str(exc)) from exc

    def _drop_topics(self, admin: AdminClient) -> None:
        existing = [t for t in self.topics if t in partition_counts(admin)]
        delete_topics(admin, existing)
        # Deletion finishes after the call returns; creating a topic before would fail.
        _wait(lambda: not set(existing) & set(partition_counts(admin)), "old topics to go")


def _delete_keys(client: redis.Redis, prefix: str) -> None:
    batch: list[bytes] = []
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            client.unlink(*batch)
            batch.clear()
    if batch:
        client.unlink(*batch)


def _wait(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TOPIC_TIMEOUT
    while not done():
        if time.monotonic() > deadline:
            raise DemoError(f"Kafka did not settle in {TOPIC_TIMEOUT:g} s waiting for {what}")
        time.sleep(0.3)


class SimClock:
    """The simulated time: written to Redis for the workers, read in-process by the departments.

    Redis is set first, so a department's reading is never ahead of the workers' clock and no
    event it dates is in the platform's future.
    """

    def __init__(self, client: redis.Redis, key: str, start: datetime) -> None:
        self._client = client
        self._key = key
        self._now = start

    def set(self, instant: datetime) -> None:
        self._client.set(self._key, int(instant.timestamp() * 1000))
        self._now = instant

    def now(self) -> datetime:
        return self._now

    @property
    def ms(self) -> int:
        return int(self._now.timestamp() * 1000)
