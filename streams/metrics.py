"""The workers' Prometheus metrics (DESIGN.md, Metrics): names, units, buckets, and how a batch
report or a gauge reading becomes samples. No I/O: the worker feeds it, ``/metrics`` renders it.

Every instance has its own registry, not prometheus_client's global one, so that tests (and a
process that builds several apps) can hold several side by side.

The gauges read from Redis (list sizes, pending/overdue notices, outbox depth) describe the whole
platform, so every worker exports the same values: aggregate them with ``max``, not ``sum``.
Consumer lag covers only the partitions the exporting worker owns, so ``sum`` is right there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from streams.processor import BatchReport

#: The Content-Type of what ``render`` returns: the classic text format (0.0.4) every Prometheus
#: 2.x reads. Spelled out: newer prometheus-client releases call 1.0.0 "latest".
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0

# Seconds. One batch holds up to `batch_size` events and a few Redis round trips: milliseconds
# when healthy; the upper buckets catch batches stalled by retries while Redis or Kafka is away.
PROCESSING_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                      10.0, 30.0, 60.0)  # fmt: skip

# Seconds. A live department system publishes within seconds of its decision; imported files
# (the national 双公示 templates) carry decision times weeks to years old.
AGE_BUCKETS = (1.0, 5.0, 15.0, MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 6 * HOUR, DAY, 3 * DAY,
               7 * DAY, 30 * DAY, 90 * DAY, 365 * DAY, 3 * 365 * DAY)  # fmt: skip

# Seconds. Departments answer a notice within hours to days; the deadline is 7 days, so the
# buckets are finest around it and go on to a month for the late ones.
FEEDBACK_BUCKETS = (MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 4 * HOUR, 12 * HOUR, DAY, 2 * DAY,
                    3 * DAY, 5 * DAY, 7 * DAY, 10 * DAY, 14 * DAY, 30 * DAY)  # fmt: skip

OUTCOMES = ("applied", "duplicate", "rejected")


@dataclass(frozen=True)
class StoreReading:
    """Sizes read from Redis in one go: the inputs of the platform-wide gauges."""

    lists: Mapping[str, int]  # list kind → members
    pending: Mapping[str, int]  # department → notices awaiting feedback
    overdue: Mapping[str, int]  # department → notices past their feedback deadline
    outbox: int  # entries not yet published


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    lag: int
    end: int = 0  # the offset after the partition's last message, as read with the lag


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.events = Counter(
            "creditflow_events",
            "Input events by topic and outcome (applied, duplicate, rejected)",
            ["topic", "outcome"],
            registry=r,
        )
        self.processing = Histogram(
            "creditflow_event_processing_seconds",
            "Seconds to process one batch of input events (decode, apply to Redis, dead letters), "
            "retries included; one observation per batch, not per event",
            buckets=PROCESSING_BUCKETS,
            registry=r,
        )
        self.age = Histogram(
            "creditflow_event_age_seconds",
            "Seconds from an event's occurred_at (the decision time) to its being applied",
            buckets=AGE_BUCKETS,
            registry=r,
        )
        self.list_members = Gauge(
            "creditflow_list_members",
            "Subjects on each list (platform-wide, read from Redis: aggregate with max)",
            ["list"],
            registry=r,
        )
        self.notices = Counter(
            "creditflow_notices",
            "Notices written to the outbox for a department, by action",
            ["department", "action"],
            registry=r,
        )
        self.pending = Gauge(
            "creditflow_notices_pending",
            "Notices awaiting a department's feedback, within the deadline (platform-wide: max)",
            ["department"],
            registry=r,
        )
        self.overdue = Gauge(
            "creditflow_notices_overdue",
            "Notices whose feedback deadline passed without an answer (platform-wide: max)",
            ["department"],
            registry=r,
        )
        self.feedback = Histogram(
            "creditflow_feedback_seconds",
            "Seconds from a notice to the department's feedback on it",
            buckets=FEEDBACK_BUCKETS,
            registry=r,
        )
        self.dead_letters = Counter(
            "creditflow_deadletter",
            "Input events sent to the dead-letter topic, by reason code",
            ["reason"],
            registry=r,
        )
        self.consumer_lag = Gauge(
            "creditflow_consumer_lag",
            "Messages between the group's committed offset and the log end, for each input "
            "partition this worker owns (sum over workers)",
            ["topic", "partition"],
            registry=r,
        )
        self.outbox_depth = Gauge(
            "creditflow_outbox_depth",
            "Notices in the Redis outbox not yet published (platform-wide: max)",
            registry=r,
        )
        self.outbox_published = Counter(
            "creditflow_outbox_published",
            "Notices this worker's outbox relay published to Kafka",
            registry=r,
        )
        self.rederived = Counter(
            "creditflow_rederived_subjects",
            "Subjects re-derived and written because a period of theirs ended by itself",
            registry=r,
        )
        self.order_forced = Counter(
            "creditflow_order_forced",
            "Input messages a worker processed while a partition that may hold earlier ones had "
            "not delivered them (cause: idle, capacity): perhaps out of publishing order",
            ["cause"],
            registry=r,
        )
        for cause in ("idle", "capacity"):
            self.order_forced.labels(cause)
        self._published_seen = 0

    def expect(
        self, topics: Iterable[str], departments: Iterable[str], actions: Iterable[str]
    ) -> None:
        """Start the known counter series at 0: a series born at 3 would lose those 3 to rate()."""
        for topic in topics:
            for outcome in OUTCOMES:
                self.events.labels(topic, outcome)
        actions = list(actions)
        for department in departments:
            for action in actions:
                self.notices.labels(department, action)

    def observe_batch(self, report: BatchReport, seconds: float) -> None:
        """An input batch: its outcomes, its duration, the notices and dead letters it caused."""
        self.processing.observe(seconds)
        self.observe_report(report)

    def observe_rederived(self, report: BatchReport) -> None:
        """A due-time re-derivation: no input events, but notices (lifts, expiries)."""
        self.rederived.inc(report.subjects)
        self.observe_report(report)

    def observe_report(self, report: BatchReport) -> None:
        for (topic, outcome), count in report.events.items():
            self.events.labels(topic, outcome).inc(count)
        for reason, count in report.dead_letters.items():
            self.dead_letters.labels(reason).inc(count)
        for (department, action), count in report.notices.items():
            self.notices.labels(department, action).inc(count)
        for age in report.event_ages:
            # A department clock a little ahead of ours must not land below the first bucket.
            self.age.observe(max(0.0, age))
        for seconds in report.feedback_seconds:
            self.feedback.observe(seconds)

    def set_store(self, reading: StoreReading) -> None:
        for kind, members in reading.lists.items():
            self.list_members.labels(kind).set(members)
        for department, count in reading.pending.items():
            self.pending.labels(department).set(count)
        for department, count in reading.overdue.items():
            self.overdue.labels(department).set(count)
        self.outbox_depth.set(reading.outbox)

    def set_lag(self, lags: Iterable[PartitionLag]) -> None:
        """Replace the lag series: partitions revoked from this worker must disappear."""
        self.consumer_lag.clear()
        for entry in lags:
            self.consumer_lag.labels(entry.topic, str(entry.partition)).set(entry.lag)

    def set_published(self, total: int) -> None:
        """The relay's running total (counted in its own thread) as a counter."""
        if total > self._published_seen:
            self.outbox_published.inc(total - self._published_seen)
            self._published_seen = total

    def render(self) -> bytes:
        """The text exposition format, as served at ``/metrics``."""
        return generate_latest(self.registry)


def sample_names(registry: CollectorRegistry) -> set[str]:
    """Every sample name the registry can expose, labelled series not yet used included."""
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "gauge": ("",),
    }
    return {
        family.name + suffix
        for family in registry.collect()
        for suffix in suffixes.get(family.type, ("",))
    }
