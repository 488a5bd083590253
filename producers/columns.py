"""Columns of an import file: field, field code, Chinese header, parser; and the header check.

A header cell may be the Chinese header or the code: codes are compared case-insensitively,
whitespace is ignored, and full-width and half-width brackets are alike (``罚款金额（万元）`` =
``罚款金额(万元)`` = ``罚款金额``). The columns of each kind are in ``producers.templates``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from producers.errors import ImportFileError
from producers.parsing import Parser, normalise


class ImportKind(StrEnum):
    """What a file holds; each kind goes to its own topic (``creditflow.topics``)."""

    PERMIT = "permit"
    PENALTY = "penalty"
    REPAIR = "repair"
    COMMENDATION = "commendation"
    OBJECTION = "objection"


@dataclass(frozen=True, slots=True)
class Column:
    """One column: the event field it fills (a dotted path for nested records), its code,
    its Chinese header, and whether a file must have it."""

    field: str
    code: str
    header: str
    parse: Parser
    required: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.code} {self.header}"


_TRAILING_NOTE = re.compile(r"\([^()]*\)$")


def header_key(text: str) -> str:
    """How a header cell is compared: NFKC, no whitespace, upper case, no ``*`` marks."""
    return normalise(text).strip("*")


class ColumnTable:
    """The columns of one record kind, looked up by header, code or field."""

    def __init__(
        self, kind: ImportKind, record: str, columns: Iterable[Column], *, derives_subject: bool
    ) -> None:
        self.kind = kind
        self.record = record  # what a row is, in messages: 行政处罚 (penalty)
        self.columns = tuple(columns)
        #: Permits and penalties name the subject by XDR_SHXYM / XDR_ZJHM / other codes;
        #: the other kinds have a subject_id column.
        self.derives_subject = derives_subject
        self._by_field = {c.field: c for c in self.columns}
        self._by_key: dict[str, Column] = {}
        for column in self.columns:
            for name in (column.code, column.header, *column.aliases):
                self._add(header_key(name), column)
                # 罚款金额（万元） may be written 罚款金额.
                bare = _TRAILING_NOTE.sub("", header_key(name))
                if bare and bare != header_key(name):
                    self._by_key.setdefault(bare, column)

    def _add(self, key: str, column: Column) -> None:
        known = self._by_key.get(key)
        if known is not None and known is not column:
            raise ValueError(f"{key} names both {known.field} and {column.field}")
        self._by_key[key] = column

    def by_header(self, header: str) -> Column | None:
        return self._by_key.get(header_key(header))

    def by_field(self, field: str) -> Column | None:
        return self._by_field.get(field)

    def code_of(self, field: str) -> str | None:
        """The code of the column behind ``field`` (``categories.0`` → ``CF_CFLB``)."""
        while field:
            column = self._by_field.get(field)
            if column is not None:
                return column.code
            field = field.rpartition(".")[0]
        return None

    def nested(self) -> frozenset[str]:
        """Fields that hold a nested record (``record``, ``serious_dishonesty``)."""
        return frozenset(c.field.split(".")[0] for c in self.columns if "." in c.field)

    def map_header(
        self, headers: Sequence[str], others: Iterable[ColumnTable] = ()
    ) -> list[Column | None]:
        """The column of each header cell (None for an empty cell).

        Raises ImportFileError naming every unknown, duplicated or missing column; when the
        unknown ones all belong to one of ``others``, it says to use that kind.
        """
        mapped: list[Column | None] = []
        unknown: list[str] = []
        seen: dict[str, list[str]] = {}
        for cell in headers:
            if not header_key(cell):
                mapped.append(None)
                continue
            column = self.by_header(cell)
            mapped.append(column)
            if column is None:
                unknown.append(cell.strip())
            else:
                seen.setdefault(column.field, []).append(cell.strip())
        errors = []
        if unknown:
            errors.append(self._unknown(unknown, others))
            if "--kind" in errors[-1]:
                raise ImportFileError(errors[-1])  # the wrong kind: the rest is noise
        for field, cells in seen.items():
            if len(cells) > 1:
                column = self._by_field[field]
                errors.append(
                    f"the column {column.label} appears {len(cells)} times "
                    f"({', '.join(repr(c) for c in cells)})"
                )
        missing = [c.label for c in self.columns if c.required and c.field not in seen]
        if missing:
            errors.append(f"missing required column(s): {', '.join(missing)}")
        if errors:
            raise ImportFileError("; ".join(errors))
        return mapped

    def _unknown(self, cells: list[str], others: Iterable[ColumnTable]) -> str:
        message = (
            f"unknown column(s) {', '.join(repr(c) for c in cells)} for a {self.kind} file "
            f"({self.record}): use the Chinese headers or the field codes, "
            f"e.g. {self.columns[0].header} or {self.columns[0].code}"
        )
        fits = [t.kind for t in others if t is not self and all(t.by_header(c) for c in cells)]
        if fits:
            message += f" (these are {fits[0]} columns: use --kind {fits[0]})"
        return message
