"""``creditflow topics init``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from creditflow.admin import ensure_topics
from creditflow.departments import load_departments
from creditflow.settings import Settings

app = typer.Typer(help="Manage the topics of the contract.")
console = Console(highlight=False)


@app.command()
def init() -> None:
    """Create every topic of the contract that does not exist yet (idempotent)."""
    settings = Settings()
    names = settings.topics.all(load_departments(settings.departments_file).ids())
    created = set(ensure_topics(settings, names))
    table = Table("topic", "partitions", "status")
    for name in names:
        table.add_row(
            name, str(settings.topic_partitions), "created" if name in created else "existing"
        )
    console.print(table)
    console.print(f"{len(created)} created, {len(names) - len(created)} existing")
