"""The faust application: the agent that processes input batches, timers, the outbox relay.

Run it with ``creditflow worker`` (several workers share the partitions of one group).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import faust
from faust.types import TP
from redis.exceptions import RedisError

from creditflow.settings import Settings
from streams.api import register_api
from streams.bootstrap import Platform
from streams.intake import Incoming
from streams.metrics import Metrics
from streams.observability import install_metrics
from streams.ordering import Partition, Reorder, Stamped, WaitingClock
from streams.recovery import Recovery
from streams.transport import use_worker_transport
from streams.watchdog import (
    BusyWatch,
    LoopWatch,
    StartWatch,
    consumer_state,
    loop_tasks,
    thread_stacks,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: How long a timer holds a due subject before another worker may take it (ms).
DUE_LEASE_MS = 30_000
#: How often held input messages are looked at again (s).
ORDER_INTERVAL = 0.1
#: How long the intake waits for the consumer to seek silent partitions (s). The seek runs on
#: faust's consumer thread, which a rebalance or a broker outage can hold: the intake holds its
#: messages unacknowledged meanwhile, so it does not wait on that thread for long.
SEEK_TIMEOUT = 10.0
#: How often the worker's consumer reads the input topics' metadata again even if nothing
#: failed (s). The group leader assigns partitions with the metadata it has: right after a
#: broker restart that may lack the topics' partitions ("Ignoring missing topic"), and then
#: every member is assigned nothing. The leader reassigns as soon as fresh metadata shows the
#: partitions, which aiokafka reads only every 5 minutes by default: the group stood idle.
METADATA_MAX_AGE = 10.0
#: After how long a step holding the intake, or an event loop that does not turn, is reported
#: with where it waits (streams.watchdog), in s.
BUSY_AFTER = 60.0
BLOCKED_AFTER = 20.0
#: After how long a rebalance that has not ended, or an input partition sought again and still
#: silent, is reported with what faust's and aiokafka's consumer hold (s); again as often.
CONSUMER_STUCK_AFTER = 60.0
#: After how long a worker loop that has not turned has every thread's stack written to its
#: stderr by faulthandler, which needs no Python thread to run (s).
FROZEN_AFTER = 45.0
#: A worker that faust has not started (streams.watchdog.StartWatch) is reported every
#: START_REPORT_AFTER s, and ended START_GIVE_UP_AFTER s after its partitions were assigned.
#: With no tables, faust's recovery after an assignment seeks the partitions to their
#: committed offsets, for at most its broker request timeout (90 s), and is done.
START_REPORT_AFTER = 45.0
START_GIVE_UP_AFTER = 100.0


class FaustDeadLetters:
    """Dead letters produced through the worker's own producer, awaited until delivered."""

    def __init__(self, topic: Any) -> None:
        self._topic = topic

    async def send(self, key: bytes | None, value: bytes) -> None:
        delivery = await self._topic.send(key=key, value=value)
        await delivery


