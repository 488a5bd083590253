"""After Redis lost its last writes: take in again what the state no longer holds.

Redis runs with an append-only file synced every second, so a Redis that is killed comes back
without up to a second of writes, while the workers' offsets in Kafka may already have moved past
the messages those writes applied. Every batch therefore records, last and in Redis itself, how
far each input partition has been taken in (``Store.advance``): whatever Redis lost, those
positions were lost with it, never the other way round. A batch that writes nothing after its
subjects' changes (no feedback) records them in the round trip of the changes, after them and
only if every change applied (``Store.apply``); any other records them once it is done. A worker
also checks, as it records them, that the positions it recorded last are still there; if not,
Redis lost writes.

Before each batch the worker asks Redis for its run id, in the same round trip as the batch's
first read of the subjects and before it writes anything (``Processor.handle``; a batch with no
subjects to read asks it alone). A delivery whose assignment changed, or the worker's first,
asks before its messages join what is held (``delivery_gap``), and its first batch counts on
that. When the run id is not the server the worker last wrote to (it restarted, or the worker
has just started), the worker reads again, with a plain consumer, every assigned partition from
its recorded position up to what the worker was delivered or its group has committed, and takes
those messages in again: before a delivery, the worker puts them in its ordering buffer with
what it holds (``gap``), so that they are processed in publishing order with the rest; found by
a batch, ``ensure`` processes them at once, and what the buffer still holds of them comes again
later, as duplicates. It does the same for partitions newly assigned to it: their last owner may
have been holding messages it had consumed but not yet processed (``streams.ordering``).
Processing is idempotent (events by id, notices by id, dead letters by source offset), so taking
in again what Redis still had costs time, not correctness.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition
from redis.exceptions import RedisError

from creditflow.settings import Settings
from streams.intake import Incoming
from streams.logread import LogRange, LogReadError, incoming, read_consumer, read_log
from streams.ordering import Partition, Stamped
from streams.processor import BatchReport, Processor
from streams.store.store import Advance, ServerChangedError

logger = logging.getLogger(__name__)

TIMEOUT = 30.0


class StateLostError(RedisError):
    """Redis came back without writes this worker made: retried after reading them again."""


@dataclass
class Recovery:
    settings: Settings
    processor: Processor
    _server: str | None = None
    _delivered: dict[Partition, int] = field(default_factory=dict)
    _assigned: set[Partition] = field(default_factory=set)
    _written: dict[Partition, int] = field(default_factory=dict)  # positions recorded here
    _positions: dict[Partition, int] = field(default_factory=dict)  # as read at the last check
    # The partitions a delivery's check (``delivery_gap``) covered, no batch handled since.
    _checked: frozenset[Partition] | None = None

    def position(self, partition: Partition) -> int:
        """How far the partition is known to be taken in or delivered (0: nothing known)."""
        return max(
            self._positions.get(partition, 0),
            self._written.get(partition, 0),
            self._delivered.get(partition, 0),
        )

    def delivered(self, messages: Sequence[Incoming]) -> None:
        """Note what the consumer delivered (processed or only held): past it, Kafka does not
        deliver again."""
        for m in messages:
            key = (m.topic, m.partition)
            self._delivered[key] = max(self._delivered.get(key, 0), m.offset + 1)

    async def handle(
        self, batch: Sequence[Incoming], assigned: Collection[Partition]
    ) -> BatchReport:
        """Process ``batch`` after making sure the state holds everything before it (done
        already for a delivery's first batch), then record how far the state goes."""
        checked, self._checked = self._checked, None
        server = None
        if checked != frozenset(assigned):
            if self._only_run_id_to_ask(assigned):
                server = self._server  # asked with the batch's first read
            else:
                await self.ensure(assigned)
        self.delivered(batch)
        # Every partition this worker recorded is checked, not only this batch's: Redis may
        # have lost the writes of any of them.
        advance = Advance(_positions(batch), dict(self._written))
        try:
            report = await self.processor.handle(batch, server=server, advance=advance)
        except ServerChangedError:  # Redis restarted: nothing of the batch was written yet
            await self.ensure(assigned)
            advance = Advance(_positions(batch), dict(self._written))
            report = await self.processor.handle(batch, advance=advance)
        if advance.recorded is None:  # not with the changes: recorded after everything else
            advance.recorded = await self.processor.store.advance(advance.positions, advance.floors)
        self._recorded(advance)
        return report

    def _only_run_id_to_ask(self, assigned: Collection[Partition]) -> bool:
        """Whether all ``gap`` would ask is the run id: the worker knows the server it last
        wrote to and has the partitions it checked last."""
        return self._server is not None and set(assigned) == self._assigned

    async def _advance(self, batch: Sequence[Incoming], *, checked: bool) -> None:
        positions = _positions(batch)
        floors = dict(self._written) if checked else None
        recorded = await self.processor.store.advance(positions, floors)
        self._recorded(Advance(positions, floors, recorded))

    def _recorded(self, advance: Advance) -> None:
        if not advance.recorded:
            # Redis holds less than this worker recorded: it lost writes. Everything assigned
            # is read again from what Redis still has before this batch is tried again.
            self._server = None
            self._written.clear()
            raise StateLostError("Redis lost writes (positions went back); reading them again")
        for key, offset in advance.positions.items():
            self._written[key] = max(self._written.get(key, 0), offset)

    async def ensure(self, assigned: Collection[Partition]) -> int:
        """Take in again what Redis lost since this worker last wrote to it, and what a newly
        assigned partition's last owner held; the number of messages read again."""
        again, _ = await self.gap(assigned)
        messages = [s.message for s in sorted(again, key=lambda s: s.order)]
        size = self.settings.batch_size
        for start in range(0, len(messages), size):
            chunk = messages[start : start + size]
            await self.processor.handle(chunk)
            await self._advance(chunk, checked=False)
        return len(messages)

    async def delivery_gap(self, assigned: Collection[Partition]) -> tuple[list[Stamped], bool]:
        """``gap``, before a delivery's messages join what is held, when the assignment changed
        or the worker has not asked Redis for its run id yet: the next batch handled counts on
        it. Otherwise nothing is asked here: the next batch asks for the run id with its first
        read (``handle``), and a restart it finds is taken in at once (``ensure``)."""
        if self._only_run_id_to_ask(assigned):
            self._checked = None
            return [], False
        found = await self.gap(assigned)
        self._checked = frozenset(assigned)
        return found

    async def gap(self, assigned: Collection[Partition]) -> tuple[list[Stamped], bool]:
        """The messages to take in again (unprocessed, stamped with their publishing time),
        and whether Redis restarted (then what the worker holds is read again too)."""
        store = self.processor.store
        server = await store.server_id()
        restarted = server != self._server
        # Newly assigned partitions too: their last owner may have held messages it had not
        # processed yet (streams.ordering) when they moved.
        fresh = set(assigned) if restarted else set(assigned) - self._assigned
        if not fresh:
            self._assigned = set(assigned)  # one that leaves and comes back is fresh again
            return [], False
        positions = await store.positions()
        self._positions = positions
        committed = await asyncio.to_thread(_committed, self.settings, sorted(fresh))
        starts: dict[Partition, int] = {}
        ends: dict[Partition, int] = {}
        for key in fresh:
            end = max(committed.get(key, 0), self._delivered.get(key, 0))
            start = positions.get(key, 0)
            if start < end:
                starts[key], ends[key] = start, end
        again: list[Stamped] = []
        if ends:
            log = LogRange(starts, ends)
            logger.warning(
                "the state holds less than was taken in (%s): reading %d messages of %d "
                "partitions again",
                "Redis restarted" if self._server not in (None, server) else "assigned",
                log.total,
                len(ends),
            )
            topics = sorted({topic for topic, _ in log.ends})
            try:
                again = await asyncio.to_thread(
                    lambda: [_stamped(m) for ms in read_log(self.settings, topics, log) for m in ms]
                )
            except LogReadError as exc:  # Kafka away: tried again
                raise OSError(str(exc)) from exc
        self._server = server
        self._assigned = set(assigned)
        return again, restarted


def _positions(batch: Sequence[Incoming]) -> dict[Partition, int]:
    """How far ``batch`` goes in each of its partitions (the next offset)."""
    positions: dict[Partition, int] = {}
    for m in batch:
        key = (m.topic, m.partition)
        positions[key] = max(positions.get(key, 0), m.offset + 1)
    return positions


def _stamped(m: Message) -> Stamped:
    return Stamped(m.timestamp()[1], incoming(m))


def _committed(settings: Settings, partitions: Sequence[Partition]) -> dict[Partition, int]:
    """The workers' group's committed offsets of ``partitions`` (absent where none)."""
    if not partitions:
        return {}
    consumer: Consumer = read_consumer(settings, **{"group.id": settings.app_id})
    try:
        found = consumer.committed([TopicPartition(t, p) for t, p in partitions], timeout=TIMEOUT)
    except KafkaException as exc:
        raise OSError(f"Kafka did not give the committed offsets: {exc.args[0].str()}") from exc
    finally:
        consumer.close()
    return {(str(tp.topic), int(tp.partition)): int(tp.offset) for tp in found if tp.offset >= 0}
