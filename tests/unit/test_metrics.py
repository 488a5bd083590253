"""streams/metrics.py: what a batch report and a gauge reading expose, read back with
prometheus_client's own parser."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from streams.gauges import partition_lag
from streams.metrics import CONTENT_TYPE, Metrics, PartitionLag, StoreReading, sample_names
from streams.processor import BatchReport
from streams.scrape_target import target_address, target_document, target_file

# DESIGN.md, Metrics (contract): sample names as Prometheus stores them.
CONTRACT = {
    "creditflow_events_total",
    "creditflow_event_processing_seconds_bucket",
    "creditflow_event_age_seconds_bucket",
    "creditflow_list_members",
    "creditflow_notices_total",
    "creditflow_notices_pending",
    "creditflow_notices_overdue",
    "creditflow_feedback_seconds_bucket",
    "creditflow_deadletter_total",
    "creditflow_consumer_lag",
    "creditflow_outbox_depth",
}
PENALTY = "credit.penalty.v1"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(metrics: Metrics) -> Samples:
    text = metrics.render().decode("utf-8")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def names_of(found: Samples, name: str) -> list[dict[str, str]]:
    return [dict(labels) for (n, labels) in found if n == name]


def a_report() -> BatchReport:
    return BatchReport(
        events=Counter(
            {(PENALTY, "applied"): 3, (PENALTY, "duplicate"): 1, (PENALTY, "rejected"): 2}
        ),
        dead_letters=Counter({"decode.bad_magic": 2}),
        notices=Counter({("tax", "INITIATE"): 2, ("court", "INITIATE"): 1}),
        event_ages=[30.0, 86400.0 * 40, -2.0],
        feedback_seconds=[7200.0],
        subjects=2,
    )


def test_every_contract_metric_is_registered() -> None:
    missing = CONTRACT - sample_names(Metrics().registry)
    assert not missing, f"not registered: {sorted(missing)}"


def test_names_follow_the_conventions() -> None:
    for name in sample_names(Metrics().registry):
        assert name.startswith("creditflow_")
        assert not name.endswith(("_milliseconds", "_ms", "_minutes", "_days"))


def test_a_batch_report_counts_events_dead_letters_and_notices() -> None:
    metrics = Metrics()
    metrics.observe_batch(a_report(), 0.012)
    metrics.observe_batch(a_report(), 0.3)
    found = samples(metrics)

    assert value(found, "creditflow_events_total", topic=PENALTY, outcome="applied") == 6
    assert value(found, "creditflow_events_total", topic=PENALTY, outcome="duplicate") == 2
    assert value(found, "creditflow_events_total", topic=PENALTY, outcome="rejected") == 4
    assert value(found, "creditflow_deadletter_total", reason="decode.bad_magic") == 4
    assert value(found, "creditflow_notices_total", department="tax", action="INITIATE") == 4
    assert value(found, "creditflow_notices_total", department="court", action="INITIATE") == 2


def test_processing_is_one_observation_per_batch() -> None:
    metrics = Metrics()
    metrics.observe_batch(a_report(), 0.012)
    metrics.observe_batch(a_report(), 0.3)
    found = samples(metrics)

    assert value(found, "creditflow_event_processing_seconds_count") == 2
    assert value(found, "creditflow_event_processing_seconds_sum") == pytest.approx(0.312)
    assert value(found, "creditflow_event_processing_seconds_bucket", le="0.025") == 1
    assert value(found, "creditflow_event_processing_seconds_bucket", le="+Inf") == 2


def test_event_ages_reach_months_and_never_go_negative() -> None:
    metrics = Metrics()
    metrics.observe_batch(a_report(), 0.01)
    found = samples(metrics)

    assert value(found, "creditflow_event_age_seconds_count") == 3
    # The clock-skewed -2 s counts as 0, not below the first bucket.
    assert value(found, "creditflow_event_age_seconds_bucket", le="1.0") == 1
    assert value(found, "creditflow_event_age_seconds_bucket", le="2.592e+06") == 2
    assert value(found, "creditflow_event_age_seconds_bucket", le="7.776e+06") == 3


def test_feedback_seconds_and_rederived_subjects() -> None:
    metrics = Metrics()
    metrics.observe_rederived(a_report())
    found = samples(metrics)

    assert value(found, "creditflow_feedback_seconds_count") == 1
    assert value(found, "creditflow_feedback_seconds_bucket", le="14400.0") == 1
    assert value(found, "creditflow_feedback_seconds_bucket", le="3600.0") == 0
    assert value(found, "creditflow_rederived_subjects_total") == 2
    # A re-derivation is not an input batch.
    assert value(found, "creditflow_event_processing_seconds_count") == 0


def test_store_reading_sets_the_platform_gauges() -> None:
    metrics = Metrics()
    metrics.set_store(
        StoreReading(
            lists={"BLACK": 4, "RED": 9, "THREE_YEAR_CLEAN": 0},
            pending={"tax": 3, "court": 0},
            overdue={"tax": 1, "court": 2},
            outbox=17,
        )
    )
    found = samples(metrics)

    assert value(found, "creditflow_list_members", list="BLACK") == 4
    assert value(found, "creditflow_list_members", list="RED") == 9
    assert value(found, "creditflow_list_members", list="THREE_YEAR_CLEAN") == 0
    assert value(found, "creditflow_notices_pending", department="tax") == 3
    assert value(found, "creditflow_notices_overdue", department="court") == 2
    assert value(found, "creditflow_outbox_depth") == 17


def test_lag_of_revoked_partitions_disappears() -> None:
    metrics = Metrics()
    metrics.set_lag([PartitionLag(PENALTY, 0, 5), PartitionLag(PENALTY, 1, 0)])
    metrics.set_lag([PartitionLag(PENALTY, 1, 7)])
    found = samples(metrics)

    assert names_of(found, "creditflow_consumer_lag") == [{"topic": PENALTY, "partition": "1"}]
    assert value(found, "creditflow_consumer_lag", topic=PENALTY, partition="1") == 7


def test_relay_total_becomes_a_counter() -> None:
    metrics = Metrics()
    for total in (0, 3, 3, 10):
        metrics.set_published(total)

    assert value(samples(metrics), "creditflow_outbox_published_total") == 10


def test_each_instance_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.observe_batch(a_report(), 0.01)

    assert value(samples(second), "creditflow_event_processing_seconds_count") == 0
    assert first.registry is not second.registry


def test_content_type_is_the_text_format() -> None:
    assert CONTENT_TYPE.startswith("text/plain; version=0.0.4")


@pytest.mark.parametrize(
    ("committed", "start", "end", "lag"),
    [(40, 0, 50, 10), (50, 0, 50, 0), (-1001, 20, 50, 30), (60, 0, 50, 0)],
)
def test_partition_lag(committed: int, start: int, end: int, lag: int) -> None:
    assert partition_lag(committed, start, end) == lag


def test_scrape_target_of_a_worker() -> None:
    assert target_address("0.0.0.0", 6066) == "127.0.0.1:6066"
    assert target_address("10.0.0.5", 6067) == "10.0.0.5:6067"
    assert target_address("::1", 6068) == "[::1]:6068"
    assert target_document("127.0.0.1:6066", "w1") == [
        {"targets": ["127.0.0.1:6066"], "labels": {"worker": "w1"}}
    ]
    assert target_file(Path("/t"), "host:6066").name == "host-6066.json"


def test_expected_series_start_at_zero() -> None:
    metrics = Metrics()
    metrics.expect([PENALTY], ["tax"], ["INITIATE", "LIFT"])
    found = samples(metrics)

    assert value(found, "creditflow_events_total", topic=PENALTY, outcome="duplicate") == 0
    assert value(found, "creditflow_notices_total", department="tax", action="LIFT") == 0
    assert len(names_of(found, "creditflow_events_total")) == 3
