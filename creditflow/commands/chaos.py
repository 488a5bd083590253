"""``creditflow chaos``: the platform under faults, compared with a clean run of the same work."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from creditflow.commands.longrun import console, stopwatch
from creditflow.settings import Settings


def chaos(
    events: Annotated[int, typer.Option(min=100, help="Events in the workload.")] = 200_000,
    subjects: Annotated[
        int | None, typer.Option(min=10, help="Subjects they are about (default events/5).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the workload and the fault schedule.")] = 7,
    kills: Annotated[int, typer.Option(min=0, help="Workers SIGKILLed (and replaced).")] = 6,
    broker_restarts: Annotated[
        int, typer.Option(min=0, help="SIGKILLs and restarts of the Kafka broker.")
    ] = 2,
    redis_kills: Annotated[
        int, typer.Option(min=0, help="SIGKILLs and restarts of Redis (append-only file).")
    ] = 2,
    workers: Annotated[
        tuple[int, int, int],
        typer.Option(min=1, help="Workers at the start, at the peak and at the end."),
    ] = (1, 3, 2),
    rate: Annotated[
        float, typer.Option(min=0.0, help="Events/s published during the run (0: at once).")
    ] = 2000.0,
    output: Annotated[
        Path | None,
        typer.Option(help="Where to write the report (default bench/results/chaos-<date>.json)."),
    ] = None,
    namespace: Annotated[
        str, typer.Option(help="Topics and keys '<ns>-clean-<seed>' and '<ns>-run-<seed>'.")
    ] = "chaos",
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep both runs' Redis keys (kept anyway on failure).")
    ] = False,
) -> None:
    """Process a seeded workload cleanly, then again while workers are SIGKILLed, the broker and
    Redis restarted and the group resized; compare digests and delivered notices (exit 1 if they
    disagree)."""
    from creditflow.chaos.report import report, show, write
    from creditflow.chaos.run import Chaos, ChaosOptions
    from creditflow.chaos.schedule import Plan

    say = stopwatch()
    start, peak, end = workers
    plan = Plan(kills, broker_restarts, redis_kills, start, peak, end)
    options = ChaosOptions(events, subjects, seed, plan, rate, namespace=namespace, keep=keep)
    outcome = Chaos(options, Settings(), say).run()
    document = report(outcome)
    path = write(document, output)
    show(console, document, path)
    if not outcome.passed:
        console.print(f"[bold red]chaos run failed:[/] {'; '.join(outcome.problems)}")
        raise typer.Exit(1)
