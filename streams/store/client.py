"""The workers' asyncio Redis client, with commands packed by hiredis.

redis-py's synchronous connections pack commands with hiredis when it is installed; its asyncio
connections always pack them in Python, argument by argument. A worker sends one script call
with some twenty arguments per subject and batch, and packing them was a tenth of its time; the
client made here packs them as the synchronous client does, whatever the connection's kind
(TCP, TLS or Unix socket, chosen by the URL).
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.connection import HiredisRespSerializer
from redis.utils import HIREDIS_AVAILABLE


class _HiredisPacking:
    _packer = HiredisRespSerializer()

    def pack_command(self, *args: Any) -> list[bytes]:
        packed: list[bytes] = self._packer.pack(*args)
        return packed


def _packed_by_hiredis(base: type[AbstractConnection]) -> type[AbstractConnection]:
    return type(f"Hiredis{base.__name__}", (_HiredisPacking, base), {})


def async_redis(url: str, **options: Any) -> Redis:
    """An asyncio client of ``url``; commands packed by hiredis where it is installed."""
    client = Redis.from_url(url, **options)
    if HIREDIS_AVAILABLE:
        pool = client.connection_pool
        pool.connection_class = _packed_by_hiredis(pool.connection_class)
    return client
