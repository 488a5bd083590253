"""``creditflow stack up|down|status``."""

from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.table import Table

from creditflow.devstack import stack
from creditflow.devstack.paths import shown
from creditflow.devstack.service import ServiceStatus
from creditflow.settings import Settings

app = typer.Typer(
    help="Run the local stack (Apache Kafka, Redis, Prometheus if installed) as plain processes."
)
console = Console(highlight=False)


def _line(status: ServiceStatus) -> str:
    details = [status.address]
    if status.pid is not None:
        details.append(f"pid {status.pid}")
    if status.log is not None:
        details.append(f"log {shown(status.log)}")
    return f"{status.name}: {status.note} ({', '.join(details)})"


def _state(status: ServiceStatus) -> str:
    if status.state == "absent":
        return "[yellow]not installed[/]"
    if status.answers:
        return f"[green]{status.state}[/]"
    # "running" alone would hide a process that is up but does not answer (yet).
    suffix = "" if status.state == "stopped" else " (no answer)"
    return f"[red]{status.state}{suffix}[/]"


@app.command()
def up() -> None:
    """Start Kafka (KRaft), Redis and Prometheus on loopback unless running or configured."""
    began = time.monotonic()
    statuses = stack.up(Settings())
    for status in statuses:
        console.print(_line(status), soft_wrap=True)
    console.print(f"stack ready in {time.monotonic() - began:.1f} s")


@app.command()
def down() -> None:
    """Stop the processes `stack up` started; their data stays under the stack directory."""
    for status in stack.down(Settings()):
        console.print(_line(status), soft_wrap=True)


@app.command()
def status() -> None:
    """Show each service; exit code 0 only if every installed one answers."""
    statuses = stack.status(Settings())
    table = Table("service", "state", "address", "pid", "log")
    for s in statuses:
        pid = "" if s.pid is None else str(s.pid)
        table.add_row(s.name, _state(s), s.address, pid, "" if s.log is None else shown(s.log))
    console.print(table)
    # Prometheus is optional: not installed is no failure, installed and not answering is.
    if not all(s.answers or s.state == "absent" for s in statuses):
        raise typer.Exit(1)
