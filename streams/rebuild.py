"""``creditflow state rebuild``: Redis rebuilt from Kafka, the source of truth (DESIGN.md, 7).

1. Delete the prefix's keys (the Redis clock excepted: it is the tests' and the demo's time).
2. Read every input topic from the beginning to the end offsets taken at the start; validate each
   record event as the workers do (``streams.intake.accept``) and hold the accepted ones in the
   process that read them (first copy of an event id wins); step 5 stores each subject's events
   together, packed. Beyond ``EVENTS_HELD`` events, the rest are stored as they are read, one
   by one in their subject's events hash, and step 5 reads them back. What the workers
   dead-lettered stays out, found by its source offsets on the dead-letter topic: that covers
   the refusals that depend on when and in which order the workers saw an event (an event from
   the future then, a repair the rules turned away on arrival), which validating again now could
   not reproduce.
3. Restore what departments were told from the notice topics (``streams.restore``): notice
   records, the pending index, the notice → subject index and every subject's told map.
4. Replay the accepted feedback onto the notice records (no relay is queued again).
5. Derive every subject once at the clock's now (``Processor.rederive``): with the told map back,
   it queues no notice that was sent already; it sets the due times the workers' timers follow,
   and stores the subject's events together, packed with the event dictionary (those held and
   those stored in step 2, whose hash it deletes).

Steps 2 to 5 run in one process a core, each process given the partitions of some partition
numbers: a subject's records of every topic share one, so the process that read a subject's
events derives it, with the events it holds and the facts it kept from reading them (neither
stored in Redis nor decoded again). A subject read by two processes (its topics have partition
counts that put it under two numbers) has the events held for it stored in Redis before any
subject is derived, and is derived by one of them.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

import orjson
import redis
from confluent_kafka import Message

from creditflow.admin import admin_client, group_members
from creditflow.departments import load_departments
from creditflow.errors import CreditflowError
from creditflow.settings import Settings
from schemas.codec import decode
from schemas.errors import ContractError
from schemas.events import FeedbackReported
from schemas.identifiers import is_personal
from streams.bootstrap import Platform, build_platform
from streams.collector import tuned_for_throughput
from streams.intake import Accepted, Incoming, Rejected, accept
from streams.keyspace import delete_keys
from streams.logread import LogRange, incoming, log_range, read_consumer, read_log
from streams.processor import FactCache
from streams.restore import Answer, RestoredNotices, SentNotice, apply_answers, masks
from streams.restore import restore_notices as restore
from streams.rules.facts import Fact
from streams.snapshot import told_to_json
from streams.store.eventpacking import Trainer
from streams.store.keys import Keys
from streams.store.noticerecords import pack_record
from streams.store.packing import pack

logger = logging.getLogger(__name__)

T = TypeVar("T")

CHUNK = 500  # subjects per derivation round trip, keys per pipeline
#: Facts the rebuild's processes keep between them from reading the input to deriving its
#: subjects (some 2 KB each in memory): beyond that the least recently used are decoded again.
FACTS_KEPT = 1_000_000
#: Events the rebuild's processes hold between them from reading the input to deriving its
#: subjects, instead of storing them in Redis one by one and reading them back (some 550 bytes
#: each in memory): beyond that they are stored in Redis as they are read.
EVENTS_HELD = 2_000_000
#: Events that can wait for the record they name (a repair, an objection before its penalty).
MAY_WAIT = frozenset(
    {"CreditRepairDecided", "ObjectionFiled", "ObjectionUpheld", "ObjectionCorrected",
     "ObjectionRevoked"}
)  # fmt: skip


class RebuildError(CreditflowError):
    """The rebuild cannot run, or could not finish."""


class Progress(Protocol):
    """Where the rebuild reports how far it is (a progress bar, a log, nothing)."""

    def stage(self, name: str, total: int | None) -> None: ...

    def advance(self, count: int) -> None: ...


class _Silent:
    def stage(self, name: str, total: int | None) -> None:
        logger.info("rebuild: %s (%s)", name, total)

    def advance(self, count: int) -> None:
        pass


@dataclass(frozen=True, slots=True)
class RebuildReport:
    events_read: int  # input messages read
    stored: int  # distinct record events stored
    refused: int  # input messages left out: invalid, or dead-lettered by the workers
    subjects: int
    notices: int  # notices restored
    answered: int  # notices found answered
    unmatched: int  # notices on the topics no subject of the log explains
    queued: int  # notices the final derivation queued (not sent before)
    seconds: float

    def report(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def active_workers(settings: Settings) -> int:
    """Members of the workers' consumer group right now (0 if the group does not exist)."""
    return group_members(admin_client(settings), settings.app_id)


