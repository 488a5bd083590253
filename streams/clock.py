"""The platform's clock, injectable: the system clock, or one set in Redis by tests and the demo
so that publicity and listing periods can be made to pass."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from redis.asyncio import Redis


class Clock(Protocol):
    async def now(self) -> datetime: ...


class SystemClock:
    async def now(self) -> datetime:
        return datetime.now(UTC)


class RedisClock:
    """Reads the time (epoch milliseconds) from a Redis key; the system time while it is unset."""

    def __init__(self, redis: Redis, key: str) -> None:
        self._redis = redis
        self._key = key

    async def now(self) -> datetime:
        value = await self._redis.get(self._key)
        if value is None:
            return datetime.now(UTC)
        return datetime.fromtimestamp(int(value) / 1000, UTC)

    async def set(self, instant: datetime) -> None:
        await self._redis.set(self._key, int(instant.timestamp() * 1000))