async def retry_forever(what: str, step: Callable[[], Awaitable[T]]) -> T:
    """Run ``step`` until it succeeds. Infrastructure outages stall the stream instead of
    skipping input: faust acknowledges a batch once its handler returns, failed or not."""
    delay = 0.2
    while True:
        try:
            return await step()
        except (TimeoutError, RedisError, OSError) as exc:
            logger.warning("%s failed (%s); retrying in %.1f s", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


class _Intake:
    """Consumed input messages → held in publishing order (streams.ordering) → processed."""

    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        recovery: Recovery,
        metrics: Metrics,
        input_topics: set[str],
    ) -> None:
        self.app = app
        self.settings = settings
        self.recovery = recovery
        self.metrics = metrics
        self.input_topics = input_topics
        # A partition's silence counts only while the worker waits for input, not while it
        # processes what it was given (streams.ordering).
        self.clock = WaitingClock()
        self.reorder = Reorder(settings.order_capacity, settings.order_idle, self.clock)
        self._forced: dict[str, int] = {}
        self._paused: set[Partition] = set()  # partitions not fetched: they are far ahead
        self._refetched: dict[Partition, float] = {}  # when a silent partition was sought
        self._sought: dict[Partition, int] = {}  # seeks of a partition with no delivery since
        self._rebalancing_since: float | None = None
        self._consumer_told = -CONSUMER_STUCK_AFTER
        self._lock = asyncio.Lock()
        self.watch = BusyWatch("the intake", BUSY_AFTER)

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def assigned(self) -> set[Partition]:
        return {
            (tp.topic, tp.partition)
            for tp in self.app.consumer.assignment()
            if tp.topic in self.input_topics
        }

    def behind(self, partition: Partition) -> bool:
        """Whether the partition has messages the consumer has not delivered yet."""
        try:
            highwater = self.app.consumer.highwater(TP(*partition))
        except Exception:  # no fetch for it yet
            return True
        return highwater is None or highwater > self.recovery.position(partition)

    async def take_in(self, messages: list[Stamped]) -> None:
        """Hold what was consumed; process what may go, in publishing order."""
        async with self._lock:
            self.watch.held()
            try:
                with self.clock.stopped():
                    await self._take_in(messages)
            finally:
                self.watch.released()

    async def _take_in(self, messages: list[Stamped]) -> None:
        partitions = self.assigned()
        self.reorder.assign(partitions)  # what is held of revoked partitions is dropped
        # Before anything of a delivery whose partitions changed (or the worker's first): what
        # Redis lost, what a partition's last owner held (and what was dropped here if it comes
        # back) is read again (streams.recovery) and joins what is held, in publishing order
        # with the rest. Otherwise the batch finds a Redis that restarted with its first read.
        again, restarted = await retry_forever(
            "recovering the state", functools.partial(self.recovery.delivery_gap, partitions)
        )
        if restarted:  # what is held is read again with the rest
            self.reorder.assign(())
            self.reorder.assign(partitions)
        self.reorder.add(again)
        self.recovery.delivered([s.message for s in (*again, *messages)])
        for stamped in messages:
            self._sought.pop(stamped.partition, None)
        self.reorder.add(messages)
        ready = self.reorder.release(self.behind)
        self._count_forced()
        self._pause_ahead(partitions)
        await self._refetch_silent()
        size = self.settings.batch_size
        for start in range(0, len(ready), size):
            batch = ready[start : start + size]
            began = time.perf_counter()
            report = await retry_forever(
                "processing a batch",
                functools.partial(self.recovery.handle, batch, partitions),
            )
            self.metrics.observe_batch(report, time.perf_counter() - began)

    def _pause_ahead(self, assigned: set[Partition]) -> None:
        """Stop fetching partitions that are far ahead of the others, resume those that are
        no longer (streams.ordering).

        Through faust's own flow control of a full stream buffer (``on_buffer_full``,
        ``on_buffer_drop``), not ``pause_partitions``: faust drops the records it has fetched
        but not yet delivered of a partition paused that way, and its consumer's position has
        moved past them. A partition marked full is still delivered what was fetched of it; it
        is only not fetched again. Marked again at each delivery: a rebalance makes every
        assigned partition active again."""
        if self.app.rebalancing:
            return
        paused = self.reorder.to_pause(self._paused & assigned)
        consumer = self.app.consumer
        for partition in paused:
            consumer.on_buffer_full(TP(*partition))
        for partition in (self._paused & assigned) - paused:
            consumer.on_buffer_drop(TP(*partition))
        self._paused = paused

    def silent(self) -> list[Partition]:
        """Partitions behind that have been silent for half the idle time while the worker
        waited, and were not sought again since."""
        half = self.settings.order_idle / 2
        now = self.clock()
        return [
            p
            for p in self.reorder.silent(self.behind, half)
            if now - self._refetched.get(p, -half) >= half
        ]

    async def _refetch_silent(self) -> None:
        """A partition that has messages the worker was not given, and that stayed silent for
        half the idle time while the worker waited, is made fetchable and sought again from
        where the worker is: the consumer may have left it inactive, or dropped records it had
        fetched, and it is sooner fetched again than given up on (streams.ordering)."""
        if self.app.rebalancing:
            return
        silent = self.silent()
        if not silent:
            return
        consumer = self.app.consumer
        half = self.settings.order_idle / 2
        offsets = {TP(*p): self.recovery.position(p) for p in silent}
        for p in silent:
            self._refetched[p] = self.clock()
            self._sought[p] = self._sought.get(p, 0) + 1
            logger.warning(
                "input partition %s|%d has messages from offset %d on and was silent for "
                "%.0f s: fetching it again from there",
                *p,
                offsets[TP(*p)],
                half,
            )
        tps = list(offsets)
        consumer.resume_partitions(tps)
        for tp in tps:
            consumer.on_buffer_drop(tp)
        try:
            await asyncio.wait_for(consumer.seek_wait(offsets), SEEK_TIMEOUT)
        except TimeoutError:
            logger.warning(
                "seeking silent input partitions did not finish in %.0f s: going on without it",
                SEEK_TIMEOUT,
            )
        except Exception as exc:  # Kafka away, a rebalance: the next silence tries again
            logger.warning("seeking silent input partitions failed: %s", exc)
        again = sorted(p for p in silent if self._sought[p] >= 2)
        if again:
            self._tell_consumer(
                f"input partitions sought again and still silent ({len(again)})", again
            )

    def note_assigned(self) -> None:
        """Between deliveries: the partitions assigned, so that one that never delivered
        anything (a worker that joined and was given nothing) counts as silent too."""
        if not self.busy and not self.app.rebalancing:
            self.reorder.assign(self.assigned())

    def check_consumer(self) -> None:
        """A rebalance that has not ended for long is reported with the consumer's state."""
        now = time.monotonic()
        if not self.app.rebalancing:
            self._rebalancing_since = None
            return
        if self._rebalancing_since is None:
            self._rebalancing_since = now
        elif now - self._rebalancing_since >= CONSUMER_STUCK_AFTER:
            self._tell_consumer(
                f"a rebalance has not ended for {now - self._rebalancing_since:.0f} s",
                sorted(self.assigned()),
            )

    def _tell_consumer(self, what: str, partitions: list[Partition]) -> None:
        now = time.monotonic()
        if now - self._consumer_told < CONSUMER_STUCK_AFTER:
            return
        self._consumer_told = now
        logger.warning("%s; the consumer:\n%s", what, consumer_state(self.app, partitions))

    def _count_forced(self) -> None:
        for cause, count in self.reorder.forced.items():
            more = count - self._forced.get(cause, 0)
            if more:
                self.metrics.order_forced.labels(cause).inc(more)
                logger.warning(
                    "%d messages processed before a partition that may hold earlier ones "
                    "delivered them (%s)",
                    more,
                    cause,
                )
                self._forced[cause] = count


