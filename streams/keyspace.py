"""A prefix's keys in Redis: matching them literally, deleting them."""

from __future__ import annotations

from collections.abc import Collection

import redis

_GLOB_SPECIAL = "*?[]\\"
CHUNK = 1000


def glob_escape(text: str) -> str:
    """``text`` matched literally in a Redis SCAN pattern."""
    return "".join(f"\\{c}" if c in _GLOB_SPECIAL else c for c in text)


def prefix_keys(client: redis.Redis, prefix: str) -> list[bytes]:
    return list(client.scan_iter(match=f"{glob_escape(prefix)}*", count=CHUNK))


def delete_keys(client: redis.Redis, prefix: str, keep: Collection[str] = ()) -> int:
    """UNLINK every key under ``prefix`` but those in ``keep``; how many were deleted."""
    keys = [k for k in prefix_keys(client, prefix) if k.decode() not in keep]
    for start in range(0, len(keys), CHUNK):
        client.unlink(*keys[start : start + CHUNK])
    return len(keys)
