"""The composition root of the platform: builds every client and component from Settings."""

from __future__ import annotations

from dataclasses import dataclass

import redis
import redis.asyncio
from confluent_kafka import Producer

from creditflow import deadletterkeys
from creditflow.departments import DepartmentRegistry, load_departments
from creditflow.settings import Settings
from producers.publisher import producer_config
from streams.clock import Clock, RedisClock, SystemClock
from streams.policy import Policy, load_policy
from streams.processor import DeadLetterSink, FactCache, Processor
from streams.relay import OutboxRelay
from streams.store.client import async_redis
from streams.store.eventpacking import Trainer
from streams.store.keys import Keys
from streams.store.store import Store


@dataclass
class Platform:
    settings: Settings
    departments: DepartmentRegistry
    policy: Policy
    keys: Keys
    redis: redis.asyncio.Redis
    store: Store
    clock: Clock

    def processor(self, dead_letters: DeadLetterSink, facts: FactCache | None = None) -> Processor:
        return Processor(
            store=self.store,
            policy=self.policy,
            departments=self.departments,
            topics=self.settings.topics,
            clock=self.clock,
            dead_letters=dead_letters,
            worker_id=self.settings.worker_name,
            seal_key=deadletterkeys.public_key(self.settings),
            facts=FactCache() if facts is None else facts,
            trainer=Trainer(self.settings.event_dictionary_records),
        )

    def relay(self) -> OutboxRelay:
        client = redis.Redis.from_url(self.settings.redis_dsn)
        config = producer_config(self.settings, f"creditflow-relay-{self.settings.worker_name}")
        return OutboxRelay(client, Producer(config), self.keys, self.settings.worker_name)


def build_platform(settings: Settings) -> Platform:
    """Read and check the configuration, connect nothing yet (clients connect on first use)."""
    departments = load_departments(settings.departments_file)
    policy = load_policy(settings.policy_file, departments)
    keys = Keys(settings.redis_prefix)
    client = async_redis(settings.redis_dsn)
    clock: Clock = RedisClock(client, keys.clock) if settings.clock == "redis" else SystemClock()
    return Platform(settings, departments, policy, keys, client, Store(client, keys), clock)
