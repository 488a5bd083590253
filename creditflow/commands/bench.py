"""``creditflow bench``: the platform's figures on this machine, measured in one seeded run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from creditflow.commands.longrun import console, stopwatch
from creditflow.settings import Settings


def bench(
    events: Annotated[int, typer.Option(min=100, help="Events in the workload.")] = 1_000_000,
    subjects: Annotated[int, typer.Option(min=10, help="Subjects they are about.")] = 200_000,
    seed: Annotated[int, typer.Option(help="The workload's seed: same seed, same events.")] = 7,
    latency_rate: Annotated[
        float, typer.Option(min=1.0, help="Offered load of the latency test (events/s).")
    ] = 1000.0,
    latency_seconds: Annotated[
        float, typer.Option(min=1.0, help="How long the latency test offers it.")
    ] = 60.0,
    output: Annotated[
        Path | None,
        typer.Option(help="Where to write the figures (default bench/results/<date>.json)."),
    ] = None,
    namespace: Annotated[
        str, typer.Option(help="Topics '<ns>.', Redis keys '<ns>:', groups 'creditflow-<ns>*'.")
    ] = "bench",
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the bench's Redis keys afterwards.")
    ] = False,
) -> None:
    """Measure throughput (1 and 2 workers) against the Kafka and Redis ceilings, latency,
    rebuild time and memory, on a seeded workload in the bench.* topics and bench: keys."""
    from creditflow.bench.report import show, write
    from creditflow.bench.run import Bench, BenchOptions

    say = stopwatch()
    options = BenchOptions(
        events, subjects, seed, latency_rate, latency_seconds, keep=keep, namespace=namespace
    )
    figures = Bench(options, Settings(), say).run()
    path = write(figures, output)
    show(console, figures, path)
