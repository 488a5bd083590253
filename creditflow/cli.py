"""The ``creditflow`` command: thin entrypoints (parse, call, print).

Each sub-command lives in ``creditflow/commands/`` and is composed here.
"""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console

from creditflow.commands import (
    bench,
    chaos,
    check,
    demo,
    kafka,
    stack,
    state,
    subscribe,
    token,
    topics,
    worker,
)
from creditflow.commands.publish import publish
from creditflow.errors import CreditflowError

app = typer.Typer(
    name="creditflow",
    help="creditflow: a city's public credit information platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(stack.app, name="stack")
app.add_typer(topics.app, name="topics")
app.command("worker")(worker.worker)
app.command("subscribe")(subscribe.subscribe)
app.command("publish")(publish)
app.command("demo")(demo.demo)
app.command("check")(check.check)
app.add_typer(token.app, name="token")
app.add_typer(kafka.app, name="kafka")
app.add_typer(state.app, name="state")
app.command("bench")(bench.bench)
app.command("chaos")(chaos.chaos)

err_console = Console(stderr=True)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main() -> None:
    """Console script: a CreditflowError is one line on stderr and exit code 1, not a traceback.

    Usage errors, ``--help`` and exit codes are left to the CLI framework (standalone mode), which
    handles its own exceptions; only ours need catching here.
    """
    try:
        app()
    except CreditflowError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
