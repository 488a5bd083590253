"""One benchmark run, every figure measured on this machine in the same run.

It owns the ``bench.`` topics, the ``bench:`` Redis keys and the ``creditflow-bench*`` consumer
groups, and starts by deleting what an earlier run left there. The platform's clock is a Redis
clock standing just after the workload's last day, so the same seed gives the same end state.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any, TypeVar

import redis
from confluent_kafka import KafkaException

from creditflow.admin import admin_client, group_members
from creditflow.bench import ceilings, latency, workload
from creditflow.bench.errors import BenchError
from creditflow.bench.platform import PlatformRun, PlatformUnderTest
from creditflow.bench.report import Figures, machine
from creditflow.demo.space import Space
from creditflow.departments import load_departments
from creditflow.devstack import stack
from creditflow.settings import Settings
from streams.digest import read_digest
from streams.keyspace import delete_keys
from streams.policy import load_policy
from streams.rebuild import rebuild
from streams.store.keys import Keys

logger = logging.getLogger(__name__)

NAMESPACE = "bench"
#: How long the Kafka hop is measured at most (s).
HOP_SECONDS = 10.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BenchOptions:
    events: int = 1_000_000
    subjects: int = 200_000
    seed: int = 7
    latency_rate: float = 1000.0
    latency_seconds: float = 60.0
    workers: tuple[int, ...] = (1, 2)
    keep: bool = False  # keep the Redis keys afterwards (the topics are always kept)
    namespace: str = NAMESPACE  # topics '<ns>.', keys '<ns>:', groups 'creditflow-<ns>*'


def bench_settings(base: Settings, namespace: str = NAMESPACE) -> Settings:
    return base.model_copy(
        update={
            "topic_prefix": f"{namespace}.",
            "redis_prefix": f"{namespace}:",
            "app_id": f"creditflow-{namespace}",
            "clock": "redis",
            "session_timeout": 10.0,
        }
    )


def run_settings(settings: Settings, workers: int) -> Settings:
    """Same topics, a Redis prefix and a consumer group of its own."""
    return settings.model_copy(
        update={
            "redis_prefix": f"{settings.redis_prefix}w{workers}:",
            "app_id": f"{settings.app_id}-w{workers}",
        }
    )


Say = Callable[[str], None]


def timed(say: Say, what: str, step: Callable[[], T]) -> T:
    say(f"{what} …")
    began = time.perf_counter()
    result = step()
    say(f"{what}: {time.perf_counter() - began:.1f} s")
    return result


class Bench:
    def __init__(self, options: BenchOptions, base: Settings, say: Say) -> None:
        self.options = options
        self.settings = bench_settings(base, options.namespace)
        self.departments = load_departments(base.departments_file)
        self.policy = load_policy(base.policy_file, self.departments)
        self.space = Space(self.settings, self.departments)
        self.say = say
        after = workload.LAST_DAY + timedelta(days=1)
        self.clock = datetime.combine(after, clock_time(0), tzinfo=self.policy.tz)
        self.log_dir = self.settings.devstack_dir / "logs" / options.namespace

    def clean(self) -> None:
        """Delete the namespace's topics, groups and keys; create the topics afresh."""
        admin = admin_client(self.settings)
        groups = [run_settings(self.settings, n).app_id for n in self.options.workers]
        for group in groups:
            members = group_members(admin, group)
            if members:
                raise BenchError(f"a benchmark is running ({members} workers in {group})")
        for future in admin.delete_consumer_groups(groups, request_timeout=10).values():
            try:
                future.result()
            except KafkaException as exc:
                logger.debug("group not deleted: %s", exc)
        self.space.reset()

    def run(self) -> dict[str, Any]:
        o, say = self.options, self.say
        stack.up(self.settings)
        timed(say, "cleaning the bench namespace", self.clean)
        load = timed(
            say,
            f"generating {o.events:,} events about {o.subjects:,} subjects",
            lambda: workload.generate(o.seed, o.events, o.subjects, self.settings),
        )
        published = timed(say, "publishing", lambda: workload.publish(self.settings, load.messages))
        say(f"published at {len(load.messages) / published:,.0f} events/s")
        kafka = timed(
            say, "ceiling: bare Kafka consumer", lambda: ceilings.kafka_ceiling(self.settings)
        )
        store = timed(
            say, "ceiling: Redis pipelined writes",
            lambda: ceilings.redis_ceiling(self.settings, load.messages),
        )  # fmt: skip
        hop = timed(say, f"floor: bare Kafka hop at {o.latency_rate:,.0f} msgs/s", self._kafka_hop)
        say(f"Kafka hop: p50 {hop.p50 * 1000:.1f} ms, p99 {hop.p99 * 1000:.1f} ms")
        runs: list[PlatformRun] = []
        rebuilt: tuple[float, bool, dict[str, float]] = (0.0, False, {})
        measured: dict[int, latency.Latency] = {}
        for count in o.workers:
            run, measured_now = self._platform(count, load)
            runs.append(run)
            measured.update(measured_now)
            if count == o.workers[0]:
                say("state rebuild …")
                rebuilt = self.rebuild(run_settings(self.settings, count))
                say(f"state rebuild: {rebuilt[0]:.1f} s, same digest: {rebuilt[1]}")
        if not measured:
            raise BenchError("no latency was measured")
        client = redis.Redis.from_url(self.settings.redis_dsn)
        try:
            redis_version = str(client.info("server")["redis_version"])
            if not o.keep:
                delete_keys(client, self.settings.redis_prefix)
        finally:
            client.close()
        return Figures(
            parameters={
                "events": o.events,
                "subjects": o.subjects,
                "seed": o.seed,
                "latency_rate": o.latency_rate,
                "latency_seconds": o.latency_seconds,
                "partitions": self.settings.topic_partitions,
                "batch_size": self.settings.batch_size,
                "batch_within": self.settings.batch_within,
                "clock": self.clock.isoformat(),
            },
            machine=machine(self.settings.kafka_version, redis_version),
            workload=load,
            publish_seconds=published,
            kafka=kafka,
            redis=store,
            kafka_hop=hop,
            runs=runs,
            rebuild_seconds=rebuilt[0],
            rebuild_digest_equal=rebuilt[1],
            rebuild_stages=rebuilt[2],
            latency=measured,
            subjects=len(load.subjects),
        ).report()

    def _platform(
        self, count: int, load: workload.Workload
    ) -> tuple[PlatformRun, dict[int, latency.Latency]]:
        """The log processed by ``count`` workers. With the most workers, the latency too: with
        all of them, then with each smaller number of workers of the runs, the others stopped
        (every latency measurement needs a log no throughput run reads: it adds to the log)."""
        o, say = self.options, self.say
        settings = run_settings(self.settings, count)
        space = Space(settings, self.departments)
        measured: dict[int, latency.Latency] = {}
        with PlatformUnderTest(space, count, self.log_dir / f"{count}w", self.clock) as under:
            say(f"platform with {count} worker(s) …")
            run = under.run(len(load.messages), max(900.0, o.events / 50))
            say(
                f"platform with {count} worker(s): {run.seconds:.1f} s, {run.rate:,.0f} events/s, "
                f"{run.stored:,} events stored, {run.notices:,} notices"
            )
            if count == max(o.workers):
                for index, workers in enumerate(sorted(o.workers, reverse=True)):
                    if workers < count:
                        timed(
                            say,
                            f"stopping all but {workers} worker(s)",
                            functools.partial(under.keep, workers, max(900.0, o.events / 50)),
                        )
                    measured[workers] = self._latency(settings, workers, o.seed + index)
        return run, measured

    def _kafka_hop(self) -> latency.KafkaHop:
        """Kafka alone at the latency measurement's offered load, with its producer and probe and
        its first events, for ``HOP_SECONDS`` (or the latency's duration if shorter)."""
        o = self.options
        seconds = min(o.latency_seconds, HOP_SECONDS)
        offered = self._offered(o.seed, round(o.latency_rate * seconds))
        return latency.kafka_hop(self.settings, offered, o.latency_rate)

    def _offered(self, seed: int, count: int) -> list[latency.Offered]:
        return latency.offered_events(
            seed,
            count,
            self.departments,
            self.policy,
            datetime.combine(workload.LAST_DAY, clock_time(9), tzinfo=self.policy.tz),
        )

    def _latency(self, settings: Settings, workers: int, seed: int) -> latency.Latency:
        """Latency with ``workers`` workers, on events of subjects of their own (``seed``)."""
        o, say = self.options, self.say
        offered = self._offered(seed, round(o.latency_rate * o.latency_seconds))
        say(
            f"latency with {workers} worker(s) at {o.latency_rate:,.0f} events/s "
            f"for {o.latency_seconds:g} s …"
        )
        measured = latency.measure(settings, offered, o.latency_rate)
        say(f"latency: p50 {measured.p50:.3f} s, p99 {measured.p99:.3f} s")
        return measured

    def rebuild(self, settings: Settings) -> tuple[float, bool, dict[str, float]]:
        """Seconds to rebuild the run's prefix from the log, whether its digest held, and the
        seconds of each of its stages."""
        client = redis.Redis.from_url(settings.redis_dsn)
        stages = _Stages(self.say)
        try:
            keys = Keys(settings.redis_prefix)
            before = read_digest(client, keys)
            began = time.perf_counter()
            rebuild(settings, stages, force=True)  # its workers were stopped just now
            seconds = time.perf_counter() - began
            stages.stage("", None)
            after = read_digest(client, keys)
        finally:
            client.close()
        if after != before:
            logger.error("the rebuilt state differs: %s != %s", after.report(), before.report())
        return seconds, after == before, stages.seconds


class _Stages:
    """A rebuild's progress as the seconds of each stage, each said as it ends."""

    def __init__(self, say: Say) -> None:
        self.say = say
        self.seconds: dict[str, float] = {}
        self._current: tuple[str, float] | None = None

    def stage(self, name: str, total: int | None) -> None:
        now = time.perf_counter()
        if self._current is not None:
            done, began = self._current
            self.seconds[done] = self.seconds.get(done, 0.0) + now - began
            self.say(f"  {done}: {now - began:.1f} s")
        self._current = (name, now) if name else None

    def advance(self, count: int) -> None:
        pass
