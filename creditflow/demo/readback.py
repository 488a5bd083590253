"""The platform's end state, read back from Redis and Kafka — the numbers of the summary.

Nothing here comes from the generator's own counts: lists are the ``list:*`` zsets, stored events
the subjects' ``events`` hashes, notices the subjects' ``notices`` hashes, lag the consumer group's
committed offsets against the end of the input topics.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import redis

from creditflow.demo.space import Space
from schemas.enums import ListKind
from streams.gauges import LagReader
from streams.logread import read_consumer
from streams.store.keys import LISTS, NOTICE_STATUSES, Keys
from streams.store.noticerecords import unpack_record
from streams.store.store import StoredEvents

CHUNK = 1000


def _chunks(items: list[str], size: int = CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def group_offsets(space: Space) -> tuple[int, int]:
    """(messages in the input topics, of them the ones the workers have not committed yet),
    read together.

    Read as the workers' own gauges read them (``streams.gauges.LagReader``): a consumer of the
    group that never joins it asks for the committed and end offsets. The admin API's request
    for the committed ones crashed the process reading (a segmentation fault in librdkafka's
    answer to it) when the broker answered during a restart."""
    settings = space.settings
    partitions = [(t, p) for t in settings.topics.inputs for p in range(settings.topic_partitions)]
    reader = LagReader(read_consumer(settings, **{"group.id": space.group}), timeout=10.0)
    try:
        lags = reader.read(partitions)
    finally:
        reader.close()
    return sum(lag.end for lag in lags), sum(lag.lag for lag in lags)


def group_lag(space: Space) -> int:
    """Messages of the input topics the workers have not committed yet (``group_offsets``)."""
    return group_offsets(space)[1]


@dataclass(frozen=True, slots=True)
class Backlog:
    """What the platform still has to do at the current simulated time."""

    lag: int  # input messages not yet committed by the workers
    outbox: int  # notices and relays not yet published
    due: int  # subjects whose state is due to change by now
    unmarked: int  # notices past their deadline not yet marked overdue

    @property
    def empty(self) -> bool:
        return not (self.lag or self.outbox or self.due or self.unmarked)

    def __str__(self) -> str:
        return (
            f"lag {self.lag}, outbox {self.outbox}, due subjects {self.due}, "
            f"notices to mark overdue {self.unmarked}"
        )


def backlog(client: redis.Redis, space: Space, now_ms: int) -> Backlog:
    keys = Keys(space.settings.redis_prefix)
    pipe = client.pipeline(transaction=False)
    pipe.xlen(keys.outbox)
    pipe.zcount(keys.due, "-inf", now_ms)
    for department in space.departments.ids():
        pipe.zcount(keys.department_notices("pending", department), "-inf", now_ms)
    outbox, due, *pending = pipe.execute()
    return Backlog(group_lag(space), int(outbox), int(due), sum(map(int, pending)))


@dataclass
class Live:
    """The few numbers the live view shows, cheap enough to read every second."""

    lists: dict[str, int]
    stored: int
    notices: dict[str, Counter[str]]  # department → pending/overdue/answered


def live_numbers(client: redis.Redis, space: Space, subjects: list[str]) -> Live:
    keys = Keys(space.settings.redis_prefix)
    pipe = client.pipeline(transaction=False)
    for kind in LISTS:
        pipe.zcard(keys.list(kind))
    departments = space.departments.ids()
    for department in departments:
        for status in NOTICE_STATUSES:
            pipe.zcard(keys.department_notices(status, department))
    replies = [int(r) for r in pipe.execute()]
    lists = {str(kind): replies[i] for i, kind in enumerate(LISTS)}
    notices: dict[str, Counter[str]] = {}
    offset = len(LISTS)
    for i, department in enumerate(departments):
        row = replies[offset + i * len(NOTICE_STATUSES) : offset + (i + 1) * len(NOTICE_STATUSES)]
        notices[department] = Counter(dict(zip(NOTICE_STATUSES, row, strict=True)))
    stored = 0
    reader = StoredEvents(client, keys)
    for chunk in _chunks(subjects):
        stored += sum(len(ids) for ids in reader.ids(chunk).values())
    return Live(lists, stored, notices)


@dataclass
class NoticeRecords:
    """Every notice the platform recorded, from the subjects' ``notices`` hashes."""

    actions: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # list, action, cause
    by_department: dict[str, Counter[str]] = field(default_factory=dict)
    ids: dict[str, set[str]] = field(default_factory=dict)  # department → notice ids
    initiated: dict[str, set[str]] = field(default_factory=dict)  # department → INITIATE ids
    lifted: dict[str, set[str]] = field(default_factory=dict)  # cause → subject ids (BLACK)

    def add(self, subject_id: str, notice_id: str, record: dict[str, Any]) -> None:
        department, action, cause = record["department"], record["action"], record["cause"]
        self.actions[(record["list"], action, cause)] += 1
        self.ids.setdefault(department, set()).add(notice_id)
        if action == "INITIATE":
            self.initiated.setdefault(department, set()).add(notice_id)
        if action == "LIFT" and record["list"] == str(ListKind.BLACK):
            self.lifted.setdefault(cause, set()).add(subject_id)
        row = self.by_department.setdefault(department, Counter())
        row["notices"] += 1
        row[record["status"]] += 1
        if record["status"] == "answered" and int(record.get("answered", 0)) > int(record["due"]):
            row["late"] += 1


@dataclass
class EndState:
    lists: dict[str, int]
    members: dict[str, list[str]]  # list → members (sorted)
    stored: dict[str, set[str]]  # subject → event ids stored
    notices: NoticeRecords


def _members(client: redis.Redis, key: str) -> list[str]:
    reply: Any = client.zrange(key, 0, -1)
    return sorted(bytes(member).decode() for member in reply)


def end_state(client: redis.Redis, space: Space, subjects: Iterable[str]) -> EndState:
    keys = Keys(space.settings.redis_prefix)
    members = {str(kind): _members(client, keys.list(kind)) for kind in LISTS}
    stored: dict[str, set[str]] = {}
    notices = NoticeRecords()
    reader = StoredEvents(client, keys)
    for chunk in _chunks(sorted(subjects)):
        stored.update(reader.ids(chunk))
        pipe = client.pipeline(transaction=False)
        for sid in chunk:
            pipe.hgetall(keys.notices(sid))
        for sid, records in zip(chunk, pipe.execute(), strict=True):
            for nid, raw in records.items():
                notices.add(sid, nid.decode(), unpack_record(raw))
    lists = {kind: len(m) for kind, m in members.items()}
    return EndState(lists, members, stored, notices)


def unknown_subjects(client: redis.Redis, space: Space, known: set[str]) -> int:
    """Subjects with a state in Redis that the city never had (a bad record stored by mistake)."""
    prefix = space.settings.redis_prefix
    count = 0
    for key in client.scan_iter(match=f"{prefix}{{*}}:state", count=1000):
        subject = bytes(key).decode()[len(prefix) + 1 : -len("}:state")]
        count += subject not in known
    return count