def rebuild(
    settings: Settings,
    progress: Progress | None = None,
    *,
    force: bool = False,
    processes: int | None = None,
    held: int = EVENTS_HELD,
) -> RebuildReport:
    """Rebuild the Redis state under ``settings.redis_prefix`` from the topics of the log.

    Reading and validating the input, and deriving the subjects, run in ``processes`` processes
    (default: one a core): each takes the partitions of some partition numbers, then a share of
    the subjects (a subject's records all share one partition number). The processes hold up to
    ``held`` of the events they read until they derive their subjects (the rest are stored in
    Redis as they are read)."""
    if not force:
        running = active_workers(settings)
        if running:
            raise RebuildError(
                f"{running} workers of the consumer group {settings.app_id} are running: stop "
                "them first (or pass --force)"
            )
    with tuned_for_throughput():
        rebuilding = _Rebuild(
            settings, progress or _Silent(), processes or os.cpu_count() or 1, held
        )
        return asyncio.run(rebuilding.run())


class _Rebuild:
    def __init__(self, settings: Settings, progress: Progress, processes: int, held: int) -> None:
        self.settings = settings
        self.progress = progress
        self.processes = max(1, processes)
        self.held = max(0, held)
        self.platform: Platform = build_platform(settings)
        self.keys = self.platform.keys
        self.redis = redis.Redis.from_url(settings.redis_dsn)
        self.log: LogRange | None = None  # the range of the last read
        # One process a part, kept for the whole rebuild: the process that read a part's input
        # derives its subjects with the facts it kept (none with a single process: it is this).
        self.pools: list[ProcessPoolExecutor] = []
        self.counter: Any = None

    def _start_processes(self) -> None:
        if self.processes == 1:
            return
        context = multiprocessing.get_context("spawn")  # forking a process with threads is unsafe
        self.counter = context.Value("q", 0)
        self.pools = [
            ProcessPoolExecutor(
                1, mp_context=context, initializer=_Counted.share, initargs=(self.counter,)
            )
            for _ in range(self.processes)
        ]

    async def run(self) -> RebuildReport:
        began = time.monotonic()
        try:
            self._start_processes()
            now = await self.platform.clock.now()
            self._delete()
            await self._event_dictionary(now)
            refused_offsets = self._dead_lettered()
            read, stored, refused, by_part, elsewhere, answers = self._events(now, refused_offsets)
            subjects = {sid for part in by_part for sid in part}
            self._release(elsewhere)
            taken_in = self.log
            restored = self._restore(subjects, answers)
            queued = await self._derive(by_part)
            # The state holds the input log up to where it was read (streams.recovery).
            await self.platform.store.advance(taken_in.ends if taken_in else {})
            await self._mark_overdue(now)
        finally:
            for pool in self.pools:
                pool.shutdown(cancel_futures=True)
            _Kept.facts = _Kept.events = None
            self.redis.close()
            await self.platform.redis.aclose()
        return RebuildReport(
            read, stored, refused, len(subjects), restored.count, restored.answered,
            len(restored.unmatched), queued, time.monotonic() - began,
        )  # fmt: skip

    def _delete(self) -> None:
        self.progress.stage("deleting the old state", None)
        # The Redis clock is kept: it is the time of the tests and the demo, not derived state;
        # so are the event dictionaries, which stored events name (streams.store.eventpacking).
        keep = {self.keys.clock, self.keys.packing}
        self.progress.advance(delete_keys(self.redis, self.keys.prefix, keep=keep))

    async def _event_dictionary(self, now: datetime) -> None:
        """Events are stored packed with the deployment's event dictionary, or, when it has
        none yet, with one made of the first records of the log."""
        store = self.platform.store
        if await store.adopt_dictionary():
            return
        self.progress.stage("making the event dictionary", None)
        trainer = Trainer(self.settings.event_dictionary_records)
        topics = list(self.settings.topics.inputs)
        departments = load_departments(self.settings.departments_file)
        with closing(read_log(self.settings, topics, self._range(topics))) as batches:
            for batch in batches:
                for message in batch:
                    outcome = accept(incoming(message), self.settings.topics, departments, now)
                    if isinstance(outcome, Accepted) and outcome.fact is not None:
                        trainer.add(outcome.value)
                if trainer.made is not None:
                    break
        if trainer.made is not None:  # else too few records to be worth it: stored as they are
            await store.offer_dictionary(trainer.made)

    def _range(self, topics: list[str]) -> LogRange:
        """The topics' partitions from their first offsets to their ends now."""
        consumer = read_consumer(self.settings)
        try:
            return log_range(consumer, topics)
        finally:
            consumer.close()

    def _read(self, name: str, topics: list[str]) -> Iterator[list[Message]]:
        self.log = log = self._range(topics)
        self.progress.stage(name, log.total)
        for batch in read_log(self.settings, topics, log):
            yield batch
            self.progress.advance(len(batch))

    def _dead_lettered(self) -> set[tuple[str, int, int]]:
        """Source offsets of the input messages the workers dead-lettered."""
        inputs = set(self.settings.topics.inputs)
        refused: set[tuple[str, int, int]] = set()
        for batch in self._read("reading the dead letters", [self.settings.topics.deadletter]):
            for message in batch:
                try:
                    _, letter = decode(message.value() or b"")
                except ContractError as exc:
                    logger.warning("unreadable dead letter at offset %s: %s", message.offset(), exc)
                    continue
                if letter.get("source_topic") in inputs:
                    refused.add(
                        (
                            letter["source_topic"],
                            letter["source_partition"],
                            letter["source_offset"],
                        )
                    )
        return refused

    def _events(
        self, now: datetime, refused_offsets: set[tuple[str, int, int]]
    ) -> tuple[int, int, int, list[list[str]], list[set[str]], list[Answer]]:
        self.log = log = self._range(list(self.settings.topics.inputs))
        self.progress.stage("reading the input topics", log.total)
        split = _split(log, self.processes)
        room = _Room(FACTS_KEPT // len(split), self.held // len(split))
        parts = [
            (self.settings, part, {o for o in refused_offsets if o[:2] in part.ends}, now, room)
            for part in split
        ]
        results = self._in_processes(_store_events, parts)
        read = stored = refused = 0
        seen: set[str] = set()
        by_part: list[list[str]] = []  # each subject once, in the first part that read it
        elsewhere: list[set[str]] = []  # subjects a part read that an earlier part derives
        answers: list[Answer] = []
        for part_read, part_stored, part_refused, part_subjects, part_answers in results:
            read, stored, refused = read + part_read, stored + part_stored, refused + part_refused
            by_part.append(sorted(part_subjects - seen))
            elsewhere.append(part_subjects & seen)
            seen |= part_subjects
            answers += part_answers
        return read, stored, refused, by_part, elsewhere, answers

    def _release(self, elsewhere: list[set[str]]) -> None:
        """Store in Redis the events each part holds of subjects another part derives (read by
        both when their topics' partition counts put them under two partition numbers)."""
        if not any(elsewhere):
            return
        shared = set().union(*elsewhere)
        self.progress.stage("storing the events of subjects read by two processes", len(shared))
        released = self._in_processes(_release_held, [(self.settings, s) for s in elsewhere])
        logger.info("%d subjects read by two processes: %d events stored", len(shared),
                    sum(released))  # fmt: skip

    def _in_processes(self, step: Callable[..., T], parts: list[tuple[Any, ...]]) -> list[T]:
        """``step(*parts[i])`` in the process of part ``i`` (in this one when there is a single
        process), what they do counted on the progress as they go."""
        if not self.pools:
            return [step(*part, progress=self.progress) for part in parts]
        if len(parts) > len(self.pools):  # parts come from _split: at most one a process
            raise RebuildError(f"{len(parts)} parts for {len(self.pools)} processes")
        futures = [pool.submit(step, *part) for pool, part in zip(self.pools, parts, strict=False)]
        shown = int(self.counter.value)  # the counter goes on from step to step
        while not all(f.done() for f in futures):
            time.sleep(0.2)
            count = int(self.counter.value)
            self.progress.advance(count - shown)
            shown = count
        self.progress.advance(int(self.counter.value) - shown)
        return [f.result() for f in futures]

    def _restore(self, subjects: set[str], answers: list[Answer]) -> _Restored:
        """What departments were told, from the notice topics, in one process a core.

        A notice's topic is its department's and its key the subject id that department was
        shown, so every notice of one (subject, measure, department) is in one partition: each
        part restores its own pairs completely. A subject's pairs may fall in several parts (one
        department is shown its id masked, another in full); their told maps are joined here."""
        topics = self.settings.topics
        names = [topics.notice(d) for d in self.platform.departments.ids()]
        log = self._range(names)
        self.progress.stage("restoring notices and what departments were told", log.total)
        # Every subject, not only residents: a resident id published under another kind is
        # masked as well (schemas.identifiers.is_personal).
        residents = masks(subjects)
        parts = [(self.settings, part, residents, answers) for part in _split(log, self.processes)]
        total = _Restored()
        told: dict[str, list[bytes]] = {}
        for restored, part_told in self._in_processes(_restore_part, parts):
            total.count += restored.count
            total.answered += restored.answered
            total.unmatched += restored.unmatched
            for sid, told_json in part_told.items():
                told.setdefault(sid, []).append(told_json)
        if total.unmatched:
            logger.warning(
                "%d notices name no subject of the input log (first: %s)",
                len(total.unmatched),
                total.unmatched[0],
            )
        for chunk in _chunks(sorted(told), CHUNK):
            pipe = self.redis.pipeline(transaction=False)
            for sid in chunk:
                pipe.hset(self.keys.state(sid), "told", pack(_joined(told[sid])))
            pipe.execute()
        return total

    async def _derive(self, by_part: list[list[str]]) -> int:
        self.progress.stage("deriving every subject", sum(len(part) for part in by_part))
        parts = [(self.settings, subjects) for subjects in by_part]
        if not self.pools:
            return sum([await _derive_subjects(*part, progress=self.progress) for part in parts])
        return sum(await asyncio.to_thread(self._in_processes, _derive_in_process, parts))

    async def _mark_overdue(self, now: datetime) -> None:
        departments = self.platform.departments.ids()
        now_ms = int(now.timestamp() * 1000)
        while await self.platform.store.mark_overdue(departments, now_ms):
            pass


class _Kept:
    """What a process keeps from one step of a rebuild to the next: the events it read and
    holds (subject → event id → Avro bytes), for storing them with their subject's state, and
    the facts of the events it stored, for deriving their subjects without decoding them again."""

    facts: FactCache | None = None
    events: dict[str, dict[str, bytes]] | None = None


class _Counted:
    """What the parts of a step running in other processes have done, in a shared counter."""

    counter: Any = None  # multiprocessing.Value, set in each process of the pool

    @classmethod
    def share(cls, counter: Any) -> None:
        cls.counter = counter

    @classmethod
    def advance(cls, progress: Progress | None, count: int) -> None:
        if progress is not None:
            progress.advance(count)
        if cls.counter is not None:
            with cls.counter.get_lock():
                cls.counter.value += count


def _split(log: LogRange, parts: int) -> list[LogRange]:
    """The log's partitions in ``parts`` groups by partition number: a subject's records of
    every topic, and every copy of one event, fall in one group."""
    groups = [
        LogRange(
            {key: start for key, start in log.starts.items() if key[1] % parts == i},
            {key: end for key, end in log.ends.items() if key[1] % parts == i},
        )
        for i in range(parts)
    ]
    return [group for group in groups if group.ends] or [log]


@dataclass(frozen=True, slots=True)
class _Room:
    """What one process may keep of the events it reads until it derives their subjects."""

    facts: int  # facts of events kept (FactCache)
    events: int  # events held, not stored in Redis as they are read


class _Keeper:
    """Where a process keeps the record events it reads (first copy of an event id wins): held
    in the process while there is room, else stored in Redis one by one and not packed, a batch
    a pipeline (deriving the subject stores its events together: streams.store.eventpacking)."""

    def __init__(self, client: redis.Redis, keys: Keys, room: _Room) -> None:
        if _Kept.facts is None:
            _Kept.facts = FactCache(room.facts)
        if _Kept.events is None:
            _Kept.events = {}
        self.facts, self.held = _Kept.facts, _Kept.events
        self.room = room.events - sum(map(len, self.held.values()))
        self.client, self.keys = client, keys
        self.stored = 0  # distinct events kept
        self._pipe = client.pipeline(transaction=False)
        self._sent: list[tuple[str, Fact] | None] = []  # a command's event, if it stores one

    def keep(self, accepted: Accepted, fact: Fact, taken: Incoming) -> None:
        sid, eid = accepted.subject_id, accepted.event_id
        own = self.held.get(sid)
        if own is not None and eid in own:
            pass  # a later copy of an event held
        elif self.room > 0:
            if own is None:
                own = self.held[sid] = {}
            own[eid] = accepted.value
            self.room -= 1
            self.stored += 1
            self.facts.put(eid, fact)
        else:  # once the room is full every event is stored: a later copy of it meets it there
            self._pipe.hsetnx(self.keys.events(sid), eid, accepted.value)
            self._sent.append((eid, fact))
        if accepted.name in MAY_WAIT:  # the derivation keeps those that wait
            self._pipe.hsetnx(self.keys.waiting(sid), eid, taken.source())
            self._sent.append(None)

    def flush(self) -> None:
        """Send what the batch stores in Redis."""
        if self._sent:
            for new, fact in zip(self._pipe.execute(), self._sent, strict=True):
                if new and fact is not None:  # the copy stored is the one kept
                    self.stored += 1
                    self.facts.put(*fact)
            self._pipe, self._sent = self.client.pipeline(transaction=False), []


def _store_events(
    settings: Settings,
    log: LogRange,
    refused_offsets: set[tuple[str, int, int]],
    now: datetime,
    room: _Room,
    *,
    progress: Progress | None = None,
) -> tuple[int, int, int, set[str], list[Answer]]:
    """Read ``log``, validate each message as the workers do and keep the accepted record
    events in this process or Redis (``_Keeper``); feedback answers are returned."""
    with tuned_for_throughput():
        departments, keys = load_departments(settings.departments_file), Keys(settings.redis_prefix)
        client = redis.Redis.from_url(settings.redis_dsn)
        keeper = _Keeper(client, keys, room)
        topics = settings.topics
        read = refused = 0
        subjects: set[str] = set()
        answers: list[Answer] = []
        try:
            for batch in read_log(settings, sorted({topic for topic, _ in log.ends}), log):
                for message in batch:
                    read += 1
                    taken = incoming(message)
                    if (taken.topic, taken.partition, taken.offset) in refused_offsets:
                        refused += 1
                        continue
                    outcome = accept(taken, topics, departments, now)
                    if isinstance(outcome, Rejected):
                        refused += 1  # already dead-lettered when the workers met it
                    elif outcome.fact is None:
                        answers += _answer(outcome)
                    else:
                        keeper.keep(outcome, outcome.fact, taken)
                        subjects.add(outcome.subject_id)
                keeper.flush()
                _Counted.advance(progress, len(batch))
        finally:
            client.close()
    return read, keeper.stored, refused, subjects, answers


@dataclass
class _Restored:
    count: int = 0  # notices restored
    answered: int = 0  # of which found answered
    unmatched: list[str] = field(default_factory=list)  # notice ids no subject explains


def _restore_part(
    settings: Settings,
    log: LogRange,
    residents: dict[str, list[str]],
    answers: list[Answer],
    progress: Progress | None = None,
) -> tuple[_Restored, dict[str, bytes]]:
    """Restore the notices of ``log``: their records and indexes are written; what each subject's
    departments were told (JSON) is returned, to be joined with the other parts'."""
    with tuned_for_throughput():
        keys = Keys(settings.redis_prefix)
        sent = []
        for batch in read_log(settings, sorted({topic for topic, _ in log.ends}), log):
            for message in batch:
                try:
                    name, datum = decode(message.value() or b"")
                except ContractError as exc:
                    logger.warning("unreadable notice on %s: %s", message.topic(), exc)
                    continue
                if name == "MeasureNotified":
                    sent.append(
                        (SentNotice.from_datum(datum), datum["occurred_at"], datum["feedback_due"])
                    )
            _Counted.advance(progress, len(batch))
        restored = restore(sent, residents)
        answered = apply_answers(restored, answers)
        client = redis.Redis.from_url(settings.redis_dsn)
        try:
            _write_notices(client, keys, restored)
        finally:
            client.close()
    told = {sid: told_to_json(pairs) for sid, pairs in restored.told.items() if pairs}
    return _Restored(restored.count, len(answered), restored.unmatched), told


def _write_notices(client: redis.Redis, keys: Keys, restored: RestoredNotices) -> None:
    """Each subject's notice records, and the indexes across subjects, a chunk at a time."""
    for chunk in _chunks(sorted(restored.records), CHUNK):
        # One command a subject for its hash; the indexes across subjects once a chunk (a ZADD
        # a department and status, one HSET of notice → subject).
        pipe = client.pipeline(transaction=False)
        subject_of: dict[Any, str] = {}  # notice id → subject
        indexes: dict[str, dict[str, int]] = {}
        for sid in chunk:
            records = restored.records[sid]
            pipe.hset(
                keys.notices(sid), mapping={nid: pack_record(r) for nid, r in records.items()}
            )
            # Only subjects shown masked (streams.store.keys.notice_subjects); the kind is not
            # known here, and a resident ID number is personal whatever kind it came with.
            if is_personal("", sid):
                subject_of.update(dict.fromkeys(records, sid))
            for nid, r in records.items():
                answered = r["status"] == "answered"
                index = keys.department_notices(
                    "answered" if answered else "pending", r["department"]
                )
                indexes.setdefault(index, {})[f"{sid}|{nid}"] = (
                    r["answered"] if answered else r["due"]
                )
        if subject_of:
            pipe.hset(keys.notice_subjects, mapping=subject_of)
        for index, members in indexes.items():
            pipe.zadd(index, members)
        pipe.execute()


def _joined(told_maps: list[bytes]) -> bytes:
    """One told map (a JSON list of pairs) from the parts' maps, whose pairs are disjoint."""
    if len(told_maps) == 1:
        return told_maps[0]
    return orjson.dumps([pair for told in told_maps for pair in orjson.loads(told)])


async def _derive_subjects(
    settings: Settings, subjects: list[str], progress: Progress | None = None
) -> int:
    """Derive each subject at the clock's now; the number of notices queued."""
    platform = build_platform(settings)
    processor = platform.processor(_NoDeadLetters(), _Kept.facts)
    held = _Kept.events or {}
    queued = 0
    try:
        for chunk in _chunks(subjects, CHUNK):
            report = await processor.rederive(chunk, held)
            queued += sum(report.notices.values())
            for sid in chunk:  # stored with the subject now
                held.pop(sid, None)
            _Counted.advance(progress, len(chunk))
    finally:
        await platform.redis.aclose()
    return queued


def _release_held(settings: Settings, subjects: set[str], progress: Progress | None = None) -> int:
    """Store the events this process holds of ``subjects`` in Redis, one by one as step 2 stores
    those it cannot hold; the number stored."""
    held = _Kept.events or {}
    keys = Keys(settings.redis_prefix)
    client = redis.Redis.from_url(settings.redis_dsn)
    released = 0
    try:
        for chunk in _chunks(sorted(subjects & held.keys()), CHUNK):
            pipe = client.pipeline(transaction=False)
            for sid in chunk:
                for eid, value in held.pop(sid).items():
                    pipe.hsetnx(keys.events(sid), eid, value)
            released += sum(pipe.execute())
            _Counted.advance(progress, len(chunk))
    finally:
        client.close()
    return released


def _derive_in_process(settings: Settings, subjects: list[str]) -> int:
    with tuned_for_throughput():
        return asyncio.run(_derive_subjects(settings, subjects))


class _NoDeadLetters:
    """Re-deriving stored subjects refuses nothing; anything sent here is a bug."""

    async def send(self, key: bytes | None, value: bytes) -> None:
        raise RebuildError("the rebuild tried to dead-letter an event: nothing was sent")


def _answer(accepted: Accepted) -> list[Answer]:
    event = accepted.event
    if not isinstance(event, FeedbackReported):
        return []
    return [
        Answer(
            accepted.event_id, event.subject_id, event.department_id, event.notice_id,
            str(event.status), event.occurred_at,
        )
    ]  # fmt: skip


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
