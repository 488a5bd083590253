"""Reading an import file: decoding, the header, and its rows as cells keyed by event field.

CSV files come from spreadsheets, so rows are numbered as a spreadsheet shows them (the header
is row 1, the first record row 2); a JSONL row's number is its line number. Anything wrong with
the file as a whole (empty, undecodable, a wrong header) is an ``ImportFileError`` raised
before a single row is read; anything wrong with one row is a problem of that row.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from producers.columns import Column, ColumnTable
from producers.errors import ImportFileError
from producers.templates import tables
from schemas.errors import Problem

#: The row-level pseudo field of problems that concern a whole row, not one cell.
ROW = "(row)"
#: Encodings tried in turn when none is given: UTF-8 (a BOM is dropped), then the Chinese
#: national standard GB18030, a superset of the GBK that department exports use.
AUTO_ENCODINGS = ("utf-8-sig", "gb18030")


class FileFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


def detect_format(path: Path) -> FileFormat:
    """JSONL for ``.jsonl`` / ``.ndjson``, CSV otherwise."""
    return FileFormat.JSONL if path.suffix.lower() in {".jsonl", ".ndjson"} else FileFormat.CSV


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text of a file and the encoding it was read with.

    Without ``encoding``: UTF-8 (with or without BOM), else GB18030/GBK.
    """
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise ImportFileError(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"cannot be read as {encoding}: invalid bytes at offset {exc.start}; "
                "check --encoding (utf-8 or gb18030)"
            ) from None
        return text.removeprefix("\ufeff"), encoding
    for candidate in AUTO_ENCODINGS:
        try:
            return data.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        "is neither UTF-8 nor GBK/GB18030 text: save it as CSV UTF-8 or give --encoding"
    )


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One row: its number, its non-empty cells by event field, and the row as written."""

    number: int
    values: dict[str, object]
    original: bytes  # the row as a UTF-8 CSV or JSON line, for the dead-letter topic
    problems: tuple[Problem, ...] = ()


@dataclass
class SourceFile:
    """An opened import file whose header is known to be right."""

    path: Path
    format: FileFormat
    encoding: str
    table: ColumnTable
    text: str = field(repr=False)
    total_lines: int = 0
    lines_done: int = 0
    _columns: list[Column | None] = field(default_factory=list, repr=False)
    _delimiter: str = ","

    def read_header(self) -> None:
        """Map the header (row 1) of a CSV file to columns; ImportFileError if it is wrong."""
        first_line = self.text.split("\n", 1)[0]
        if "\t" in first_line and "," not in first_line:
            self._delimiter = "\t"  # a tab-separated export
        try:
            header = next(csv.reader(io.StringIO(self.text, newline=""), delimiter=self._delimiter))
        except (StopIteration, csv.Error) as exc:
            raise ImportFileError(f"{self.path}: cannot read the header: {exc}") from None
        while header and not header[-1].strip():
            header.pop()  # spreadsheets export empty trailing columns
        if not header:
            raise ImportFileError(f"{self.path}: the header (row 1) is empty")
        try:
            self._columns = self.table.map_header(header, tables().values())
        except ImportFileError as exc:
            raise ImportFileError(f"{self.path}: {exc}") from None

    def rows(self) -> Iterator[SourceRow]:
        """The rows that are not blank, in file order."""
        if self.format is FileFormat.CSV:
            return self._csv_rows()
        return self._jsonl_rows()

    def _csv_rows(self) -> Iterator[SourceRow]:
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self._delimiter)
        next(reader)  # the header, checked when the file was opened
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                number += 1
                self.lines_done = reader.line_num
                problem = Problem(ROW, f"cannot be read as CSV: {exc}", "invalid.csv")
                yield SourceRow(number, {}, b"", (problem,))
                continue
            number += 1
            self.lines_done = reader.line_num
            if any(cell.strip() for cell in cells):
                yield self._csv_row(number, cells)
        self.lines_done = self.total_lines

    def _csv_row(self, number: int, cells: list[str]) -> SourceRow:
        values: dict[str, object] = {}
        problems: list[Problem] = []
        for index, cell in enumerate(cells):
            if not cell.strip():
                continue
            column = self._columns[index] if index < len(self._columns) else None
            if column is None:
                problems.append(
                    Problem(
                        ROW,
                        f"has a value in column {index + 1}, which has no header: {cell!r}",
                        "invalid.row",
                    )
                )
            else:
                values[column.field] = cell
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(cells)
        return SourceRow(number, values, out.getvalue().encode(), tuple(problems))

    def _jsonl_rows(self) -> Iterator[SourceRow]:
        for index, raw in enumerate(self.text.split("\n")):
            self.lines_done = index + 1
            line = raw.strip().removeprefix("\ufeff")
            if line:
                yield self._jsonl_row(index + 1, line)
        self.lines_done = self.total_lines

    def _jsonl_row(self, number: int, line: str) -> SourceRow:
        original = line.encode()
        try:
            document = json.loads(line, parse_float=Decimal)
        except ValueError as exc:
            return SourceRow(
                number, {}, original, (Problem(ROW, f"is not JSON: {exc}", "invalid.json"),)
            )
        if not isinstance(document, dict):
            problem = Problem(ROW, "is not a JSON object", "invalid.json")
            return SourceRow(number, {}, original, (problem,))
        values: dict[str, object] = {}
        problems: list[Problem] = []
        nested = self.table.nested()
        for key, value in document.items():
            if value is None:
                continue
            if key in nested:
                if not isinstance(value, dict):
                    problems.append(Problem(key, "must be a JSON object", "invalid.value"))
                    continue
                items = {f"{key}.{k}": v for k, v in value.items()}
            else:
                items = {key: value}
            for name, item in items.items():
                if self.table.by_field(name) is None:
                    problems.append(
                        Problem(
                            name,
                            f"is not a field of a {self.table.kind} record ({self.table.record})",
                            "invalid.field",
                        )
                    )
                elif item is not None:
                    values[name] = item
        return SourceRow(number, values, original, tuple(problems))


def open_source(
    path: Path,
    table: ColumnTable,
    file_format: FileFormat | None = None,
    encoding: str | None = None,
) -> SourceFile:
    """Read and decode ``path`` and check its header; raise ImportFileError if it is unusable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        text, used = decode(data, encoding)
    except ImportFileError as exc:
        raise ImportFileError(f"{path}: {exc}") from None
    if not text.strip().removeprefix("\ufeff").strip():
        raise ImportFileError(f"{path}: the file is empty")
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    source = SourceFile(path, file_format or detect_format(path), used, table, text, lines)
    if source.format is FileFormat.CSV:
        source.read_header()
    return source
