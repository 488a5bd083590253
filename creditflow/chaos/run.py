"""One chaos run: the same seeded workload processed cleanly, then under faults, then compared.

It owns two namespaces on the local stack, ``<ns>-clean-<seed>`` and ``<ns>-run-<seed>`` (topics,
Redis keys and consumer groups), and starts both from nothing. Both platforms read the same fixed
Redis clock, just after the workload's last day, so that their derivations can be compared.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any, TypeVar

import redis
from rich.markup import escape

from creditflow.bench import workload
from creditflow.bench.platform import PlatformUnderTest
from creditflow.chaos.compare import DigestComparison, NoticeComparison, compare_notices
from creditflow.chaos.errors import ChaosError
from creditflow.chaos.faults import Injected, Injector
from creditflow.chaos.fleet import Fleet
from creditflow.chaos.notices import read_notices
from creditflow.chaos.publisher import BackgroundPublisher, PublishStats
from creditflow.chaos.schedule import Fault, Plan, schedule
from creditflow.chaos.statediff import StateDiff, diff_states
from creditflow.chaos.watch import Watch
from creditflow.demo.space import Space
from creditflow.demo.workers import wait_assigned
from creditflow.departments import load_departments
from creditflow.devstack import stack
from creditflow.settings import Settings
from streams.digest import read_digest
from streams.keyspace import delete_keys
from streams.policy import load_policy
from streams.store.keys import Keys

logger = logging.getLogger(__name__)

Say = Callable[[str], None]
T = TypeVar("T")
POLL = 1.0
#: Seconds between progress lines.
PROGRESS_EVERY = 15.0


@dataclass(frozen=True, slots=True)
class ChaosOptions:
    events: int = 200_000
    subjects: int | None = None  # None: events / 5
    seed: int = 7
    plan: Plan = field(default_factory=Plan)
    rate: float = 2000.0  # events/s the chaos run publishes at; 0: as fast as possible
    stall: float = 300.0  # seconds without progress before the run is given up
    timeout: float | None = None  # seconds for each platform run; None: by the size
    namespace: str = "chaos"
    keep: bool = False  # keep both Redis prefixes afterwards (they are kept on failure anyway)

    @property
    def subject_count(self) -> int:
        return self.subjects if self.subjects is not None else max(10, self.events // 5)

    @property
    def run_timeout(self) -> float:
        return self.timeout if self.timeout is not None else max(900.0, self.events / 50)


@dataclass
class Outcome:
    """Everything the run found; ``report`` turns it into the JSON document."""

    options: ChaosOptions
    clock: datetime
    load: workload.Workload
    faults: list[Injected]
    publish: PublishStats
    workers: dict[str, Any]  # started, at the end, exits nobody asked for
    digests: DigestComparison
    state: StateDiff
    notices: NoticeComparison
    phases: dict[str, float]
    tails: dict[str, str] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        found = []
        if not self.digests.match:
            parts = ", ".join(self.digests.differing_parts)
            found.append(f"the chaos run's digest differs from the clean run's ({parts})")
        if self.notices.lost:
            found.append(f"{len(self.notices.lost)} notices lost")
        if self.notices.unexpected:
            found.append(f"{len(self.notices.unexpected)} notices duplicated with different ids")
        if self.publish.error or self.publish.acknowledged != self.publish.events:
            found.append(
                f"publishing: {self.publish.acknowledged} of {self.publish.events} acknowledged "
                f"{self.publish.error}".rstrip()
            )
        return found

    @property
    def passed(self) -> bool:
        return not self.problems


class Chaos:
    def __init__(self, options: ChaosOptions, base: Settings, say: Say) -> None:
        if base.kafka_bootstrap is not None or base.redis_url is not None:
            raise ChaosError(
                "the chaos run kills and restarts Kafka and Redis, so it needs the local stack: "
                "unset CREDITFLOW_KAFKA_BOOTSTRAP and CREDITFLOW_REDIS_URL"
            )
        self.options = options
        self.base = base
        self.say = say
        self.departments = load_departments(base.departments_file)
        policy = load_policy(base.policy_file, self.departments)
        after = workload.LAST_DAY + timedelta(days=1)
        self.clock = datetime.combine(after, clock_time(0), tzinfo=policy.tz)
        ns, seed = options.namespace, options.seed
        self.clean = Space.named(f"{ns}-clean-{seed}", base, self.departments)
        self.chaos = Space.named(f"{ns}-run-{seed}", base, self.departments)
        self.log_dir = base.devstack_dir / "logs" / ns
        self.phases: dict[str, float] = {}

    def _timed(self, phase: str, what: str, step: Callable[[], T]) -> T:
        self.say(f"{what} …")
        began = time.monotonic()
        result = step()
        self.phases[phase] = round(time.monotonic() - began, 3)
        self.say(f"{what}: {self.phases[phase]:.1f} s")
        return result

    def run(self) -> Outcome:
        o = self.options
        stack.up(self.base)
        self._timed("reset", "resetting both namespaces", self._reset)
        load = self._timed(
            "generate",
            f"generating {o.events:,} events about {o.subject_count:,} subjects",
            lambda: workload.generate(o.seed, o.events, o.subject_count, self.base),
        )
        self._timed(
            "clean_publish",
            "clean run: publishing",
            lambda: workload.publish(self.clean.settings, load.messages),
        )
        self._timed("clean_process", "clean run: 1 worker, no faults", lambda: self._clean(load))
        runner = ChaosRun(self, load)
        self._timed("chaos", "chaos run: publishing and processing under faults", runner.run)
        outcome = self._timed("compare", "comparing", lambda: self._compare(load, runner))
        if outcome.passed and not o.keep:
            self._delete_keys()
        return outcome

    def _reset(self) -> None:
        for space in (self.clean, self.chaos):
            space.reset()

    def _clean(self, load: workload.Workload) -> None:
        with PlatformUnderTest(self.clean, 1, self.log_dir / "clean", self.clock) as under:
            run = under.run(len(load.messages), self.options.run_timeout)
        self.say(f"clean run: {run.rate:,.0f} events/s, {run.notices:,} notices")

    def _compare(self, load: workload.Workload, runner: ChaosRun) -> Outcome:
        client = redis.Redis.from_url(self.base.redis_dsn)
        try:
            clean_keys = Keys(self.clean.settings.redis_prefix)
            chaos_keys = Keys(self.chaos.settings.redis_prefix)
            digests = DigestComparison(
                read_digest(client, clean_keys), read_digest(client, chaos_keys)
            )
            state = diff_states(client, clean_keys, chaos_keys, load.subjects)
        finally:
            client.close()
        ids = self.departments.ids()
        notices = compare_notices(
            read_notices(self.clean.settings, ids).ids, read_notices(self.chaos.settings, ids).ids
        )
        outcome = Outcome(
            self.options,
            self.clock,
            load,
            runner.injected,
            runner.publisher.stats,
            {
                "started": runner.fleet.started,
                "at_end": runner.final_workers,
                "exited_by_themselves": [
                    {"worker": e.worker, "code": e.code} for e in runner.fleet.exits
                ],
            },
            digests,
            state,
            notices,
            self.phases,
        )
        if not outcome.passed or runner.fleet.exits:
            outcome.tails = runner.fleet.tails()
        return outcome

    def _delete_keys(self) -> None:
        client = redis.Redis.from_url(self.base.redis_dsn)
        try:
            for space in (self.clean, self.chaos):
                delete_keys(client, space.settings.redis_prefix)
        finally:
            client.close()


class ChaosRun:
    """The chaos phase: background publishing, the fault schedule, then the drain."""

    def __init__(self, chaos: Chaos, load: workload.Workload) -> None:
        self.say = chaos.say
        self.options = chaos.options
        self.space = chaos.chaos
        self.clock_ms = int(chaos.clock.timestamp() * 1000)
        self.events = len(load.messages)
        self.fleet = Fleet(self.space, chaos.log_dir / "run")
        self.publisher = BackgroundPublisher(self.space.settings, load.messages, self.options.rate)
        self.faults: list[Fault] = schedule(self.options.seed, self.options.plan)
        self.injected: list[Injected] = []
        self.final_workers: list[str] = []
        self.began = time.monotonic()
        self.injector = Injector(chaos.base, self.fleet, self.began)

    def run(self) -> None:
        client = redis.Redis.from_url(self.space.settings.redis_dsn)
        try:
            client.set(Keys(self.space.settings.redis_prefix).clock, self.clock_ms)
        finally:
            client.close()
        watch = Watch(self.space, self.events, self.clock_ms)
        self.began = self.injector.began = time.monotonic()
        try:
            # Publishing starts once the group consumes, so that progress follows publishing.
            wait_assigned(
                self.space, [self.fleet.start() for _ in range(self.options.plan.start_workers)]
            )
            self.publisher.start()
            self._loop(watch)
            self.final_workers = [w.name for w in self.fleet.running]
        except BaseException:
            for name, tail in self.fleet.tails().items():
                self.say(f"[bold]{name}[/]:\n{escape(tail)}")
            raise
        finally:
            self.publisher.stop()
            self.fleet.stop()
            watch.close()

    def _loop(self, watch: Watch) -> None:
        deadline = self.began + self.options.run_timeout
        moved, last, read_at, told = time.monotonic(), -1, time.monotonic(), time.monotonic()
        while True:
            for exit_ in self.fleet.replace_exited():
                self.say(f"[red]worker {exit_.worker} exited by itself (code {exit_.code})[/]")
            reading = watch.read()
            progress = watch.progress(reading) if reading else None
            if reading:
                read_at = time.monotonic()
                if reading.processed != last:
                    moved, last = read_at, reading.processed
                if read_at - told >= PROGRESS_EVERY:
                    told = read_at
                    self.say(
                        f"processed {reading.processed:,} of {self.events:,}, lag {reading.lag:,}, "
                        f"published {self.publisher.stats.acknowledged:,}, "
                        f"{len(self.fleet.running)} workers"
                    )
            pending = self.faults[len(self.injected) :]
            if pending and progress is not None and progress >= pending[0].progress:
                self._inject(pending[0], progress)
                continue
            if self.publisher.done and reading and reading.lag == 0:
                backlog = watch.backlog()
                if backlog is not None and backlog.empty:
                    if not pending:
                        return
                    # Drained before the schedule ran out: the rest fire now.
                    self._inject(pending[0], 1.0 if progress is None else progress)
                    continue
            now = time.monotonic()
            if now > deadline:
                raise ChaosError(f"the chaos run did not drain in {self.options.run_timeout:g} s")
            if now - moved > self.options.stall:
                raise ChaosError(
                    f"no progress for {self.options.stall:g} s at {last:,} of {self.events:,} "
                    f"events processed (last reading of the group {now - read_at:.0f} s ago"
                    f"{'; ' + watch.last_error if watch.last_error else ''})"
                )
            time.sleep(POLL)

    def _inject(self, fault: Fault, progress: float) -> None:
        done = self.injector.apply(fault, progress)
        self.injected.append(done)
        self.say(
            f"fault {len(self.injected)}/{len(self.faults)} at {progress:.0%} "
            f"(+{done.at_seconds:.1f} s): {done.kind}: {done.detail} ({done.seconds:.1f} s)"
        )
