"""A worker's timers skip a turn while Redis or Kafka is away instead of crashing the worker."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from streams.app import skip_on_outage


def test_an_outage_skips_the_turn() -> None:
    turns: list[str] = []

    @skip_on_outage("testing")
    async def tick() -> None:
        turns.append("ran")
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")

    asyncio.run(tick())
    asyncio.run(tick())
    assert turns == ["ran", "ran"]
    assert tick.__name__ == "tick"  # faust names the timer after it


def test_a_bug_is_not_hidden() -> None:
    @skip_on_outage("testing")
    async def tick() -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        asyncio.run(tick())
