"""The platform under load: worker processes on a fresh Redis prefix and consumer group, timed
from the start of consumption until the whole log is processed and every notice published."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self

import redis
from confluent_kafka import KafkaException

from creditflow.admin import admin_client
from creditflow.bench.errors import BenchError
from creditflow.demo.readback import group_lag, group_offsets
from creditflow.demo.space import Space
from creditflow.demo.workers import Worker, start_workers, stop_workers, wait_assigned
from streams.digest import read_digest
from streams.keyspace import glob_escape
from streams.store.keys import Keys
from streams.store.store import StoredEvents

logger = logging.getLogger(__name__)

POLL = 0.5
ASSIGN_TIMEOUT = 120.0


def rss_bytes(pid: int, field: str = "VmRSS") -> int:
    """A process's resident set (or another /proc status field given in kB), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    """The peak of the workers' sampled VmRSS."""

    def __init__(self, pids: list[int], every: float = 0.25) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.pids = pids
        self.every = every
        self.peak: dict[int, int] = dict.fromkeys(pids, 0)
        self._stop_requested = threading.Event()

    def run(self) -> None:
        while not self._stop_requested.wait(self.every):
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_bytes(pid))

    def stop(self) -> None:
        self._stop_requested.set()
        self.join(5)


@dataclass(frozen=True, slots=True)
class PlatformRun:
    workers: int
    events: int  # input messages processed
    seconds: float  # first assignment → lag 0 and outbox empty
    stored: int  # distinct events in the subjects' events hashes
    notices: int  # notices the platform produced
    rss_peak: int  # bytes, the largest worker's peak
    redis_bytes: int  # Redis used_memory grown by this run
    digest: str  # streams.digest of what the run derived: equal runs derived the same

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


class PlatformUnderTest:
    """``count`` workers of one consumer group on the space's topics and Redis prefix."""

    def __init__(self, space: Space, count: int, log_dir: Path, clock: datetime) -> None:
        self.space = space
        self.count = count
        self.log_dir = log_dir
        self.keys = Keys(space.settings.redis_prefix)
        self.redis = redis.Redis.from_url(space.settings.redis_dsn)
        self.redis.set(self.keys.clock, int(clock.timestamp() * 1000))
        self.workers: list[Worker] = []
        self.sampler: RssSampler | None = None
        self._memory_before = self._used_memory()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self.redis.close()

    def _used_memory(self) -> int:
        return int(self.redis.info("memory")["used_memory"])

    def run(self, events: int, timeout: float) -> PlatformRun:
        """Start the workers and wait until they have processed the log and published all."""
        ends, lag = group_offsets(self.space)
        if lag != ends:
            raise BenchError(
                f"the consumer group {self.space.group} has {ends - lag:,} of the {ends:,} input "
                "messages committed before its workers start: an earlier run's offsets were not "
                "deleted; run the bench again"
            )
        self.workers = start_workers(self.space, self.count, self.log_dir)
        self.sampler = RssSampler([w.process.pid for w in self.workers])
        self.sampler.start()
        started = self._first_assignment()
        self._wait_drained(started + timeout)
        seconds = time.monotonic() - started
        redis_bytes = self._used_memory() - self._memory_before  # before reading it all back
        stored = self._stored()
        digest = read_digest(self.redis, self.keys)
        return PlatformRun(
            workers=self.count,
            events=events,
            seconds=seconds,
            stored=stored,
            notices=digest.notices,
            rss_peak=max(self.sampler.peak.values(), default=0),
            redis_bytes=redis_bytes,
            digest=digest.digest,
        )

    def keep(self, count: int, timeout: float) -> None:
        """Stop all but the first ``count`` workers; return once those hold every input
        partition and have caught up on what the others left."""
        stop_workers(self.workers[count:])
        self.workers = self.workers[:count]
        wait_assigned(self.space, self.workers, ASSIGN_TIMEOUT)
        self._wait_drained(time.monotonic() + timeout)

    def _check_alive(self) -> None:
        for worker in self.workers:
            if not worker.alive():
                raise BenchError(f"worker {worker.name} exited:\n{worker.tail()}")

    def _first_assignment(self) -> float:
        """When the first worker was given partitions: consumption starts then."""
        admin = admin_client(self.space.settings)
        group = self.space.group
        deadline = time.monotonic() + ASSIGN_TIMEOUT
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                description = admin.describe_consumer_groups([group])[group].result(10)
                if any(m.assignment.topic_partitions for m in description.members):
                    return time.monotonic()
            except KafkaException as exc:
                logger.debug("group %s not described yet: %s", group, exc)
            time.sleep(0.05)
        raise BenchError(f"no worker joined the group {group} in {ASSIGN_TIMEOUT:g} s")

    def _wait_drained(self, deadline: float) -> None:
        while True:
            self._check_alive()
            lag = group_lag(self.space)
            outbox = int(self.redis.xlen(self.keys.outbox))
            if lag == 0 and outbox == 0:
                return
            if time.monotonic() > deadline:
                raise BenchError(f"not drained in time: lag {lag}, outbox {outbox}")
            time.sleep(POLL)

    def _stored(self) -> int:
        """Events stored, over every subject with a state."""
        prefix = self.keys.prefix
        pattern = f"{glob_escape(prefix)}{{*}}:state"
        reader = StoredEvents(self.redis, self.keys)
        stored = 0
        batch: list[str] = []
        for key in [*self.redis.scan_iter(match=pattern, count=1000), None]:
            if key is not None:
                batch.append(bytes(key).decode()[len(prefix) + 1 : -len("}:state")])
            if batch and (key is None or len(batch) == 1000):
                stored += sum(len(ids) for ids in reader.ids(batch).values())
                batch.clear()
        return stored

    def pids(self) -> list[int]:
        return [w.process.pid for w in self.workers]

    def stop(self) -> None:
        """Stop the workers (they leave the group) and the sampler."""
        if self.sampler is not None:
            self.sampler.stop()
        if self.workers:
            stop_workers(self.workers)
            self.workers = []
