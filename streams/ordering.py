"""A worker's input messages taken in the order they were published, across its partitions.

A subject's records come from several topics, partitioned alike by subject, so one worker holds
partition p of every input topic. A consumer reads those partitions at different paces (more so
while it catches up on a backlog or after a restart), and a record read early from one topic may
have been published after a record still unread on another. What departments are told follows
the order in which things happened, so the worker puts the messages back in publishing order
(Kafka timestamp, then topic, partition, offset) before it processes them, as Kafka Streams'
timestamp synchronisation does:

* the earliest held message is released once no other partition may still deliver an earlier
  one: each other partition holds a message (no earlier, since it is not the earliest), or has
  nothing unread (it is caught up), or has been silent for ``idle`` seconds (a partition that
  does not deliver must not stop the others);
* whenever more than ``capacity`` messages are held, the earliest is released regardless, so a
  worker's memory stays bounded whatever the backlog.

Within a partition the order is the log's: a partition's messages leave in offset order.

The consumer hands over the records it fetched one partition after another, so while a worker
catches up on a backlog each partition falls silent until its turn comes round again: fetches are
kept small (``fetch_partition_bytes``) so that a round is short. A round also takes as long as
the worker takes to process what it was given, which grows with the backlog and the load; so
silence is measured on a ``WaitingClock``, which stops while the worker processes: a partition
is given up on only after ``idle`` seconds in which the worker was free to receive from it.

A partition that runs ahead of the others (a sparse topic covers more publishing time with each
fetch than a dense one) would make the worker hold ever more of it while the others catch up,
until ``capacity`` forces messages out of order. So, as Kafka Streams does, a partition that holds
its share of the capacity is paused in the consumer (``to_pause``) and resumed once it holds half
of that: the consumer then fetches the partitions that are behind.

Every message released before a partition that may still deliver an earlier one has (given up
on as idle, or over capacity) is counted in ``forced``: it may have been taken out of order.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from streams.intake import Incoming

Partition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Stamped:
    timestamp: int  # ms: when the message was published (Kafka's timestamp)
    message: Incoming

    @property
    def partition(self) -> Partition:
        return (self.message.topic, self.message.partition)

    @property
    def order(self) -> tuple[int, str, int, int]:
        m = self.message
        return (self.timestamp, m.topic, m.partition, m.offset)


class WaitingClock:
    """Seconds spent waiting for input: a monotonic clock that stops while the worker works."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._stopped_at: float | None = None
        self._stopped_for = 0.0

    def __call__(self) -> float:
        now = self._clock() if self._stopped_at is None else self._stopped_at
        return now - self._stopped_for

    @contextmanager
    def stopped(self) -> Iterator[None]:
        if self._stopped_at is not None:  # already stopped: the outer stop counts
            yield
            return
        self._stopped_at = self._clock()
        try:
            yield
        finally:
            self._stopped_for += self._clock() - self._stopped_at
            self._stopped_at = None


class Reorder:
    def __init__(
        self,
        capacity: int = 50_000,
        idle: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.idle = idle
        self._clock = clock
        self._held: dict[Partition, deque[Stamped]] = {}
        self._heads: list[tuple[tuple[int, str, int, int], Partition]] = []
        self._count = 0
        self._heard: dict[Partition, float] = {}  # when each partition last delivered
        # Messages released while a partition that may hold earlier ones had not delivered
        # them, by cause: "idle" (given up on) or "capacity" (too much held).
        self.forced: Counter[str] = Counter()

    @property
    def held(self) -> int:
        return self._count

    def assign(self, partitions: Collection[Partition]) -> int:
        """The partitions now assigned: what is held of the others is dropped (their new owner
        reads it again); the number of messages dropped."""
        now = self._clock()
        for partition in partitions:
            self._heard.setdefault(partition, now)
        dropped = 0
        for partition in [p for p in self._heard if p not in partitions]:
            dropped += len(self._held.pop(partition, ()))
            self._heard.pop(partition)
        if dropped:
            self._count -= dropped
            self._heads = [h for h in self._heads if h[1] in self._held]
            heapq.heapify(self._heads)
        return dropped

    def add(self, messages: Iterable[Stamped]) -> None:
        now = self._clock()
        for stamped in messages:
            partition = stamped.partition
            queue = self._held.setdefault(partition, deque())
            if not queue:
                heapq.heappush(self._heads, (stamped.order, partition))
            queue.append(stamped)
            self._count += 1
            self._heard[partition] = now

    def to_pause(self, paused: Collection[Partition]) -> set[Partition]:
        """The partitions the consumer should not fetch from now, ``paused`` being those it
        does not fetch from: each holding its share of half the capacity, or, if paused
        already, more than half its share."""
        share = max(1, self.capacity // (2 * max(1, len(self._heard))))
        return {
            partition
            for partition, queue in self._held.items()
            if len(queue) >= share or (partition in paused and 2 * len(queue) > share)
        }

    def release(self, behind: Callable[[Partition], bool]) -> list[Incoming]:
        """The messages that may be processed now, in publishing order. ``behind(p)``: whether
        partition ``p`` has messages not yet delivered."""
        now = self._clock()
        awaited = {p for p in self._heard if not self._held.get(p) and self._may(p, behind, now)}
        # Partitions given up on: silent too long, though they have messages not delivered.
        given_up = {p for p in self._heard if not self._held.get(p) and behind(p)} - awaited
        out: list[Incoming] = []
        while self._heads and (self._count > self.capacity or not awaited):
            if awaited:
                self.forced["capacity"] += 1
            elif given_up:
                self.forced["idle"] += 1
            _, partition = heapq.heappop(self._heads)
            queue = self._held[partition]
            out.append(queue.popleft().message)
            self._count -= 1
            if queue:
                heapq.heappush(self._heads, (queue[0].order, partition))
            else:
                del self._held[partition]
                if self._may(partition, behind, now):
                    awaited.add(partition)
                elif behind(partition):
                    given_up.add(partition)
        return out

    def silent(self, behind: Callable[[Partition], bool], after: float) -> list[Partition]:
        """The partitions holding nothing that have messages not delivered yet and have been
        silent for ``after`` seconds or more."""
        now = self._clock()
        return [
            p
            for p, heard in self._heard.items()
            if not self._held.get(p) and now - heard >= after and behind(p)
        ]

    def _may(self, partition: Partition, behind: Callable[[Partition], bool], now: float) -> bool:
        """Whether ``partition``, holding nothing, may still deliver an earlier message."""
        return now - self._heard[partition] < self.idle and behind(partition)