class WorkerWatches:
    """The worker's watchdogs that do not run as faust tasks (streams.watchdog): faust starts
    the application's timers and tasks only once its recovery after the first assignment has
    completed, and a worker whose recovery never completes would otherwise say nothing at all.
    ``start`` is called with the worker's loop before faust starts; ``started`` is set by the
    first application task faust runs."""

    def __init__(self, app: faust.App, intake: _Intake) -> None:
        self.app = app
        self.intake = intake
        self.started = threading.Event()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        LoopWatch(loop, "worker", blocked_after=BLOCKED_AFTER, frozen_after=FROZEN_AFTER).start()
        StartWatch(
            started=self.started,
            generation=lambda: self.app.consumer_generation_id,
            state=functools.partial(self.state, loop),
            report_after=START_REPORT_AFTER,
            give_up_after=START_GIVE_UP_AFTER,
        ).start()
        threading.Thread(
            target=self._watch_consumer_loop, name="consumer-loop-watch", daemon=True
        ).start()

    def state(self, loop: asyncio.AbstractEventLoop) -> str:
        """What the consumer holds of the worker's input partitions, where each task of the
        worker's loop waits, and every thread's stack."""
        try:
            partitions = self.intake.assigned() if self.app._consumer is not None else set()
        except Exception as exc:  # the assignment read from another thread: a diagnostic
            partitions = set()
            logger.debug("the assignment could not be read: %r", exc)
        return (
            f"{consumer_state(self.app, partitions)}\nthe worker loop's tasks:\n"
            f"{loop_tasks(loop)}\nthe threads' stacks:\n{thread_stacks()}"
        )

    def _watch_consumer_loop(self) -> None:
        """faust's consumer runs on a thread of its own with its own loop, made when the consumer
        starts: watched as soon as it is there."""
        for _ in range(int(START_GIVE_UP_AFTER * 10)):
            consumer = self.app._consumer
            thread_loop = getattr(getattr(consumer, "_thread", None), "thread_loop", None)
            if thread_loop is not None:
                LoopWatch(thread_loop, "consumer", blocked_after=BLOCKED_AFTER).start()
                return
            time.sleep(0.1)
        logger.warning("faust's consumer thread has no event loop to watch")


