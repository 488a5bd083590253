"""``creditflow demo``: the whole platform on a simulated city (see ``creditflow.demo``)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from creditflow.settings import Settings

# Off a terminal (CI logs, a pipe) rich would wrap at 80 columns: the tables need more.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 132)


def demo(
    events: Annotated[
        int, typer.Option(min=500, help="Records the city's departments publish.")
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="The city's seed: the same seed, the same run.")] = 7,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep the workers up after the summary (Ctrl-C).")
    ] = False,
    namespace: Annotated[
        str,
        typer.Option(help="Topic prefix '<ns>.', Redis prefix '<ns>:', group 'creditflow-<ns>'."),
    ] = "demo",
    workers: Annotated[int, typer.Option(min=1, max=8, help="Worker processes.")] = 2,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the summary as JSON to this file.")
    ] = None,
    seconds_per_day: Annotated[
        float | None,
        typer.Option(min=0.0, help="Real seconds per simulated day (default: from --events)."),
    ] = None,
) -> None:
    """Run the whole platform on a simulated city, then check its end state."""
    from creditflow.demo.printout import print_checks, print_city, print_summary
    from creditflow.demo.run import Demo, DemoOptions
    from creditflow.demo.view import LiveView

    began = time.monotonic()
    options = DemoOptions(events, seed, namespace, workers, seconds_per_day)
    console.print(f"simulating the city (seed {seed}, {events:,} events) …")
    with Demo(options, Settings()) as run:
        city = run.city
        print_city(console, city)
        console.print("starting the platform …")
        run.start()
        with LiveView(console, live=console.is_terminal) as view:
            run.play(view)
        summary = run.summary()
        print_summary(
            console,
            city,
            summary,
            urls=[w.url for w in run.workers],
            logs=[str(w.log) for w in run.workers],
            seconds=time.monotonic() - began,
            final=run.final_day,
            following=follow,
        )
        print_checks(console, summary)
        if json_path is not None:
            json_path.write_text(json.dumps(summary.report(), ensure_ascii=False, indent=2))
        if follow:
            with LiveView(console, live=console.is_terminal) as view:
                run.follow(view)
    if summary.problems:
        raise typer.Exit(1)
