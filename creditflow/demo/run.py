"""``creditflow demo``: the whole platform on a simulated city, end to end.

It starts the local stack if needed, gives the demo its own topics and keys, starts the workers
with a Redis-controlled clock and one subscriber per department, publishes the city's years day by
day while moving the clock forward, waits for the platform to settle, and reads the end state back
to check it against what was sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from types import TracebackType
from typing import Self

import redis

from creditflow.demo.badrecords import BadRecord
from creditflow.demo.city import evening, simulate
from creditflow.demo.errors import DemoError
from creditflow.demo.publishing import CityPublisher
from creditflow.demo.readback import Backlog, backlog, end_state, live_numbers, unknown_subjects
from creditflow.demo.responders import Responder, start_responders, stop_responders
from creditflow.demo.space import SimClock, Space
from creditflow.demo.stories import Scheduled
from creditflow.demo.summary import Summary, summarise
from creditflow.demo.tail import TopicTail
from creditflow.demo.view import LiveView, Rate, Snapshot
from creditflow.demo.workers import Worker, start_workers, stop_workers, wait_assigned
from creditflow.departments import load_departments
from creditflow.devstack import stack
from creditflow.settings import Settings
from streams.policy import load_policy
from streams.store.keys import Keys

logger = logging.getLogger(__name__)

#: After the last simulated day the clock runs on this long: slow departments answer, and the
#: feedback deadlines of the last notices pass.
TAIL_DAYS = 14
#: Publishing pace: the span takes about events / EVENTS_PER_SECOND seconds, at least MIN_SECONDS.
EVENTS_PER_SECOND = 250
MIN_SECONDS = 20.0
SETTLE_TIMEOUT = 180.0
#: The clock waits when the workers are this many simulated days behind it (at least
#: MIN_BEHIND events): the city's schedule keeps 30 to 45 days between related records.
MAX_BEHIND_DAYS = 15
MIN_BEHIND = 200


@dataclass(frozen=True, slots=True)
class DemoOptions:
    events: int
    seed: int
    namespace: str = "demo"
    workers: int = 2
    seconds_per_day: float | None = None  # None: from the number of events


class Demo:
    """The demo's processes and clients; leaving the ``with`` block stops all it started."""

    def __init__(self, options: DemoOptions, settings: Settings) -> None:
        self.options = options
        self.departments = load_departments(settings.departments_file)
        self.policy = load_policy(settings.policy_file, self.departments)
        self.space = Space.named(options.namespace, settings, self.departments)
        self.city = simulate(options.seed, options.events, self.departments, self.policy)
        self.began = time.monotonic()
        self.phase = "starting"
        self.status = ""
        self.workers: list[Worker] = []
        self.responders: list[Responder] = []
        self._cleanup = ExitStack()
        self._rate = Rate()
        self._subjects = [s.id for s in self.city.subjects]
        self._day = self.city.first
        self._redis: redis.Redis | None = None
        self._clock: SimClock | None = None
        self._tail: TopicTail | None = None
        self._publisher: CityPublisher | None = None
        self._stored = (0.0, 0)  # when last read, and how many events the workers had stored

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._cleanup.close()

    def start(self) -> None:
        """Stack, a clean namespace, the clock, the workers, the departments' subscribers."""
        stack.up(self.space.settings)
        self.space.reset()
        self._redis = client = self.space.redis()
        self._cleanup.callback(client.close)
        start = datetime.combine(self.city.first, clock_time(), tzinfo=self.policy.tz)
        self._clock = clock = SimClock(client, Keys(self.space.settings.redis_prefix).clock, start)
        clock.set(start)  # before the workers start: their clock must never be the system's
        log_dir = self.space.settings.devstack_dir / "logs"
        self.workers = start_workers(self.space, self.options.workers, log_dir)
        self._cleanup.callback(stop_workers, self.workers)
        wait_assigned(self.space, self.workers)
        self._tail = TopicTail(self.space)
        self._tail.start()
        self._cleanup.callback(self._tail.stop)
        self.responders = start_responders(self.space, clock)
        self._cleanup.callback(stop_responders, self.responders)
        self._publisher = CityPublisher(self.space, clock)

    @property
    def final_day(self) -> date:
        """The simulated day the clock stopped on (or has reached so far)."""
        return self._day

    @property
    def seconds_per_day(self) -> float:
        if self.options.seconds_per_day is not None:
            return self.options.seconds_per_day
        days = (self.city.last - self.city.first).days + 1
        return max(MIN_SECONDS, len(self.city.timeline) / EVENTS_PER_SECOND) / days

    def play(self, view: LiveView) -> None:
        """Publish the city day by day with the clock; then wait for the platform to settle."""
        clock, publisher = self._started()
        self.phase = "publishing"
        began, pace = time.monotonic(), self.seconds_per_day
        days = (self.city.last - self.city.first).days + 1
        most_behind = max(MIN_BEHIND, MAX_BEHIND_DAYS * len(self.city.timeline) // days)
        for index, (day, items) in enumerate(self._days()):
            self._day = day
            clock.set(evening(day, self.policy.tz))
            for item in items:
                publisher.publish(item)
            publisher.poll()
            self._check_workers()
            view.update(self.snapshot)
            if day > self.city.last:
                self._wait_for_due(view, clock)
            if publisher.distinct - self._stored_events() > most_behind:
                self._wait_for_workers(view, publisher, most_behind // 2)
                began = time.monotonic() - (index + 1) * pace
            # Keep to the pace, so that the clock never runs far ahead of the workers.
            wait = began + (index + 1) * pace - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self.phase = "flushing"
        publisher.close()
        self._settle(view)

    def _wait_for_workers(self, view: LiveView, publisher: CityPublisher, behind: int) -> None:
        """Hold the clock while the workers catch up (a slow or busy machine)."""
        self.phase = "waiting for the workers"
        logger.info(
            "workers behind by %d events: holding the clock",
            publisher.distinct - self._stored_events(),
        )
        while publisher.distinct - self._stored_events() > behind:
            self._check_workers()
            publisher.poll()
            view.update(self.snapshot)
            time.sleep(0.2)
        self.phase = "publishing"

    def _wait_for_due(self, view: LiveView, clock: SimClock, timeout: float = 5.0) -> None:
        """In the last days, let the workers' timers catch up with each day before the next, so
        that what ends or starts then is announced on its day (and answered before the end)."""
        due = Keys(self.space.settings.redis_prefix).due
        deadline = time.monotonic() + timeout
        while self._client().zcount(due, "-inf", clock.ms) and time.monotonic() < deadline:
            view.update(self.snapshot)
            time.sleep(0.05)

    def _stored_events(self) -> int:
        """Events the workers have stored (read at most twice a second: it costs a round trip
        per thousand subjects)."""
        read_at, stored = self._stored
        now = time.monotonic()
        if now - read_at >= 0.5:
            stored = live_numbers(self._client(), self.space, self._subjects).stored
            self._stored = (now, stored)
        return stored

    def _days(self) -> Iterator[tuple[date, list[Scheduled | BadRecord]]]:
        yield from self.city.days()
        for extra in range(1, TAIL_DAYS + 1):
            yield self.city.last + timedelta(days=extra), []

    def _settle(self, view: LiveView) -> None:
        """Wait until the platform has done all the final clock asks of it, twice in a row."""
        clock, _ = self._started()
        self.phase = "settling"
        deadline = time.monotonic() + SETTLE_TIMEOUT
        quiet = 0
        while quiet < 2:
            if time.monotonic() > deadline:
                raise DemoError(
                    f"the platform did not settle in {SETTLE_TIMEOUT:g} s: {self.status}"
                )
            self._check_workers()
            quiet = quiet + 1 if self._settled(clock) else 0
            view.update(self.snapshot, force=True)
            time.sleep(0.5)
        self.phase = "reading back"
        if self._tail is None or not self._tail.caught_up():
            raise DemoError("the dead-letter and notice topics could not be read to their end")

    def _settled(self, clock: SimClock) -> bool:
        client = self._client()
        left: Backlog = backlog(client, self.space, clock.ms)
        waiting = sum(r.due_backlog(clock.now()) for r in self.responders)
        recorded = sum(
            sum(row.values()) for row in live_numbers(client, self.space, []).notices.values()
        )
        received = sum(r.tally.notices for r in self.responders)
        self.status = f"{left}, answers due {waiting}, notices received {received}/{recorded}"
        return left.empty and not waiting and received == recorded

    def summary(self) -> Summary:
        if self._tail is None:
            raise DemoError("the demo has not run")
        client = self._client()
        state = end_state(client, self.space, self._subjects)
        unknown = unknown_subjects(client, self.space, set(self._subjects))
        tallies = {r.department_id: r.tally for r in self.responders}
        return summarise(self.city, state, self._tail.snapshot(), tallies, unknown)

    def follow(self, view: LiveView) -> None:
        """Keep everything up, the view moving, until Ctrl-C."""
        self.phase = "following (Ctrl-C stops)"
        try:
            while True:
                self._check_workers()
                view.update(self.snapshot)
                time.sleep(1.0)
        except KeyboardInterrupt:
            return

    def snapshot(self) -> Snapshot:
        numbers = live_numbers(self._client(), self.space, self._subjects)
        dead = self._tail.snapshot().dead_letters if self._tail else {}
        now = time.monotonic()
        sent = self._publisher.total if self._publisher else 0
        return Snapshot(
            day=self._day,
            phase=self.phase,
            elapsed=now - self.began,
            rate=self._rate.update(sent, now),
            sent=sent,
            planned=len(self.city.timeline),
            stored=numbers.stored,
            dead_letters=sum(dead.values()),
            lists=numbers.lists,
            notices=numbers.notices,
            received={r.department_id: r.tally.notices for r in self.responders},
            status=self.status if self.phase == "settling" else "",
        )

    def _client(self) -> redis.Redis:
        if self._redis is None:
            raise DemoError("the demo has not started")
        return self._redis

    def _started(self) -> tuple[SimClock, CityPublisher]:
        if self._clock is None or self._publisher is None:
            raise DemoError("the demo has not started")
        return self._clock, self._publisher

    def _check_workers(self) -> None:
        """Stop the run as soon as a worker or a department's subscriber has died."""
        for worker in self.workers:
            if not worker.alive():
                raise DemoError(f"worker {worker.name} stopped:\n{worker.tail()}")
        for responder in self.responders:
            if not responder.is_alive():
                errors = "; ".join(responder.tally.errors) or "no error recorded"
                raise DemoError(f"the subscriber of {responder.department_id} stopped: {errors}")
