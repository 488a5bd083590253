"""The benchmark's workload: the demo city's mix of records, many more of them, pre-encoded.

Subjects are made as the demo makes them (valid USCCs and resident IDs of Taizhou, the demo's
shares of companies, individual businesses and residents); each subject's records come from the
demo's story teller, told again until the subject has its share of the events, so the mix of
permits, penalties, serious determinations, designations, repairs, objections and retries is the
demo's. Stories are told in parallel, one seeded generator per chunk of subjects, so that the same
seed gives the same events on any machine; the events are then put in the order the demo
publishes them (by day), which spreads each subject's records over the whole log.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from creditflow.bench.errors import BenchError
from creditflow.demo.city import FIRST_DAY, YEARS, new_subject
from creditflow.demo.records import RecordBuilder, Subject
from creditflow.demo.stories import StoryTeller
from creditflow.departments import load_departments
from creditflow.settings import Settings
from producers.publisher import producer_config
from schemas.codec import encode_model
from schemas.events import PenaltyImposed
from streams.policy import load_policy

logger = logging.getLogger(__name__)

LAST_DAY = FIRST_DAY.replace(year=FIRST_DAY.year + YEARS) - timedelta(days=1)
#: Chunks of subjects told in parallel; fixed, so the events do not depend on the core count.
CHUNKS = 16

#: (sort key, topic kind, key, value): the sort key puts the events in publishing order.
Encoded = tuple[tuple[int, int, str], str, bytes, bytes]


@dataclass
class Workload:
    messages: list[tuple[str, bytes, bytes]]  # (topic kind, key, value) in publishing order
    subjects: list[str]
    distinct: int  # distinct event ids: what the platform must store
    mix: Counter[str] = field(default_factory=Counter)  # event class → count, "resent" too
    seconds: float = 0.0  # generation time


def make_subjects(rng: random.Random, count: int) -> list[Subject]:
    subjects: dict[str, Subject] = {}
    while len(subjects) < count:
        subject = new_subject(rng)
        subjects.setdefault(subject.id, subject)
    return list(subjects.values())


@dataclass(frozen=True, slots=True)
class _Chunk:
    seed: str
    subjects: list[Subject]
    quota: int
    departments_file: Path | None
    policy_file: Path | None


def _tell(chunk: _Chunk) -> tuple[list[Encoded], Counter[str]]:
    """The chunk's events, encoded (runs in a worker process)."""
    departments = load_departments(chunk.departments_file)
    policy = load_policy(chunk.policy_file, departments)
    rng = random.Random(chunk.seed)
    teller = StoryTeller(
        rng, RecordBuilder(departments, rng), policy, first=FIRST_DAY, last=LAST_DAY
    )
    out: list[Encoded] = []
    mix: Counter[str] = Counter()
    turn = 0
    while len(out) < chunk.quota and chunk.subjects:
        story = teller.tell(chunk.subjects[turn % len(chunk.subjects)])
        turn += 1
        for resent, scheduled in [
            *((False, s) for s in story.events),
            *((True, s) for s in story.duplicates),
        ]:
            if len(out) == chunk.quota:
                break
            event = scheduled.event
            mix["resent" if resent else type(event).__name__] += 1
            if not resent and isinstance(event, PenaltyImposed) and event.serious_dishonesty:
                mix["of which serious"] += 1
            at = int(event.occurred_at.timestamp() * 1000)
            order = (scheduled.day.toordinal(), at, str(event.event_id))
            out.append((order, event.topic_kind, event.subject_id.encode(), encode_model(event)))
    return out, mix


def generate(
    seed: int,
    events: int,
    subjects: int,
    settings: Settings,
    processes: int | None = None,
) -> Workload:
    """``events`` events about ``subjects`` subjects, the same for the same seed."""
    began = time.perf_counter()
    people = make_subjects(random.Random(f"bench-subjects-{seed}"), subjects)
    chunks = []
    for index in range(CHUNKS):
        share = people[index::CHUNKS]
        quota = events // CHUNKS + (index < events % CHUNKS)
        chunks.append(
            _Chunk(
                f"bench-{seed}-{index}",
                share,
                quota,
                settings.departments_file,
                settings.policy_file,
            )
        )
    workers = max(1, min(processes or os.cpu_count() or 1, CHUNKS))
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_tell, chunks))
    encoded = [item for told, _ in results for item in told]
    encoded.sort(key=lambda item: item[0])
    mix: Counter[str] = Counter()
    for _, counts in results:
        mix.update(counts)
    messages = [(kind, key, value) for _, kind, key, value in encoded]
    distinct = len({order[2] for order, _, _, _ in encoded})
    if len(messages) < events:
        raise BenchError(f"only {len(messages)} events for {subjects} subjects: ask for fewer")
    return Workload(messages, [s.id for s in people], distinct, mix, time.perf_counter() - began)


def bulk_producer(settings: Settings, client_id: str, **overrides: Any) -> Producer:
    """The contract's producer settings (idempotent, acks=all, murmur2) with large batches."""
    return Producer(
        {
            **producer_config(settings, client_id),
            "linger.ms": 50,
            "batch.size": 1_000_000,
            "batch.num.messages": 100_000,
            "queue.buffering.max.messages": 2_000_000,
            "queue.buffering.max.kbytes": 2_000_000,
            **overrides,
        }
    )


def publish(
    settings: Settings,
    messages: list[tuple[str, bytes, bytes]],
    on_progress: Callable[[int], None] | None = None,
) -> float:
    """Produce every message with one producer; the seconds until Kafka acknowledged them all."""
    failed: list[str] = []

    def report(error: KafkaError | None, _message: Message) -> None:
        if error is not None:
            failed.append(error.str())

    producer = bulk_producer(settings, "creditflow-bench", on_delivery=report)
    topics = {kind: settings.topics.event(kind) for kind in {m[0] for m in messages}}
    began = time.perf_counter()
    for index, (kind, key, value) in enumerate(messages):
        while True:
            try:
                producer.produce(topics[kind], value=value, key=key)
                break
            except BufferError:
                producer.poll(0.1)
        if index % 20_000 == 0:
            producer.poll(0)
            if on_progress is not None:
                on_progress(index)
    remaining = producer.flush(300)
    seconds = time.perf_counter() - began
    if remaining or failed:
        raise BenchError(
            f"{remaining} events not acknowledged, {len(failed)} failed "
            f"({failed[0] if failed else 'timeout'}): is Kafka up?"
        )
    return seconds
