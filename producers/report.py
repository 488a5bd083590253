"""The report of an import: one CSV line per problem of a row that was not published.

Columns: ``row, field, code, reason, reason_code``. It is written in UTF-8 with a BOM so that
Excel, which departments open it with, shows the Chinese text right.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from producers.errors import ImportFileError
from producers.importer import ImportReport

REPORT_COLUMNS = ("row", "field", "code", "reason", "reason_code")
DELIVERY = "(delivery)"


@dataclass(frozen=True, slots=True)
class ReportLine:
    row: int
    field: str
    code: str
    reason: str
    reason_code: str


def default_report_path(path: Path) -> Path:
    """``<FILE>.rejected.csv`` beside the imported file."""
    return path.with_name(f"{path.name}.rejected.csv")


def report_lines(report: ImportReport) -> list[ReportLine]:
    """Every problem of every row not published, by row number."""
    lines = [
        ReportLine(row.number, p.field, p.code or "", p.reason, p.reason_code)
        for row in report.rejected
        for p in row.problems
    ]
    lines += [
        ReportLine(f.number, DELIVERY, "", f"{f.reason} (event {f.event_id})", f.reason_code)
        for f in report.failed
    ]
    return sorted(lines, key=lambda line: line.row)


def write_report(report: ImportReport, path: Path) -> int:
    """Write the report CSV (a header only when every row was published); lines written."""
    lines = report_lines(report)
    try:
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(REPORT_COLUMNS)
            writer.writerows(
                (line.row, line.field, line.code, line.reason, line.reason_code) for line in lines
            )
    except OSError as exc:
        raise ImportFileError(
            f"cannot write the report {path}: {exc.strerror or exc}; choose another with --report"
        ) from None
    return len(lines)


def check_writable(path: Path) -> None:
    """Fail before importing, not after, if the report cannot be written."""
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise ImportFileError(
            f"cannot write the report {path}: {exc.strerror or exc}; choose another with --report"
        ) from None
