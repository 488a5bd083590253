"""Latency at a fixed offered load: from publishing a serious penalty to the first notice about
its subject reaching a department (finance's B01 INITIATE, 限制参与政府采购活动).

New companies are penalised (a company's id reaches finance unmasked), among permits for other
new subjects; events are produced at a steady rate, and the time each penalty was produced is
kept on our side (not in the event), as is the time its notice arrived.

Its floor, the Kafka hop: the same producer and probe with Kafka alone between them, the same
events at the same rate through a topic of their own. A notice's way holds two such hops (the
event to the worker, the notice to the department) with the platform between them.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from confluent_kafka import Message, Producer, TopicPartition

from creditflow.admin import admin_client, delete_topics, ensure_topics
from creditflow.bench.errors import BenchError
from creditflow.bench.workload import bulk_producer
from creditflow.demo import identities as ids
from creditflow.demo.catalog import PERMITS, SERIOUS, for_kind
from creditflow.demo.city import new_subject
from creditflow.demo.records import RecordBuilder, Subject
from creditflow.departments import DepartmentRegistry
from creditflow.settings import Settings
from schemas.codec import decode, encode_model
from schemas.enums import SubjectKind
from schemas.errors import ContractError
from schemas.events import Event
from streams.logread import LogReadError, log_range, read_consumer
from streams.policy import Policy

#: (topic kind, key, value, the penalised company or None).
Offered = tuple[str, bytes, bytes, str | None]
PROBE_DEPARTMENT, PROBE_MEASURE = "finance", "B01"
SERIOUS_SHARE = 0.1
WAIT_AFTER = 120.0  # seconds to wait for the last notices once publishing ends
#: The Kafka hop's topic, under the bench's prefix.
HOP_TOPIC = "kafka-hop"


@dataclass(frozen=True, slots=True)
class Latency:
    offered_rate: float  # events per second asked for
    achieved_rate: float  # events per second produced
    events: int
    penalties: int
    received: int
    p50: float
    p95: float
    p99: float
    max: float
    #: Publish → the worker's relay produced the notice (its Kafka timestamp): the platform's
    #: part; the rest is Kafka delivering the notice to the department.
    produced_p50: float
    produced_p99: float
    #: Redis rewrites of its append-only file that overlapped the measurement (each a forked
    #: process busy on a core for seconds: on two cores, the tail is then that rewrite).
    redis_rewrites: int = 0
    #: Seconds spent compacting Redis's append-only file just before (``compact_redis``).
    redis_compacted_seconds: float = 0.0


class Probe(threading.Thread):
    """When each awaited message reached ``topic`` from its end on: the first arrival of each id
    ``identify`` finds in a message (monotonic seconds), and when it was produced (its Kafka
    timestamp, wall seconds)."""

    def __init__(
        self,
        settings: Settings,
        topic: str,
        identify: Callable[[Message], str | None],
        name: str = "probe",
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.consumer = read_consumer(settings, **{"fetch.wait.max.ms": 10})
        ends = log_range(self.consumer, [topic]).ends  # only messages from now on
        self.consumer.assign([TopicPartition(t, p, offset) for (t, p), offset in ends.items()])
        self.identify = identify
        self.received: dict[str, float] = {}  # monotonic seconds
        self.produced: dict[str, float] = {}  # the message's Kafka timestamp, wall seconds
        self._stop_requested = threading.Event()

    def arrived(self, wait: float = 0.05) -> list[Message]:
        """The messages that have arrived: waits up to ``wait`` seconds for one, then takes
        those fetched with it. (``consume(n, timeout)`` returns only once it has ``n`` messages
        or the timeout has passed: that added up to the timeout to every delay measured.)"""
        first = self.consumer.poll(wait)
        if first is None:
            return []
        return [first, *self.consumer.consume(1000, 0)]

    def run(self) -> None:
        try:
            while not self._stop_requested.is_set():
                for message in self.arrived():
                    arrived = time.monotonic()
                    if message.error() is not None:
                        continue
                    awaited = self.identify(message)
                    if awaited is not None and awaited not in self.received:
                        self.received[awaited] = arrived
                        self.produced[awaited] = message.timestamp()[1] / 1000
        finally:
            self.consumer.close()

    def stop(self) -> None:
        self._stop_requested.set()
        self.join(10)


class NoticeProbe(Probe):
    """When the first B01 INITIATE about each subject reached finance's topic."""

    def __init__(self, settings: Settings) -> None:
        topic = settings.topics.notice(PROBE_DEPARTMENT)
        super().__init__(settings, topic, _probed_subject, "notice-probe")


