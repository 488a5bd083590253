"""``creditflow state digest | rebuild``: compare and rebuild the platform's Redis state."""

from __future__ import annotations

import json
import sys
from types import TracebackType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress
from rich.table import Table

from creditflow.settings import Settings

app = typer.Typer(help="The platform's state in Redis: digest it, rebuild it from Kafka.")
# Off a terminal (CI logs, a pipe) rich would wrap at 80 columns: the bars need more.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)


@app.command()
def digest(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the digest and its parts as JSON.")
    ] = False,
) -> None:
    """A hash of every subject's derived state, the lists and the notices ever produced."""
    import redis

    from streams.digest import read_digest
    from streams.store.keys import Keys

    settings = Settings()
    client = redis.Redis.from_url(settings.redis_dsn)
    try:
        result = read_digest(client, Keys(settings.redis_prefix))
    finally:
        client.close()
    if as_json:
        print(json.dumps(result.report(), indent=2))
        return
    lists = ", ".join(f"{name} {count}" for name, count in result.lists.items()) or "none"
    console.print(f"subjects {result.subjects}, lists: {lists}, notices {result.notices}")
    console.print(f"digest {result.digest}")


class BarProgress:
    """The rebuild's stages as rich progress bars, one per stage."""

    def __init__(self, console: Console) -> None:
        self._bars = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> BarProgress:
        self._bars.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._finish()
        self._bars.__exit__(kind, exc, tb)

    def _finish(self) -> None:
        if self._task is not None:
            task = self._bars.tasks[self._task]
            self._bars.update(self._task, total=task.completed)

    def stage(self, name: str, total: int | None) -> None:
        self._finish()
        self._task = self._bars.add_task(name, total=total)

    def advance(self, count: int) -> None:
        if self._task is not None:
            self._bars.advance(self._task, count)


@app.command()
def rebuild(
    force: Annotated[
        bool, typer.Option("--force", help="Run even while workers of the group are active.")
    ] = False,
) -> None:
    """Delete this prefix's Redis state and rebuild it from the Kafka log."""
    from streams.rebuild import rebuild as run_rebuild

    settings = Settings()
    console.print(
        f"rebuilding Redis prefix {settings.redis_prefix!r} from the topics "
        f"{settings.topic_prefix}credit.*.v1 (group {settings.app_id}) …"
    )
    with BarProgress(console) as progress:
        report = run_rebuild(settings, progress, force=force)
    table = Table("rebuilt", "", show_header=False)
    table.add_row("input events read", f"{report.events_read:,}")
    table.add_row("record events stored", f"{report.stored:,}")
    table.add_row("left out (invalid or dead-lettered)", f"{report.refused:,}")
    table.add_row("subjects", f"{report.subjects:,}")
    table.add_row("notices restored", f"{report.notices:,}")
    table.add_row("notices answered", f"{report.answered:,}")
    table.add_row("notices queued now (not sent before)", f"{report.queued:,}")
    if report.unmatched:
        table.add_row("[yellow]notices of unknown subjects[/]", f"{report.unmatched:,}")
    table.add_row("seconds", f"{report.seconds:.1f}")
    console.print(table)
