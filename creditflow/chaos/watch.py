"""How far the consumer group got, read while faults happen: Kafka or Redis may be restarting,
so a reading can be missing (None) rather than an error."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from confluent_kafka import KafkaException

from creditflow.demo.readback import Backlog, backlog, group_offsets
from creditflow.demo.space import Space

logger = logging.getLogger(__name__)

SOCKET_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Reading:
    processed: int  # input messages committed by the group
    lag: int


class Watch:
    def __init__(self, space: Space, events: int, clock_ms: int) -> None:
        self.space = space
        self.events = events
        self.clock_ms = clock_ms
        self.last_error = ""
        self._redis = redis.Redis.from_url(
            space.settings.redis_dsn,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=SOCKET_TIMEOUT,
        )

    def close(self) -> None:
        self._redis.close()

    def read(self) -> Reading | None:
        try:
            ends, lag = group_offsets(self.space)
        except (KafkaException, TimeoutError) as exc:  # the broker or its coordinator is away
            self._failed(exc)
            return None
        self.last_error = ""
        return Reading(ends - lag, lag)

    def _failed(self, exc: Exception) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"
        logger.debug("no reading of the group: %s", self.last_error)

    def progress(self, reading: Reading) -> float:
        """The share of the workload processed (re-sent duplicates can push it past 1)."""
        return min(1.0, reading.processed / self.events) if self.events else 1.0

    def backlog(self) -> Backlog | None:
        """Lag, outbox, due subjects and unmarked notices; None while a service is away."""
        try:
            return backlog(self._redis, self.space, self.clock_ms)
        except (KafkaException, TimeoutError, redis.RedisError) as exc:
            self._failed(exc)
            return None