def skip_on_outage(
    what: str,
) -> Callable[[Callable[[], Awaitable[None]]], Callable[[], Awaitable[None]]]:
    """A timer that skips its turn while Redis or Kafka is away, instead of crashing the
    worker (its next turn does the work)."""

    def decorate(tick: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        @functools.wraps(tick)
        async def guarded() -> None:
            try:
                await tick()
            except (TimeoutError, RedisError, OSError) as exc:
                logger.warning("%s skipped (%s)", what, exc)

        return guarded

    return decorate


def _brokers(settings: Settings) -> list[str]:
    return [f"kafka://{host.strip()}" for host in settings.bootstrap_servers.split(",")]


def _credentials(settings: Settings) -> faust.SASLCredentials | None:
    """SCRAM-SHA-256 login of the workers when Kafka is secured (kafka_security=sasl)."""
    if settings.security_protocol == "PLAINTEXT" or settings.sasl_password is None:
        return None
    return faust.SASLCredentials(
        username=settings.sasl_username,
        password=settings.sasl_password.get_secret_value(),
        mechanism="SCRAM-SHA-256",
    )


def create_app(platform: Platform) -> faust.App:
    settings = platform.settings
    datadir = settings.devstack_dir.resolve() / "faust" / settings.worker_name.replace(":", "-")
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id,
        broker=_brokers(settings),
        value_serializer="raw",
        key_serializer="raw",
        web_port=settings.web_port,
        web_bind=settings.web_bind,
        web_host=settings.web_bind,
        datadir=str(datadir),
        topic_partitions=settings.topic_partitions,
        topic_allow_declare=False,  # `creditflow topics init` creates the topics up front
        topic_disable_leader=True,
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=min(3.0, settings.session_timeout / 3),
        consumer_metadata_max_age_ms=int(METADATA_MAX_AGE * 1000),
        consumer_auto_offset_reset="earliest",
        # The consumer hands over one partition's fetched records before the next one's: small
        # fetches keep each partition's turn short while a backlog is read (streams.ordering).
        consumer_max_fetch_size=settings.fetch_partition_bytes,
        producer_acks=-1,
        broker_credentials=_credentials(settings),
    )
    use_worker_transport(app, settings.fetch_max_wait)  # faust fixes 1.5 s (streams.transport)
    topics = settings.topics
    inputs = app.topic(*topics.inputs, value_serializer="raw", key_serializer="raw")
    dead_letters = FaustDeadLetters(
        app.topic(topics.deadletter, value_serializer="raw", key_serializer="raw")
    )
    processor = platform.processor(dead_letters)
    recovery = Recovery(settings, processor)
    input_topics = set(topics.inputs)
    relay = platform.relay()
    metrics = install_metrics(app, platform, relay)

    intake = _Intake(app, settings, recovery, metrics, input_topics)

    @app.agent(inputs, concurrency=1)
    async def process(stream: Any) -> None:
        async for events in stream.take_events(settings.batch_size, within=settings.batch_within):
            await intake.take_in(
                [
                    Stamped(
                        int(e.message.timestamp * 1000),
                        Incoming(
                            e.message.topic,
                            e.message.partition,
                            e.message.offset,
                            e.message.key,
                            e.message.value,
                        ),
                    )
                    for e in events
                ]
            )

    @app.timer(ORDER_INTERVAL)
    async def release_held() -> None:
        """Messages held for a partition that has since caught up or fallen silent; a silent
        partition that has messages the worker was not given, even with nothing held."""
        intake.note_assigned()
        if not intake.busy and (intake.reorder.held or intake.silent()):
            await intake.take_in([])

    @app.timer(5.0)
    async def report_stuck() -> None:
        """A step that has held the intake for long is logged with where it waits; a rebalance
        that has not ended for long, with what the consumer holds."""
        intake.watch.check()
        intake.check_consumer()

    watches = WorkerWatches(app, intake)

    @app.task
    async def note_started() -> None:
        """The first application task faust runs: it has started the worker."""
        watches.started.set()

    @app.timer(settings.due_interval)
    @skip_on_outage("re-deriving due subjects")
    async def rederive_due() -> None:
        now = await platform.clock.now()
        due = await platform.store.claim_due(int(now.timestamp() * 1000), DUE_LEASE_MS, 500)
        if due:
            report = await retry_forever(
                "re-deriving due subjects", functools.partial(processor.rederive, due)
            )
            metrics.observe_rederived(report)

    @app.timer(5.0)
    @skip_on_outage("marking overdue notices")
    async def mark_overdue() -> None:
        now = await platform.clock.now()
        await platform.store.mark_overdue(platform.departments.ids(), int(now.timestamp() * 1000))

    @app.task
    async def start_relay() -> None:
        relay.start()

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok", "worker": settings.worker_name})

    register_api(app, platform)  # the credit-check API (streams/api/)
    app.conf.creditflow_relay = relay  # kept for shutdown
    app.conf.creditflow_watches = watches  # started by the worker command with faust's loop
    return app