def _probed_subject(message: Message) -> str | None:
    """The subject of a B01 INITIATE notice; None for any other message."""
    try:
        name, datum = decode(message.value() or b"")
    except ContractError:
        return None
    if (
        name == "MeasureNotified"
        and datum["measure_id"] == PROBE_MEASURE
        and datum["action"] == "INITIATE"
    ):
        return str(datum["subject_id"])
    return None


def offered_events(
    seed: int, count: int, departments: DepartmentRegistry, policy: Policy, morning: datetime
) -> list[Offered]:
    """(topic kind, key, value, penalised company or None) of new subjects, decided on
    ``morning``'s day (before the platform's clock), encoded ahead of the run."""
    rng = random.Random(f"bench-latency-{seed}")
    builder = RecordBuilder(departments, rng)
    serious = for_kind(SERIOUS, SubjectKind.LEGAL_PERSON)
    day = morning.astimezone(policy.tz).date()
    events: list[Offered] = []
    for index in range(count):
        at = morning + timedelta(milliseconds=index)
        if index % round(1 / SERIOUS_SHARE) == 0:
            company = _new_company(rng)
            event: Event = builder.penalty(company, rng.choice(serious), day, at)
            events.append(("penalty", company.id.encode(), encode_model(event), company.id))
        else:
            subject = new_subject(rng)
            event = builder.permit(subject, rng.choice(for_kind(PERMITS, subject.kind)), day, at)
            events.append(("permit", subject.id.encode(), encode_model(event), None))
    return events


def _new_company(rng: random.Random) -> Subject:
    division = rng.choice(tuple(ids.DIVISIONS))
    return Subject(
        ids.enterprise_uscc(rng, division),
        SubjectKind.LEGAL_PERSON,
        ids.company_name(rng, division),
        ids.person_name(rng),
    )


def _persistence(client: redis.Redis) -> dict[str, Any]:
    info: dict[str, Any] = client.info("persistence")
    return info


def compact_redis(settings: Settings, timeout: float = 600.0) -> float:
    """Have Redis rewrite its append-only file now, and wait until it has; the seconds taken.

    Redis rewrites the file by itself whenever it has doubled, in a forked process that keeps a
    core busy for seconds to tens of seconds with the bench's data; whether that falls in the
    latency minute decided its p99 between runs. Rewritten just before, it is not due again
    until the file has doubled once more."""
    client = redis.Redis.from_url(settings.redis_dsn)
    began = time.monotonic()
    try:
        if not _persistence(client).get("aof_enabled"):
            return 0.0
        try:
            client.bgrewriteaof()
        except redis.ResponseError as exc:  # one already running: waited for below
            if "in progress" not in str(exc):
                raise
        while True:
            state = _persistence(client)
            if not (state["aof_rewrite_in_progress"] or state["aof_rewrite_scheduled"]):
                return time.monotonic() - began
            if time.monotonic() - began > timeout:
                raise BenchError(f"Redis did not rewrite its append-only file in {timeout:g} s")
            time.sleep(0.2)
    finally:
        client.close()


def _rewrites(settings: Settings) -> int:
    client = redis.Redis.from_url(settings.redis_dsn)
    try:
        return int(_persistence(client).get("aof_rewrites", 0))
    finally:
        client.close()


@dataclass(frozen=True, slots=True)
class _Offered:
    """When each awaited message was produced (monotonic and wall seconds), and how long
    producing them all took."""

    monotonic: dict[str, float]
    wall: dict[str, float]
    seconds: float


def _offer(
    producer: Producer, messages: Sequence[tuple[str, bytes, bytes, str | None]], rate: float
) -> _Offered:
    """Produce (topic, key, value, awaited id or None) at ``rate`` messages a second, and wait
    until Kafka has acknowledged every one."""
    monotonic: dict[str, float] = {}
    wall: dict[str, float] = {}
    began = time.monotonic()
    sent = 0
    while sent < len(messages):
        due = min(len(messages), int((time.monotonic() - began) * rate) + 1)
        for topic, key, value, awaited in messages[sent:due]:
            if awaited is not None:
                monotonic[awaited] = time.monotonic()
                wall[awaited] = time.time()
            producer.produce(topic, value=value, key=key)
        sent = due
        producer.poll(0)
        time.sleep(0.002)
    seconds = time.monotonic() - began
    if producer.flush(60):
        raise BenchError("the offered messages were not all acknowledged")
    return _Offered(monotonic, wall, seconds)


