"""The chaos run's report: one JSON document (``bench/results/chaos-<date>.json``) and a table."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from creditflow.bench.report import RESULTS_DIR
from creditflow.chaos.run import Outcome


def report(outcome: Outcome) -> dict[str, Any]:
    o, load, publish = outcome.options, outcome.load, outcome.publish
    plan = o.plan
    kinds = Counter(f.kind for f in outcome.faults)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "passed": outcome.passed,
        "problems": outcome.problems,
        "parameters": {
            "events": o.events,
            "subjects": o.subject_count,
            "seed": o.seed,
            "kills": plan.kills,
            "broker_restarts": plan.broker_restarts,
            "redis_kills": plan.redis_kills,
            "workers": [plan.start_workers, plan.peak_workers, plan.end_workers],
            "publish_rate": o.rate,
            "clock": outcome.clock.isoformat(),
            "namespace": o.namespace,
        },
        "workload": {
            "events": len(load.messages),
            "distinct_events": load.distinct,
            "subjects": len(load.subjects),
        },
        "faults": {
            "injected": sum(kinds[k] for k in kinds if k not in ("grow", "shrink")),
            "by_kind": dict(sorted(kinds.items())),
            "timeline": [f.report() for f in outcome.faults],
        },
        "publish": {
            "events": publish.events,
            "acknowledged": publish.acknowledged,
            "delivery_failures": publish.failed,
            "resent": publish.resent,
            "producers": publish.producers,
            "seconds": round(publish.seconds, 3),
            "error": publish.error,
        },
        "workers": outcome.workers,
        "digest": outcome.digests.report(),
        "state": outcome.state.report(),
        "notices": outcome.notices.report(),
        "phases_seconds": outcome.phases,
        "worker_log_tails": outcome.tails,
    }


def write(document: dict[str, Any], path: Path | None = None) -> Path:
    path = path or RESULTS_DIR / f"chaos-{datetime.now(UTC).date().isoformat()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def _mark(good: bool, text: str) -> str:
    return f"[green]{text}[/]" if good else f"[red]{text}[/]"


def table(document: dict[str, Any]) -> Table:
    w, f, p = document["workload"], document["faults"], document["publish"]
    d, n, s = document["digest"], document["notices"], document["state"]
    rows = Table("figure", "value", title="creditflow chaos")
    rows.add_row("events / subjects", f"{w['events']:,} / {w['subjects']:,}")
    rows.add_row(
        "faults injected",
        f"{f['injected']} ("
        + ", ".join(f"{kind} {count}" for kind, count in f["by_kind"].items())
        + ")",
    )
    for fault in f["timeline"]:
        rows.add_row(
            f"  +{fault['at_seconds']:.1f} s at {fault['progress']:.0%}",
            f"{fault['kind']}: {fault['detail']} ({fault['seconds']:.1f} s)",
        )
    rows.add_row(
        "published under faults",
        f"{p['acknowledged']:,} of {p['events']:,} acknowledged, {p['resent']:,} re-sent",
    )
    exits = document["workers"]["exited_by_themselves"]
    rows.add_row(
        "workers",
        f"{document['workers']['started']} started, {len(document['workers']['at_end'])} at "
        f"the end, " + _mark(not exits, f"{len(exits)} exited by themselves"),
    )
    rows.add_row("digest, clean", d["clean"]["digest"][:16])
    rows.add_row("digest, chaos", d["chaos"]["digest"][:16])
    match = "equal" if d["match"] else f"differ: {', '.join(d['differing_parts'])}"
    rows.add_row("digest", _mark(d["match"], match))
    if not d["match"]:
        rows.add_row(
            "  subjects that differ",
            f"state {s['subjects_with_different_state']:,}, events "
            f"{s['subjects_with_different_events']:,}, notices "
            f"{s['subjects_with_different_notices']:,} of {s['subjects_compared']:,}",
        )
    rows.add_row(
        "notices delivered (clean / chaos)",
        f"{n['delivered_clean']:,} / {n['delivered_chaos']:,}",
    )
    rows.add_row("notices lost (expected 0)", _mark(n["lost"] == 0, f"{n['lost']:,}"))
    rows.add_row(
        "duplicated with different ids (expected 0)",
        _mark(n["duplicated_with_different_ids"] == 0, f"{n['duplicated_with_different_ids']:,}"),
    )
    rows.add_row("duplicates with the same id (allowed)", f"{n['duplicates_with_same_id']:,}")
    for phase, seconds in document["phases_seconds"].items():
        rows.add_row(f"time: {phase.replace('_', ' ')}", f"{seconds:.1f} s")
    return rows


def show(console: Console, document: dict[str, Any], path: Path) -> None:
    console.print(table(document))
    for problem in document["problems"]:
        console.print(f"[red]problem:[/] {problem}")
    if document["problems"]:
        for name, tail in document["worker_log_tails"].items():
            console.print(f"[bold]{name}[/] (log tail):")
            console.print(tail, markup=False, highlight=False)
    console.print(f"report written to {path}")
