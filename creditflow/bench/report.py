"""The benchmark's figures: one JSON document (``bench/results/<date>.json``) and a rich table."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from creditflow.bench.ceilings import Ceiling
from creditflow.bench.latency import KafkaHop, Latency
from creditflow.bench.platform import PlatformRun
from creditflow.bench.workload import Workload

RESULTS_DIR = Path("bench/results")


def _meminfo(field: str) -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(kafka_version: str, redis_version: str) -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_bytes": _meminfo("MemTotal"),
        "os": platform.platform(),
        "python": platform.python_version(),
        "kafka_version": kafka_version,
        "redis_version": redis_version,
    }


def _ratio(value: float, ceiling: Ceiling) -> float:
    return round(value / ceiling.rate, 4) if ceiling.rate > 0 else 0.0


def _times(value: float, floor: float) -> float:
    return round(value / floor, 1) if floor > 0 else 0.0


@dataclass
class Figures:
    """Everything one run measured."""

    parameters: dict[str, Any]
    machine: dict[str, Any]
    workload: Workload
    publish_seconds: float
    kafka: Ceiling
    redis: Ceiling
    kafka_hop: KafkaHop  # the floor under the latency
    runs: list[PlatformRun]
    rebuild_seconds: float
    rebuild_digest_equal: bool
    rebuild_stages: dict[str, float]  # seconds of each stage, in order
    latency: dict[int, Latency]  # by the number of workers
    subjects: int

    def latency_figures(self, measured: Latency) -> dict[str, Any]:
        floor = self.kafka_hop
        return {
            "offered_events_per_second": measured.offered_rate,
            "achieved_events_per_second": round(measured.achieved_rate, 1),
            "events": measured.events,
            "penalties": measured.penalties,
            "notices_received": measured.received,
            "p50_seconds": round(measured.p50, 4),
            "p95_seconds": round(measured.p95, 4),
            "p99_seconds": round(measured.p99, 4),
            "max_seconds": round(measured.max, 4),
            "notice_produced_p50_seconds": round(measured.produced_p50, 4),
            "notice_produced_p99_seconds": round(measured.produced_p99, 4),
            # How many times the bare Kafka hop (a notice's way has two, and the platform).
            "ratio_p50_to_kafka_hop": _times(measured.p50, floor.p50),
            "ratio_p99_to_kafka_hop": _times(measured.p99, floor.p99),
            "redis_rewrites_during": measured.redis_rewrites,
            "redis_compacted_before_seconds": round(measured.redis_compacted_seconds, 1),
        }

    def platform(self, run: PlatformRun) -> dict[str, Any]:
        return {
            "workers": run.workers,
            "events": run.events,
            "seconds": round(run.seconds, 3),
            "events_per_second": round(run.rate, 1),
            "ratio_to_kafka_ceiling": _ratio(run.rate, self.kafka),
            "ratio_to_redis_ceiling": _ratio(run.rate, self.redis),
            "events_stored": run.stored,
            "notices": run.notices,
            "digest": run.digest,
            "worker_rss_peak_bytes": run.rss_peak,
        }

    def report(self) -> dict[str, Any]:
        first = self.runs[0]
        events = len(self.workload.messages)
        rebuilt = events / self.rebuild_seconds
        return {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": self.machine,
            "parameters": self.parameters,
            "workload": {
                "events": events,
                "distinct_events": self.workload.distinct,
                "subjects": self.subjects,
                "mix": dict(self.workload.mix.most_common()),
                "generate_seconds": round(self.workload.seconds, 3),
                "publish_seconds": round(self.publish_seconds, 3),
                "publish_events_per_second": round(events / self.publish_seconds, 1),
            },
            "ceilings": {
                "kafka_consumer_messages_per_second": round(self.kafka.rate, 1),
                "redis_subject_updates_per_second": round(self.redis.rate, 1),
                "redis_commands_per_second": round(self.redis.commands / self.redis.seconds, 1),
                "kafka_hop": {
                    "offered_messages_per_second": self.kafka_hop.offered_rate,
                    "achieved_messages_per_second": round(self.kafka_hop.achieved_rate, 1),
                    "messages": self.kafka_hop.messages,
                    "p50_seconds": round(self.kafka_hop.p50, 5),
                    "p95_seconds": round(self.kafka_hop.p95, 5),
                    "p99_seconds": round(self.kafka_hop.p99, 5),
                },
            },
            "platform": {f"workers_{run.workers}": self.platform(run) for run in self.runs},
            # The whole log was published before the workers started (a backlog to catch up on):
            # every run must derive the same, whatever the number of workers.
            "runs_digest_equal": len({run.digest for run in self.runs}) == 1,
            "latency": {
                f"workers_{workers}": self.latency_figures(measured)
                for workers, measured in sorted(self.latency.items(), reverse=True)
            },
            "rebuild": {
                "seconds": round(self.rebuild_seconds, 3),
                "events_per_second": round(rebuilt, 1),
                "ratio_to_kafka_ceiling": _ratio(rebuilt, self.kafka),
                "ratio_to_redis_ceiling": _ratio(rebuilt, self.redis),
                "digest_equal": self.rebuild_digest_equal,
                "stages_seconds": {k: round(v, 1) for k, v in self.rebuild_stages.items()},
            },
            "memory": {
                "redis_bytes_per_subject": round(first.redis_bytes / max(1, self.subjects), 1),
                "worker_rss_peak_bytes": max(run.rss_peak for run in self.runs),
            },
        }


def write(figures: dict[str, Any], path: Path | None = None) -> Path:
    """Write the figures as JSON; by default to ``bench/results/<date>.json``."""
    path = path or RESULTS_DIR / f"{datetime.now(UTC).date().isoformat()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def _mb(value: float) -> str:
    return f"{value / 1e6:,.1f} MB"


def table(figures: dict[str, Any]) -> Table:
    w, c, lat, mem = figures["workload"], figures["ceilings"], figures["latency"], figures["memory"]
    rows = Table("figure", "value", "ratio to ceiling", title="creditflow bench")
    rows.add_row("events / subjects", f"{w['events']:,} / {w['subjects']:,}", "")
    rows.add_row("publish (one producer)", f"{w['publish_events_per_second']:,.0f} events/s", "")
    rows.add_row(
        "ceiling: bare Kafka consumer", f"{c['kafka_consumer_messages_per_second']:,.0f} msgs/s", ""
    )
    rows.add_row(
        "ceiling: Redis pipelined updates",
        f"{c['redis_subject_updates_per_second']:,.0f} updates/s "
        f"({c['redis_commands_per_second']:,.0f} cmds/s)",
        "",
    )
    hop = c["kafka_hop"]
    rows.add_row(
        "floor: bare Kafka hop (produce → consume)",
        f"p50 {hop['p50_seconds'] * 1000:,.1f} ms · p95 {hop['p95_seconds'] * 1000:,.1f} ms · "
        f"p99 {hop['p99_seconds'] * 1000:,.1f} ms ({hop['messages']:,} msgs at "
        f"{hop['offered_messages_per_second']:,.0f}/s)",
        "",
    )
    for name, run in figures["platform"].items():
        rows.add_row(
            f"platform, {name.replace('_', ' ')}",
            f"{run['events_per_second']:,.0f} events/s ({run['seconds']:.1f} s)",
            f"Kafka {run['ratio_to_kafka_ceiling']:.3f} · "
            f"Redis {run['ratio_to_redis_ceiling']:.3f}",
        )
    for name, measured in lat.items():
        rows.add_row(
            f"latency at {measured['offered_events_per_second']:,.0f} events/s, "
            f"{name.replace('_', ' ')}",
            f"p50 {measured['p50_seconds'] * 1000:,.0f} ms · "
            f"p95 {measured['p95_seconds'] * 1000:,.0f} ms · "
            f"p99 {measured['p99_seconds'] * 1000:,.0f} ms "
            f"(notice produced: p50 {measured['notice_produced_p50_seconds'] * 1000:,.0f} ms · "
            f"p99 {measured['notice_produced_p99_seconds'] * 1000:,.0f} ms)",
            f"Kafka hop ×{measured['ratio_p50_to_kafka_hop']:,.0f} (p50) · "
            f"×{measured['ratio_p99_to_kafka_hop']:,.0f} (p99); "
            f"Redis rewrites during it: {measured['redis_rewrites_during']}",
        )
    runs_same = figures.get("runs_digest_equal")
    if runs_same is not None:
        rows.add_row(
            "backlog caught up: digests of the runs",
            "equal" if runs_same else "[red]differ[/]",
            "",
        )
    rebuild = figures["rebuild"]
    same = "same digest" if rebuild["digest_equal"] else "[red]digest differs[/]"
    rows.add_row(
        "state rebuild",
        f"{rebuild['seconds']:.1f} s, {rebuild['events_per_second']:,.0f} events/s ({same})",
        f"Kafka {rebuild['ratio_to_kafka_ceiling']:.3f} · "
        f"Redis {rebuild['ratio_to_redis_ceiling']:.3f}",
    )
    rows.add_row("Redis memory per subject", f"{mem['redis_bytes_per_subject']:,.0f} bytes", "")
    rows.add_row("worker RSS, peak", _mb(mem["worker_rss_peak_bytes"]), "")
    return rows


def show(console: Console, figures: dict[str, Any], path: Path) -> None:
    console.print(table(figures))
    console.print(f"figures written to {path}")
