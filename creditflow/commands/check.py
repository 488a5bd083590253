"""``creditflow check SUBJECT_ID [--purpose P] [--explain]``: a credit check through the API."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from creditflow.apiclient import ApiClientError, check_subject
from creditflow.settings import Settings

console = Console(highlight=False)


def check(
    subject_id: str = typer.Argument(..., help="统一社会信用代码 or 居民身份证号码."),
    purpose: str = typer.Option(
        "行政审批", help="Why you check (written to the audit trail): 行政审批, 政府采购, …"
    ),
    explain: bool = typer.Option(False, "--explain", help="Show the records and rules behind."),
) -> int:
    """Credit check (信用核查) of a subject with your department's token (CREDITFLOW_API_TOKEN)."""
    settings = Settings()
    try:
        body = check_subject(settings, subject_id, purpose, explain)
    except ApiClientError as exc:
        if exc.status == 404:
            console.print(f"{subject_id}: the platform holds no record of this subject")
            return 0
        raise
    if explain:
        _print_explanation(body)
    else:
        _print_subject(body)
    return 0


def _yes(value: bool) -> str:
    return "[bold red]yes[/]" if value else "no"


def _print_subject(body: dict[str, Any]) -> None:
    summary = Table(title=f"{body['subject_name']} ({body['subject_id']})", show_header=False)
    summary.add_row("kind", str(body["subject_kind"]))
    summary.add_row("black list (严重失信)", _yes(body["black_list"]))
    summary.add_row("red list (诚信典型)", "[green]yes[/]" if body["red_list"] else "no")
    summary.add_row("three years clean", "yes" if body["three_year_clean"] else "no")
    summary.add_row("grade / score", f"{body['grade']} / {body['score']}")
    console.print(summary)
    _print_measures(body["measures_in_force"])
    records = Table("record", "department", "severity", "published until", title="in publicity")
    for r in body["records_in_publicity"]:
        ref = r["record"]
        records.add_row(ref["document_number"], r["department_id"], r["severity"], r["until"])
    console.print(records)


def _print_measures(measures: list[dict[str, Any]]) -> None:
    table = Table("measure", "name", "department", "until", "legal basis", title="measures")
    for m in measures:
        name = m["name"] + (" (suspended)" if m["suspended"] else "")
        table.add_row(m["measure_id"], name, m["department_id"], m["until"] or "", m["legal_basis"])
    console.print(table)


def _print_explanation(body: dict[str, Any]) -> None:
    listings = Table("list", "by", "since", "until", "rule", "legal basis", "records")
    for entry in body["listings"]:
        refs = ", ".join(r["record"]["document_number"] for r in entry["records"])
        listings.add_row(
            entry["list"],
            entry["department_id"],
            entry["since"],
            entry["until"] or "",
            entry["rule"],
            entry["legal_basis"],
            refs,
        )
    listings.title = f"why: {body['subject_name']} ({body['subject_id']})"
    console.print(listings)
    _print_measures(body["measures"])
