"""``creditflow token issue --department D``: a new API token, shown once."""

from __future__ import annotations

import typer
from rich.console import Console

from creditflow.departments import load_departments
from creditflow.settings import Settings

app = typer.Typer(help="API tokens of departments (stored as hashes only).")
console = Console(highlight=False)


@app.command()
def issue(
    department: str = typer.Option(..., "--department", "-d", help="Department id."),
) -> None:
    """Print a new token for the department once; only its hash is kept in the tokens file."""
    from creditflow.tokens import issue_token

    settings = Settings()
    token = issue_token(
        settings.tokens_path, department, load_departments(settings.departments_file)
    )
    console.print(
        f"token for {department} (shown once, store it now; its hash is in {settings.tokens_path}):"
    )
    print(token)
