"""``creditflow publish``: import a department's CSV or JSONL file of records.

Parse the options, wire the importer (``producers.importer``) to a publisher and a dead-letter
producer, show progress, write the report, print the summary. Exit code 0 only if every row
was published and acknowledged by Kafka.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from confluent_kafka import Producer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from creditflow.admin import admin_client, partition_counts
from creditflow.departments import load_departments
from creditflow.settings import Settings
from producers.columns import ImportKind
from producers.deadletter import DeadLetterSink
from producers.errors import PublishError
from producers.importer import FileImporter, ImportProgress, ImportReport
from producers.publisher import DepartmentPublisher, producer_config
from producers.reader import FileFormat, open_source
from producers.report import check_writable, default_report_path, report_lines, write_report
from producers.rows import EventBuilder
from producers.templates import table_for

SHOWN_ROWS = 10

err_console = Console(stderr=True, highlight=False)
console = Console(highlight=False)


def publish(
    file: Annotated[Path, typer.Argument(help="The CSV or JSONL file to import.")],
    *,
    department: Annotated[
        str, typer.Option("--department", "-d", help="The publishing department's id.")
    ],
    kind: Annotated[ImportKind, typer.Option("--kind", "-k", help="What the file holds.")],
    file_format: Annotated[
        FileFormat | None,
        typer.Option(
            "--format",
            help="csv or jsonl (default: by the extension; .jsonl and .ndjson are JSONL).",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding", help="Force an encoding (default: UTF-8 if it decodes, else GB18030/GBK)."
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Where to write the rejected-rows report (default: FILE.rejected.csv)."
        ),
    ] = None,
    dead_letter: Annotated[
        bool,
        typer.Option(
            "--dead-letter/--no-dead-letter", help="Send rejected rows to credit.deadletter.v1."
        ),
    ] = True,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and write the report; send nothing.")
    ] = False,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=1.0, help="Seconds to wait for Kafka's acknowledgements."),
    ] = 60.0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar, no table of rejected rows.")
    ] = False,
) -> None:
    """Import a file of records (the national template: Chinese headers or field codes)."""
    settings = Settings()
    departments = load_departments(settings.departments_file)
    if department not in departments:
        raise PublishError(
            f"unknown department {department!r}; known: {', '.join(departments.ids())}"
        )
    source = open_source(file, table_for(kind), file_format, encoding)
    report_path = report or default_report_path(file)
    check_writable(report_path)

    def clock() -> datetime:
        return datetime.now(UTC)

    builder = EventBuilder(department, kind, departments, clock)
    publisher: DepartmentPublisher | None = None
    dead_letters: DeadLetterSink | None = None
    if not dry_run:
        _check_topics(settings, [settings.topics.event(kind.value), settings.topics.deadletter])
        overrides: dict[str, Any] = {
            "logger": logging.getLogger("creditflow.librdkafka"),
            # Let librdkafka give up (and report) when we stop waiting, not minutes later.
            "message.timeout.ms": int(timeout * 1000),
        }
        config = producer_config(settings, f"creditflow-importer-{department}")
        publisher = DepartmentPublisher(
            department,
            settings,
            departments=departments,
            clock=clock,
            producer=Producer({**config, **overrides}),
        )
        if dead_letter:
            dead_letters = DeadLetterSink(settings, department, clock=clock, extra_config=overrides)
    importer = FileImporter(
        builder, publisher, dead_letters, topics=settings.topics, ack_timeout=timeout
    )
    with _progress(file.name, enabled=not quiet and err_console.is_terminal) as on_progress:
        importer.on_progress = on_progress
        result = importer.run(source)
    write_report(result, report_path)
    if not quiet:
        _show_rejected(result)
    _summarise(result, report_path)
    if not result.succeeded:
        raise typer.Exit(1)


def _check_topics(settings: Settings, topics: list[str]) -> None:
    """Fail in one line, before reading rows, if Kafka is down or the topics are missing."""
    existing = partition_counts(admin_client(settings))
    missing = [t for t in topics if t not in existing]
    if missing:
        raise PublishError(
            f"topic(s) {', '.join(missing)} do not exist: run `creditflow topics init`"
        )


@contextmanager
def _progress(name: str, *, enabled: bool) -> Iterator[Callable[[ImportProgress], None] | None]:
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("lines · {task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console) as progress:
        task = progress.add_task(name, total=None, status="")

        def update(p: ImportProgress) -> None:
            status = f"sent {p.sent}, acknowledged {p.acknowledged}, rejected {p.rejected}"
            progress.update(task, total=p.lines_total, completed=p.lines_done, status=status)

        yield update


def _show_rejected(result: ImportReport) -> None:
    lines = report_lines(result)
    if not lines:
        return
    rows = sorted({line.row for line in lines})
    shown = set(rows[:SHOWN_ROWS])
    table = Table("row", "field", "code", "reason", title="rows not published", title_style="bold")
    for line in lines:
        if line.row in shown:
            table.add_row(str(line.row), line.field, line.code, line.reason)
    err_console.print(table)
    if len(rows) > SHOWN_ROWS:
        err_console.print(f"… and {len(rows) - SHOWN_ROWS} more rows: see the report")


def _summarise(result: ImportReport, report_path: Path) -> None:
    rejected, failed = len(result.rejected), len(result.failed)
    if result.dry_run:
        counts = f"{result.valid} valid, {rejected} rejected (dry run: nothing sent)"
    else:
        counts = f"{result.published} published, {rejected} rejected, {failed} delivery failures"
    console.print(
        f"{result.path.name}: {result.rows_read} rows read: {counts}; report: {report_path}",
        soft_wrap=True,
    )
    if result.dead_letters_sent:
        lost = (
            f" ({result.dead_letters_failed} not delivered)" if result.dead_letters_failed else ""
        )
        console.print(
            f"{result.dead_letters_sent} rejected rows sent to the dead-letter topic{lost}"
        )
    if result.succeeded:
        what = "every row is valid" if result.dry_run else "every row published and acknowledged"
        console.print(f"[green]ok[/]: {what}")
        return
    reasons = []
    if rejected:
        reasons.append(f"{rejected} rows rejected")
    if failed:
        reasons.append(f"{failed} rows not acknowledged by Kafka")
    if not reasons:  # pragma: no cover - succeeded covers the rest
        reasons.append("not every row was acknowledged")
    console.print(f"[red]failed[/]: {', '.join(reasons)} (exit code 1)", soft_wrap=True)
