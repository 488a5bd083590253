"""The Redis store of the platform: subjects' events and state, lists, notices, the outbox.

Every change of a subject is one Lua call (``apply.lua``); a batch of subjects is one pipeline.
A subject's events are stored together, packed with the deployment's event dictionary once there
is one (``streams.store.eventpacking``); ``SubjectRecord.events`` holds their Avro bytes, or,
for events stored one by one before, their bytes as stored, and ``Store.event_bytes`` gives an
event's Avro bytes either way.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import orjson
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, RedisError

from schemas.identifiers import is_personal
from streams.store.eventpacking import EventPacking, dictionary_id
from streams.store.keys import LISTS, Keys
from streams.store.noticerecords import pack_record, unpack_record
from streams.store.packing import PackingError

logger = logging.getLogger(__name__)

CURRENT = b"events:current"


def _script(name: str) -> str:
    return resources.files("streams.store").joinpath(name).read_text(encoding="utf-8")


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


class ServerChangedError(RedisError):
    """Redis is not the server a read expected: it restarted since (``Store.load``)."""


class DictionaryNotFoundError(RedisError):
    """Stored events name an event dictionary Redis does not hold: it lost the writes that
    stored it, and a worker that knows it stores it again with its next change (tried again)."""


def _dictionary_field(ident: bytes) -> bytes:
    return b"events:" + ident.hex().encode()


class StoredEvents:
    """Which events each subject has stored, however they were stored (together or one by one),
    for readers with a synchronous client: the demo, the chaos run, the bench. The event
    dictionaries are read from Redis as stored events name them."""

    def __init__(self, client: SyncRedis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self.packing = EventPacking()

    def ids(self, subject_ids: Sequence[str]) -> dict[str, set[str]]:
        pipe = self.client.pipeline(transaction=False)
        for sid in subject_ids:
            pipe.hget(self.keys.state(sid), "events")
            pipe.hkeys(self.keys.events(sid))
        replies: list[Any] = pipe.execute()
        together = replies[0::2]
        missing = self.packing.missing(t for t in together if t)
        if missing:
            fields = [_dictionary_field(ident) for ident in sorted(missing)]
            found = self.client.hmget(self.keys.packing, fields)
            for field_, data in zip(fields, found, strict=True):
                self.packing.add(_stored_dictionary(field_, data))
        stored = {}
        for sid, packed, one_by_one in zip(subject_ids, together, replies[1::2], strict=True):
            ids = {_text(e) for e in one_by_one}
            if packed:
                ids.update(self.packing.unpack_events(packed))
            stored[sid] = ids
        return stored


def _same_server(info: dict[str, Any], server: str) -> None:
    found = str(info["run_id"])
    if found != server:
        raise ServerChangedError(f"Redis restarted: run id {found}, not {server}")


def _stored_dictionary(field_: bytes, data: Any) -> bytes:
    """The dictionary read from ``field_`` of the packing hash, checked to be the one named."""
    if data is None:
        raise DictionaryNotFoundError(f"Redis holds no event dictionary {field_!r}")
    if not isinstance(data, bytes):  # a client that decodes replies
        raise PackingError("event dictionaries are read with a client that gives bytes")
    if _dictionary_field(dictionary_id(data)) != field_:
        raise PackingError(f"the event dictionary stored as {field_!r} is not the one named")
    return data


@dataclass(frozen=True, slots=True)
class SubjectRecord:
    """A subject as stored: its version, its events as stored (``Store.event_bytes``) and what
    departments were told."""

    subject_id: str
    version: int
    events: dict[str, bytes]  # event id → Avro bytes, or an event as stored one by one
    told: bytes | None  # as stored (streams.store.packing)
    waiting: dict[str, bytes] = field(default_factory=dict)  # event id → source (JSON)


@dataclass(frozen=True, slots=True)
class OutgoingNotice:
    notice_id: str
    record: dict[str, Any]  # what the API and the feedback tracking read
    department_id: str
    due_ms: int
    topic: str
    key: bytes
    value: bytes


@dataclass
class SubjectChange:
    """Everything one atomic step writes for one subject."""

    subject_id: str
    expected_version: int
    # Every event the subject keeps after the change (event id → Avro bytes, or the bytes as
    # loaded): stored together, in place of what was stored (streams.store.eventpacking).
    events: dict[str, bytes]
    snapshot: bytes  # JSON, packed (streams.store.packing)
    told: bytes  # JSON, packed
    kind: str
    name: str
    next_ms: int | None
    list_since_ms: Sequence[int | None]  # one per LISTS entry
    notices: list[OutgoingNotice] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)  # stored events turned away
    waiting: dict[str, str] = field(default_factory=dict)  # new waiting events → source (JSON)
    settled: list[str] = field(default_factory=list)  # stored events that wait no more


@dataclass(frozen=True, slots=True)
class FeedbackChange:
    subject_id: str
    notice_id: str
    department_id: str
    event_id: str
    status: str
    answered_ms: int
    relay_topic: str
    relay_key: bytes
    relay_value: bytes


@dataclass
class Advance:
    """Positions to record with a batch's changes, in their round trip (``Store.apply``).

    ``positions``, ``floors``: as ``Store.advance`` takes them. ``recorded``, once applied:
    True, or False if a position was below its floor (Redis lost writes); None while not
    recorded because a change did not apply (or none was asked)."""

    positions: dict[tuple[str, int], int]
    floors: dict[tuple[str, int], int] | None = None
    recorded: bool | None = None


def _evalsha(pipe: Pipeline, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> None:
    pipe.evalsha(script.sha, len(keys), *keys, *args)


class Store:
    def __init__(self, redis: Redis, keys: Keys | None = None) -> None:
        self.redis = redis
        self.keys = keys or Keys()
        self._apply = redis.register_script(_script("apply.lua"))
        self._feedback = redis.register_script(_script("notice.lua") + _script("feedback.lua"))
        self._overdue = redis.register_script(_script("notice.lua") + _script("overdue.lua"))
        self._claim = redis.register_script(_script("claim.lua"))
        self._advance = redis.register_script(_script("advance.lua"))
        self._load = redis.register_script(_script("load.lua"))
        self._offer = redis.register_script(_script("offer.lua"))
        self.packing = EventPacking()
        self._server: str | None = None  # the Redis server last seen (server_id)
        self._stored_on: object = None  # the server the current dictionary is known stored on

    async def _scripted(
        self, queue: Callable[[Pipeline], None], *scripts: AsyncScript
    ) -> list[Any]:
        """Execute the pipeline of ``scripts``' calls (EVALSHA) that ``queue`` makes, in one round
        trip. redis-py, given its scripts for a pipeline, first asks Redis whether it holds them
        (SCRIPT EXISTS): a round trip of its own at every execute. Here a script Redis does not
        hold (it restarted, or its scripts were flushed) fails the pipeline, and the scripts are
        loaded and the pipeline sent again; what it did the first time is done again as any
        retried write is (``apply`` is compare-and-set on the subject's version, and positions
        queued after changes are recorded only if all of them applied in that pipeline)."""
        for attempt in range(2):
            pipe = self.redis.pipeline(transaction=False)
            queue(pipe)
            try:
                return list(await pipe.execute())
            except NoScriptError:
                if attempt:
                    raise
                logger.info("Redis does not hold the store's scripts: loading them again")
                for script in scripts:
                    await self.redis.script_load(script.script)
        raise AssertionError("unreachable")

    async def load(
        self, subject_ids: Sequence[str], *, server: str | None = None
    ) -> dict[str, SubjectRecord]:
        """Read several subjects in one round trip, one reply per subject.

        ``server``: the run id (``server_id``) Redis must still have, asked in the same round
        trip; ``ServerChangedError`` if it has another (it restarted), and nothing is read."""
        k = self.keys

        def queue(pipe: Pipeline) -> None:
            if server is not None:
                pipe.info("server")
            for sid in subject_ids:
                _evalsha(pipe, self._load, [k.state(sid), k.events(sid), k.waiting(sid)], [])

        replies = await self._scripted(queue, self._load)
        if server is not None:
            _same_server(replies[0], server)
            replies = replies[1:]
        missing = self.packing.missing(
            value
            for (_, _, together), one_by_one, _ in replies
            for value in (together or b"", *one_by_one[1::2])
        )
        if missing:
            await self._load_dictionaries(missing)
        loaded = {}
        for sid, ((version, told, together), one_by_one, waiting) in zip(
            subject_ids, replies, strict=True
        ):
            # Events stored one by one, as before they were stored together, are read as they
            # are; the subject's next change stores them together.
            events = _pairs(one_by_one)
            if together:
                events.update(self.packing.unpack_events(together))
            loaded[sid] = SubjectRecord(sid, int(version or 0), events, told, _pairs(waiting))
        return loaded

    def event_bytes(self, stored: bytes) -> bytes:
        """A stored event's Avro bytes (of a subject read with ``load``)."""
        return self.packing.unpack(stored)

    async def _load_dictionaries(self, idents: set[bytes]) -> None:
        fields = [_dictionary_field(ident) for ident in sorted(idents)]
        found = await self.redis.hmget(self.keys.packing, fields)
        for field_, data in zip(fields, found, strict=True):
            self.packing.add(_stored_dictionary(field_, data))

    async def adopt_dictionary(self) -> bool:
        """Pack new events with the deployment's current event dictionary, if there is one and
        this store does not use it yet; whether it changed."""
        current = await self.redis.hget(self.keys.packing, CURRENT)
        if current is None:
            return False
        ident = bytes.fromhex(_text(current))
        if self.packing.current is not None and self.packing.current.id == ident:
            return False
        if not self.packing.known(ident):
            await self._load_dictionaries({ident})
        self.packing.use_known(ident)
        self._stored_on = self._server
        logger.info("packing stored events with dictionary %s", ident.hex())
        return True

    async def offer_dictionary(self, data: bytes) -> bool:
        """Offer ``data`` as the deployment's event dictionary (kept only if there is none
        yet), then pack with whichever is current; whether this offer was kept."""
        ident = dictionary_id(data)
        kept = await self._offer(
            keys=[self.keys.packing],
            args=[CURRENT, _dictionary_field(ident), ident.hex(), data],
        )
        await self.adopt_dictionary()
        return bool(kept)

    async def apply(
        self, changes: Sequence[SubjectChange], advance: Advance | None = None
    ) -> list[int]:
        """Apply each change atomically; returns each new version, or -1 where it conflicted.

        ``advance``: positions recorded in the same round trip (as ``advance`` does), after
        the changes and only if every one of them applied (its ``recorded`` says how it went).
        """
        current, server = self.packing.current, self._server
        restore = current is not None and self._stored_on != server
        applied = self.keys.applied(uuid.uuid4().hex) if advance is not None else None

        def queue(pipe: Pipeline) -> None:
            if current is not None and restore:
                # A Redis that restarted may have lost the dictionary with its last writes: it
                # is stored again before the first events packed with it.
                pipe.hsetnx(self.keys.packing, _dictionary_field(current.id), current.data)
                pipe.hsetnx(self.keys.packing, CURRENT, current.id.hex())
            for change in changes:
                keys = self._apply_keys(change.subject_id)
                if applied is not None:
                    keys.append(applied)
                _evalsha(pipe, self._apply, keys, self._apply_args(change))
            if advance is not None:
                args = [len(changes), *self._advance_args(advance.positions, advance.floors)]
                _evalsha(pipe, self._advance, [self.keys.positions, applied], args)

        replies = await self._scripted(queue, self._apply, self._advance)
        if restore:
            self._stored_on = server
            replies = replies[2:]
        if advance is not None:
            outcome = int(replies.pop())
            advance.recorded = None if outcome == 2 else bool(outcome)
        return [int(v) for v in replies]

    def _apply_keys(self, sid: str) -> list[str]:
        k = self.keys
        return [
            k.state(sid),
            k.events(sid),
            k.notices(sid),
            k.due,
            k.outbox,
            *(k.list(kind) for kind in LISTS),
            k.waiting(sid),
        ]

    def _apply_args(self, change: SubjectChange) -> list[Any]:
        header = orjson.dumps(
            {
                "kind": change.kind,
                "personal": is_personal(change.kind, change.subject_id),
                "name": change.name,
                "next": -1 if change.next_ms is None else change.next_ms,
                "lists": [-1 if since is None else since for since in change.list_since_ms],
                "prefix": self.keys.prefix,
                "withdrawn": change.withdrawn,
                "waiting": change.waiting,
                "settled": change.settled,
            }
        )
        args: list[Any] = [
            change.expected_version,
            change.subject_id,
            header,
            change.snapshot,
            change.told,
        ]
        unpack = self.packing.unpack
        args.append(self.packing.pack_events({e: unpack(v) for e, v in change.events.items()}))
        args.append(len(change.notices))
        for n in change.notices:
            record = pack_record(n.record)
            args += [n.notice_id, record, n.department_id, n.due_ms, n.topic, n.key, n.value]
        return args

    async def advance(
        self,
        positions: dict[tuple[str, int], int],
        floors: dict[tuple[str, int], int] | None = None,
    ) -> bool:
        """Record how far each input partition has been taken in (positions never go back).
        False, and nothing recorded, if a position is below its floor: Redis lost writes. A
        partition may have a floor and no new position (checked, not moved)."""
        if not positions:
            return True
        args = self._advance_args(positions, floors)
        return bool(await self._advance(keys=[self.keys.positions], args=args))

    @staticmethod
    def _advance_args(
        positions: dict[tuple[str, int], int], floors: dict[tuple[str, int], int] | None
    ) -> list[Any]:
        floors = floors or {}
        args: list[Any] = []
        for key in positions.keys() | floors.keys():
            topic, partition = key
            args += [f"{topic}|{partition}", positions.get(key, -1), floors.get(key, -1)]
        return args

    async def positions(self) -> dict[tuple[str, int], int]:
        raw = await self.redis.hgetall(self.keys.positions)
        positions = {}
        for field_, offset in raw.items():
            topic, _, partition = _text(field_).rpartition("|")
            positions[(topic, int(partition))] = int(offset)
        return positions

    async def server_id(self) -> str:
        """The Redis server's run id: a new one after every restart."""
        info = await self.redis.info("server")
        self._server = str(info["run_id"])
        return self._server

    async def check_server(self, server: str) -> None:
        """``ServerChangedError`` unless Redis still has the run id ``server``."""
        _same_server(await self.redis.info("server"), server)

    async def notices(
        self, subject_id: str, notice_ids: Sequence[str]
    ) -> list[dict[str, Any] | None]:
        raw = await self.redis.hmget(self.keys.notices(subject_id), list(notice_ids))
        return [None if r is None else unpack_record(r) for r in raw]

    async def notice_subject(self, notice_id: str) -> str | None:
        """The subject a notice was about (whatever id its department was shown)."""
        raw = await self.redis.hget(self.keys.notice_subjects, notice_id)
        return None if raw is None else _text(raw)

    async def subject_name(self, subject_id: str) -> str | None:
        raw = await self.redis.hget(self.keys.state(subject_id), "name")
        return None if raw is None else _text(raw)

    async def feedback(self, change: FeedbackChange) -> tuple[str, int]:
        """Record an answer; returns (outcome, the notice's creation time in ms)."""
        outcome, created = await self._feedback(
            keys=[self.keys.notices(change.subject_id), self.keys.outbox],
            args=[
                change.notice_id,
                change.department_id,
                change.event_id,
                change.status,
                change.answered_ms,
                self.keys.prefix,
                change.subject_id,
                change.relay_topic,
                change.relay_key,
                change.relay_value,
            ],
        )
        return outcome.decode(), int(created)

    async def mark_overdue(
        self, department_ids: Sequence[str], now_ms: int, batch: int = 1000
    ) -> int:
        moved = 0
        for dept in department_ids:
            moved += int(
                await self._overdue(
                    keys=[
                        self.keys.department_notices("pending", dept),
                        self.keys.department_notices("overdue", dept),
                    ],
                    args=[now_ms, self.keys.prefix, batch],
                )
            )
        return moved

    async def claim_due(self, now_ms: int, lease_ms: int, batch: int) -> list[str]:
        due = await self._claim(keys=[self.keys.due], args=[now_ms, lease_ms, batch])
        return [sid.decode() for sid in due]


def _pairs(flat: list[bytes]) -> dict[str, bytes]:
    """A hash's fields and values as HGETALL inside a script returns them: one flat list."""
    return {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}
