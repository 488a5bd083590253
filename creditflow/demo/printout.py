"""The summary as the user reads it at the end of ``creditflow demo``."""

from __future__ import annotations

from collections import Counter
from datetime import date

from rich.console import Console
from rich.table import Table

from creditflow.demo.city import City
from creditflow.demo.responders import SILENT, SLOW
from creditflow.demo.summary import Summary

CAUSES = {
    "EXPIRED": "expiry",
    "REPAIRED": "repair",
    "REVOKED": "revocation",
    "ENDED_BY_PENALTY": "ended by penalty",
    "MEASURE_PERIOD_ENDED": "measure period ended",
    "OTHER": "other",
}
LISTS = {"BLACK": "black", "RED": "red", "THREE_YEAR_CLEAN": "three years clean"}


def print_city(console: Console, city: City) -> None:
    """What the generator made: the city's subjects and its records, before any is sent."""
    kinds = Counter(str(s.kind) for s in city.subjects)
    mix = city.stories
    objections = sum(n for name, n in mix.items() if name.startswith("Objection"))
    console.print(
        f"{len(city.subjects):,} subjects ({kinds['LEGAL_PERSON']:,} companies, "
        f"{kinds['INDIVIDUAL_BUSINESS']:,} individual businesses, {kinds['NATURAL_PERSON']:,} "
        f"residents); {len(city.timeline):,} records from {city.first} to {city.last}: "
        f"{mix['PermitGranted']:,} permits, {mix['PenaltyImposed']:,} penalties "
        f"({city.serious:,} serious), {mix['CommendationDesignated']:,} designations, "
        f"{mix['CreditRepairDecided']:,} repairs, {objections:,} objection steps, "
        f"{city.duplicates:,} resent, {len(city.bad):,} bad",
        soft_wrap=True,
    )


def _counts(counts: Counter[str], names: dict[str, str]) -> str:
    parts = [f"{names.get(k, k)} {counts[k]:,}" for k in (*names, *sorted(counts)) if counts[k]]
    return ", ".join(dict.fromkeys(parts)) or "none"


def print_summary(
    console: Console,
    city: City,
    summary: Summary,
    *,
    urls: list[str],
    logs: list[str],
    seconds: float,
    final: date,
    following: bool,
) -> None:
    minutes, rest = divmod(int(seconds), 60)
    sent = summary.sent
    console.rule("[bold]creditflow demo: summary")
    console.print(
        f"seed {city.seed} · {sent['subjects']:,} subjects · simulated {city.first} → {final} · "
        f"{minutes} min {rest:02d} s"
    )
    console.print(
        f"[bold]events in[/]: {sent['good']:,} good records, {sent['duplicates']:,} resent by "
        f"departments (same event id), {sent['bad']:,} bad records; "
        f"feedback answers from departments: {summary.feedback_applied:,} applied"
    )
    console.print(
        f"[bold]applied[/]: {summary.stored:,} records stored, each once "
        f"(Redis: the subjects' event hashes)"
    )
    rejected = sum(summary.rejected.values())
    console.print(
        f"[bold]rejected[/]: {rejected:,} dead letters: "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary.rejected.items()))
    )
    lists = summary.lists
    console.print(
        f"[bold]lists at the end[/]: black (严重失信) {lists['BLACK']:,} · red (诚信典型) "
        f"{lists['RED']:,} · three years clean {lists['THREE_YEAR_CLEAN']:,}"
    )
    console.print(f"[bold]measures initiated[/]: {_counts(summary.initiated, LISTS)}")
    console.print(f"[bold]measures lifted[/]: {_counts(summary.lifted, CAUSES)}")
    suspended = sum(n for (_, action, _), n in summary.actions.items() if action == "SUSPEND")
    resumed = sum(n for (_, action, _), n in summary.actions.items() if action == "RESUME")
    console.print(f"[bold]objections[/]: {suspended:,} measures suspended, {resumed:,} resumed")
    console.print(_departments(summary))
    _examples(console, summary, urls[0])
    console.print("[bold]metrics[/]: " + ", ".join(f"{u}/metrics" for u in urls), soft_wrap=True)
    console.print(
        f"[bold]API[/]: {urls[0]}/v1/subjects/<id>, /v1/lists/black, /v1/notices?department=… "
        "(a department's Bearer token)"
        + ("" if following else "; the workers stop now: run with --follow to keep them up"),
        soft_wrap=True,
    )
    console.print(f"[bold]worker logs[/]: {', '.join(logs)}", soft_wrap=True)
    console.print(f"fingerprint: {summary.fingerprint}", highlight=False)


def _departments(summary: Summary) -> Table:
    table = Table(
        "department", "notices", "initiate", "received", "answered", "late", "overdue",
        "pending", "masked", title="notices and feedback per department", title_style="bold",
    )  # fmt: skip
    for department, row in sorted(summary.departments.items()):
        if not row.notices and not row.received:
            continue
        note = " (silent)" if department == SILENT else " (slow)" if department in SLOW else ""
        table.add_row(
            department + note, f"{row.notices:,}", f"{row.initiated:,}", f"{row.received:,}",
            f"{row.answered:,}", f"{row.late:,}", f"{row.overdue:,}", f"{row.pending:,}",
            f"{row.masked:,}",
        )  # fmt: skip
    table.caption = (
        "late: answered after the 7-day deadline · overdue: unanswered past it · masked: notices "
        "about natural persons whose id the department may not see (answered with the masked id)"
    )
    return table


def _examples(console: Console, summary: Summary, api: str) -> None:
    words = {
        "black": "on the black list",
        "red": "on the red list",
        "repaired": "removed from the black list by credit repair",
    }
    console.print("[bold]try[/] (the API is served by the workers: keep them up with --follow):")
    console.print("  creditflow token issue --department credit-office   # once, shows a token")
    console.print(f"  export CREDITFLOW_API_URL={api} CREDITFLOW_API_TOKEN=<that token>")
    for kind, subject in summary.examples.items():
        if subject is not None:
            console.print(f"  creditflow check {subject}   # {words[kind]}", highlight=False)


def print_checks(console: Console, summary: Summary) -> None:
    if not summary.problems:
        console.print(
            "[green]checks ok[/]: every good record stored once, every bad record dead-lettered "
            "with its reason, every INITIATE notice received by its department, every notice on "
            "its topic",
            soft_wrap=True,
        )
        return
    console.print("[bold red]checks FAILED[/]: the end state disagrees with what was sent:")
    for problem in summary.problems:
        console.print(f"  - {problem}", soft_wrap=True, highlight=False)
