"""The Redis reads behind the API: a subject's snapshot, pages of lists and of notices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from streams.store.keys import Keys
from streams.store.noticerecords import unpack_record
from streams.store.packing import load_json

_CHUNK = 200


@dataclass(frozen=True, slots=True)
class Page:
    """Members (with scores) of one page, and the last one when more follow."""

    rows: list[tuple[str, float]]
    more: bool


class Reads:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def snapshot(self, subject_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(self.keys.state(subject_id), "snapshot")
        if not raw:
            return None
        snapshot: dict[str, Any] = load_json(raw)
        return snapshot

    async def page(self, key: str, after: tuple[float, str] | None, limit: int) -> Page:
        """Up to ``limit`` members of a sorted set in (score, member) order, after ``after``.

        Redis orders equal scores by member, so (score, member) is a total order that does not
        move when members are added or removed elsewhere: a cursor stays valid.
        """
        rows: list[tuple[str, float]] = []
        if after is None:
            first = cast(
                list[tuple[bytes, float]], await self.redis.zrange(key, 0, limit, withscores=True)
            )
            rows = [(m.decode(), float(s)) for m, s in first]
        else:
            score, member = after
            offset = 0
            while len(rows) <= limit:
                chunk = cast(
                    list[tuple[bytes, float]],
                    await self.redis.zrangebyscore(
                        key, score, "+inf", start=offset, num=_CHUNK, withscores=True
                    ),
                )
                for raw_member, raw_score in chunk:
                    m, s = raw_member.decode(), float(raw_score)
                    if s > score or m > member:
                        rows.append((m, s))
                if len(chunk) < _CHUNK:
                    break
                offset += _CHUNK
        return Page(rows[:limit], len(rows) > limit)

    async def identities(self, subject_ids: Sequence[str]) -> list[tuple[str, str]]:
        """(kind, name) of each subject, empty strings where unknown."""
        pipe = self.redis.pipeline(transaction=False)
        for sid in subject_ids:
            pipe.hmget(self.keys.state(sid), "kind", "name")
        replies = await pipe.execute()
        return [((k or b"").decode(), (n or b"").decode()) for k, n in replies]

    async def notices(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any] | None]:
        """The notice record of each (subject id, notice id)."""
        pipe = self.redis.pipeline(transaction=False)
        for sid, nid in pairs:
            pipe.hget(self.keys.notices(sid), nid)
        replies = await pipe.execute()
        return [None if raw is None else unpack_record(raw) for raw in replies]

    async def count(self, key: str) -> int:
        return int(await self.redis.zcard(key))
