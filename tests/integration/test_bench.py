"""``creditflow bench`` on a small workload: every figure is measured and every ratio is sane."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from creditflow.admin import GROUP_PATIENCE, admin_client, delete_groups, delete_topics
from creditflow.departments import load_departments
from creditflow.settings import Settings
from tests.conftest import RunCli

pytestmark = pytest.mark.integration

FIGURES = {
    "machine": ["cores", "ram_bytes", "python", "kafka_version"],
    "workload": ["events", "subjects", "generate_seconds", "publish_events_per_second"],
    "ceilings": ["kafka_consumer_messages_per_second", "redis_subject_updates_per_second"],
    "rebuild": ["seconds", "digest_equal", "ratio_to_kafka_ceiling", "ratio_to_redis_ceiling"],
    "memory": ["redis_bytes_per_subject", "worker_rss_peak_bytes"],
}
PLATFORM = ["events_per_second", "seconds", "ratio_to_kafka_ceiling", "ratio_to_redis_ceiling"]
LATENCY = ["p50_seconds", "p95_seconds", "p99_seconds", "notice_produced_p50_seconds"]


@pytest.fixture
def namespace() -> Iterator[str]:
    name = f"b{uuid.uuid4().hex[:8]}"
    yield name
    settings = Settings(topic_prefix=f"{name}.")
    admin = admin_client(settings)
    delete_topics(admin, settings.topics.all(load_departments().ids()))
    groups = [f"creditflow-{name}", f"creditflow-{name}-w1", f"creditflow-{name}-w2"]
    delete_groups(admin, groups, GROUP_PATIENCE)


def ratios(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("ratio"):
                yield key, value
            yield from ratios(value)


def test_a_small_bench_measures_every_figure(namespace: str, tmp_path: Path, cli: RunCli) -> None:
    output = tmp_path / "figures.json"
    redis_client = redis.Redis.from_url(Settings().redis_dsn)
    rewrites_before = int(redis_client.info("persistence")["aof_rewrites"])
    result = cli(
        "bench", "--events", "2000", "--subjects", "500", "--latency-seconds", "5",
        "--namespace", namespace, "--output", str(output),
        timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(output.read_text())
    for section, names in FIGURES.items():
        for name in names:
            assert figures[section][name] not in (None, 0, ""), (section, name)
    assert figures["rebuild"]["digest_equal"] is True
    stages = figures["rebuild"]["stages_seconds"]
    assert {"reading the input topics", "deriving every subject"} <= stages.keys(), stages
    assert 0 < sum(stages.values()) <= figures["rebuild"]["seconds"] + 0.5, stages
    # One worker and two, each catching up on the whole log: the same derived state and notices.
    assert figures["runs_digest_equal"] is True, figures["platform"]
    assert set(figures["platform"]) == {"workers_1", "workers_2"}
    for run in figures["platform"].values():
        assert all(run[name] > 0 for name in PLATFORM), run
        assert run["events_stored"] == figures["workload"]["distinct_events"]
    found = list(ratios(figures))
    # Two runs and the rebuild, each against both ceilings; two latencies against the hop.
    assert len(found) == 10, found
    assert all(isinstance(v, float) and v > 0 for _, v in found), found
    # Kafka alone at the latency's offered load, for the latency's 5 s: its floor.
    hop = figures["ceilings"]["kafka_hop"]
    assert hop["messages"] == 5000, hop
    assert 0 < hop["p50_seconds"] <= hop["p95_seconds"] <= hop["p99_seconds"], hop
    # Latency with two workers, then with one (the other stopped), each on subjects of its own.
    assert list(figures["latency"]) == ["workers_2", "workers_1"]
    for measured in figures["latency"].values():
        assert all(measured[name] > 0 for name in LATENCY), measured
        assert measured["notices_received"] == measured["penalties"]
        # Part of the way: the worker's relay produced the notice before it reached finance.
        assert measured["notice_produced_p50_seconds"] <= measured["p50_seconds"], measured
        # A notice's way has two Kafka hops and the platform between them: above one hop alone.
        assert measured["p50_seconds"] > hop["p50_seconds"], (measured, hop)
        assert measured["ratio_p50_to_kafka_hop"] == pytest.approx(
            measured["p50_seconds"] / hop["p50_seconds"], rel=0.05
        )
        # Redis's append-only file was rewritten before the latency was measured, not during it.
        assert measured["redis_rewrites_during"] == 0
    assert int(redis_client.info("persistence")["aof_rewrites"]) >= rewrites_before + 2
    redis_client.close()
    assert "creditflow bench" in result.stdout
    assert "bare Kafka hop" in result.stdout