def _through(
    probe: Probe,
    producer: Producer,
    messages: Sequence[tuple[str, bytes, bytes, str | None]],
    rate: float,
) -> _Offered:
    """Offer ``messages`` (``_offer``) with ``probe`` running, and wait up to ``WAIT_AFTER``
    seconds until every awaited one reached it. The probe is stopped whatever happens."""
    probe.start()
    try:
        offered = _offer(producer, messages, rate)
        awaited = offered.monotonic.keys()
        deadline = time.monotonic() + WAIT_AFTER
        while len(probe.received.keys() & awaited) < len(awaited):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        return offered
    finally:
        probe.stop()


def _percentiles(values: list[float]) -> list[float]:
    return statistics.quantiles(values, n=100, method="inclusive")


def measure(
    settings: Settings,
    events: list[Offered],
    rate: float,
) -> Latency:
    """Produce ``events`` at ``rate`` per second; the penalties' publish → notice latencies.
    Redis's append-only file is compacted first (``compact_redis``)."""
    compacted = compact_redis(settings)
    rewrites_before = _rewrites(settings)
    probe = NoticeProbe(settings)
    producer = bulk_producer(settings, "creditflow-bench-latency", **{"linger.ms": 1})
    offered = _through(
        probe,
        producer,
        [
            (settings.topics.event(kind), key, value, penalised)
            for kind, key, value, penalised in events
        ],
        rate,
    )
    published = offered.monotonic
    delays = sorted(probe.received[s] - t for s, t in published.items() if s in probe.received)
    if len(delays) < 2:
        raise BenchError(
            f"only {len(delays)} of {len(published)} notices reached {PROBE_DEPARTMENT}"
        )
    cuts = _percentiles(delays)
    # The same latency up to the worker's relay producing the notice (one machine, one clock).
    to_produced = _percentiles(
        [probe.produced[s] - offered.wall[s] for s in published if s in probe.produced]
    )
    return Latency(
        offered_rate=rate,
        achieved_rate=len(events) / offered.seconds,
        events=len(events),
        penalties=len(published),
        received=len(delays),
        p50=cuts[49],
        p95=cuts[94],
        p99=cuts[98],
        max=delays[-1],
        produced_p50=to_produced[49],
        produced_p99=to_produced[98],
        redis_rewrites=_rewrites(settings) - rewrites_before,
        redis_compacted_seconds=compacted,
    )


@dataclass(frozen=True, slots=True)
class KafkaHop:
    """Kafka alone: the latency measurement's producer to its probe, nothing in between, at the
    same offered load on the same machine. A notice's way has two such hops (the event to the
    worker, the notice to the department) and the platform between them."""

    offered_rate: float
    achieved_rate: float
    messages: int  # every one of them came back
    p50: float
    p95: float
    p99: float


def kafka_hop(settings: Settings, events: list[Offered], rate: float) -> KafkaHop:
    """Produce the ``events``' values at ``rate`` per second to a topic of their own (made for
    it, deleted after), each under its index as key; how long each took to reach a consumer."""
    topic = f"{settings.topic_prefix}{HOP_TOPIC}"
    admin = admin_client(settings)
    ensure_topics(settings, [topic])
    try:
        probe = probe_when_ready(lambda: Probe(settings, topic, _key, "hop-probe"))
        producer = bulk_producer(settings, "creditflow-bench-hop", **{"linger.ms": 1})
        messages = [
            (topic, str(i).encode(), value, str(i)) for i, (_, _, value, _) in enumerate(events)
        ]
        offered = _through(probe, producer, messages, rate)
    finally:
        delete_topics(admin, [topic])
    delays = sorted(
        probe.received[k] - t for k, t in offered.monotonic.items() if k in probe.received
    )
    if len(delays) < len(messages):
        raise BenchError(f"only {len(delays)} of {len(messages)} messages came back from Kafka")
    cuts = _percentiles(delays)
    return KafkaHop(
        offered_rate=rate,
        achieved_rate=len(messages) / offered.seconds,
        messages=len(messages),
        p50=cuts[49],
        p95=cuts[94],
        p99=cuts[98],
    )


def _key(message: Message) -> str | None:
    key = message.key()
    return None if key is None else key.decode()


def probe_when_ready(make: Callable[[], Probe], patience: float = 60.0) -> Probe:
    """A probe of a topic just made, once its partitions have leaders."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return make()
        except LogReadError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
