"""One row of an import file → one validated event, or the problems that keep it out.

The cells are parsed by their columns (``producers.columns``); the subject id, the decision
time and the event id are derived; the event model and ``schemas.checks.check_plausible``
judge the result. Every problem names the event field and its field code, as the department
knows it from its template.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from creditflow.departments import DepartmentRegistry
from producers.choices import ObjectionStep
from producers.columns import ColumnTable, ImportKind
from producers.parsing import CST
from producers.templates import table_for
from schemas.checks import check_plausible
from schemas.codec import encode_model, to_model
from schemas.enums import SubjectKind
from schemas.errors import ContractError, InvalidEventError, Problem
from schemas.events import (
    CommendationDesignated,
    CreditRepairDecided,
    Event,
    ObjectionCorrected,
    ObjectionFiled,
    ObjectionRevoked,
    ObjectionUpheld,
    PenaltyImposed,
    PermitGranted,
)
from schemas.identifiers import USCC_PLACEHOLDER

#: The namespace of imported events' ids (uuid5): fixed forever, or re-imports get new ids.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c4c3e-2b7a-5d0e-9a55-0c7e1f3d8b21")

MISSING = "missing.field"

_KIND_CLASSES: dict[ImportKind, type[Event]] = {
    ImportKind.PERMIT: PermitGranted,
    ImportKind.PENALTY: PenaltyImposed,
    ImportKind.REPAIR: CreditRepairDecided,
    ImportKind.COMMENDATION: CommendationDesignated,
}
_OBJECTION_CLASSES: dict[ObjectionStep, type[Event]] = {
    ObjectionStep.FILED: ObjectionFiled,
    ObjectionStep.UPHELD: ObjectionUpheld,
    ObjectionStep.CORRECTED: ObjectionCorrected,
    ObjectionStep.REVOKED: ObjectionRevoked,
}
#: The date that is the decision time of each event (00:00 China Standard Time).
_DECISION_DATE: dict[type[Event], str] = {
    CommendationDesignated: "valid_from",
    ObjectionFiled: "filed_on",
}
#: Other codes that name an organisation without a USCC, in the template's order.
OTHER_CODES = (
    "registration_number",
    "organization_code",
    "tax_registration_number",
    "institution_certificate_number",
    "social_organization_number",
)
_META = frozenset({"event_id", "occurred_at", "department_id", "event"})


def occurred_at_of(day: date) -> datetime:
    """A decision date as a time: 00:00 China Standard Time (UTC+8) of that day."""
    return datetime.combine(day, time(), CST)


def _canonical(value: object) -> object:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"no canonical form for {type(value).__name__}")


def event_id_for(department_id: str, kind: str, values: Mapping[str, object]) -> uuid.UUID:
    """uuid5 over the department, the kind and the row's parsed field values.

    Parsed values are canonical (dates, amounts, enum symbols), so the same record gives the
    same id whatever the file's encoding, header language, date form or column order.
    """
    canonical = json.dumps(
        {k: v for k, v in values.items() if k not in ("event_id", "occurred_at")},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=_canonical,
    )
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{department_id}\n{kind}\n{canonical}")


@dataclass(frozen=True, slots=True)
class Subject:
    """The subject id of a 双公示 row and the field it was taken from."""

    subject_id: str
    source: str


def derive_subject(values: Mapping[str, object]) -> Subject:
    """Natural person: XDR_ZJHM. Organisation: XDR_SHXYM, or when it is empty or the
    placeholder 00000000000000000X, the first other code given."""
    kind = values.get("subject_kind")
    if kind == SubjectKind.NATURAL_PERSON:
        id_number = values.get("id_number")
        if not isinstance(id_number, str):
            raise ContractError(
                "is required for a natural person (自然人)", field="id_number", reason_code=MISSING
            )
        return Subject(id_number, "id_number")
    uscc = values.get("uscc")
    if isinstance(uscc, str) and uscc != USCC_PLACEHOLDER:
        return Subject(uscc, "uscc")
    for name in OTHER_CODES:
        code = values.get(name)
        if isinstance(code, str):
            return Subject(code, name)
    raise ContractError(
        "is required for an organisation or individual business: the 统一社会信用代码, or "
        f"{USCC_PLACEHOLDER} with another code (工商注册号, 组织机构代码, …)",
        field="uscc",
        reason_code=MISSING,
    )


@dataclass(frozen=True, slots=True)
class BuiltRow:
    """An event ready to publish, or the problems of its row (never both)."""

    event: Event | None
    problems: tuple[Problem, ...]
    subject_id: str | None = None
    subject_kind: SubjectKind | None = None


def _nest(values: Mapping[str, object]) -> dict[str, Any]:
    datum: dict[str, Any] = {}
    for path, value in values.items():
        head, _, rest = path.partition(".")
        if rest:
            datum.setdefault(head, {})[rest] = value
        else:
            datum[head] = value
    return datum


class EventBuilder:
    """Builds one kind of event from rows, for one department."""

    def __init__(
        self,
        department_id: str,
        kind: ImportKind | str,
        departments: DepartmentRegistry,
        clock: Callable[[], datetime],
    ) -> None:
        self.department_id = department_id
        self.kind = ImportKind(kind)
        self.table: ColumnTable = table_for(self.kind)
        self.departments = departments
        self.clock = clock

    def build(self, cells: Mapping[str, object]) -> BuiltRow:
        """Parse, derive and validate one row's cells (keyed by event field)."""
        row = _Row(self, cells)
        return row.build()


class _Row:
    """The work on one row: its parsed values and the problems found so far."""

    def __init__(self, builder: EventBuilder, cells: Mapping[str, object]) -> None:
        self.builder = builder
        self.table = builder.table
        self.problems: list[Problem] = []
        self.failed: set[str] = set()  # fields with a reported problem
        self.values: dict[str, object] = {}
        self.subject: Subject | None = None
        self.cls: type[Event] | None = None
        for name, cell in cells.items():
            self._parse(name, cell)

    def _problem(self, field: str, reason: str, reason_code: str, code: str | None = None) -> None:
        code = self.table.code_of(field) or code
        self.problems.append(Problem(field, reason, reason_code, code))
        self.failed.add(field)

    def _reported(self, field: str) -> bool:
        return any(
            field == f or field.startswith(f + ".") or f.startswith(field + ".")
            for f in self.failed
        )

    def _parse(self, name: str, cell: object) -> None:
        column = self.table.by_field(name)
        if column is None:
            self._problem(name, f"is not a field of a {self.table.kind} record", "invalid.field")
            return
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            return
        try:
            self.values[name] = column.parse(cell)
        except ContractError as exc:
            self._problem(name, exc.detail, exc.reason_code)

    def build(self) -> BuiltRow:
        kind = self.values.get("subject_kind")
        subject_kind = kind if isinstance(kind, SubjectKind) else None
        self.cls = self._event_class()
        if self.cls is None:
            return BuiltRow(None, tuple(self.problems), None, subject_kind)
        datum = self._datum(self.cls)
        event = self._validate(self.cls, datum)
        subject_id = datum.get("subject_id")
        return BuiltRow(
            event if not self.problems else None,
            tuple(self.problems),
            subject_id if isinstance(subject_id, str) else None,
            subject_kind,
        )

    def _event_class(self) -> type[Event] | None:
        if self.table.kind is not ImportKind.OBJECTION:
            return _KIND_CLASSES[self.table.kind]
        step = self.values.get("event")
        if not isinstance(step, ObjectionStep):
            if "event" not in self.failed:
                self._problem("event", "is required: filed, upheld or revoked", MISSING)
            return None
        cls = _OBJECTION_CLASSES[step]
        for name in list(self.values):
            if name.split(".")[0] not in cls.model_fields and name not in _META:
                self._problem(
                    name, f"is not part of an objection {step.value} event", "invalid.field"
                )
        needs_record = step is ObjectionStep.CORRECTED and "corrected_record" not in self.values
        if needs_record and not self._reported("corrected_record"):
            self._problem(
                "corrected_record",
                "is required for a correction: give the corrected record as a JSON "
                "object (kind permit or penalty, and its fields) in a JSONL file",
                MISSING,
            )
        return cls

    def _datum(self, cls: type[Event]) -> dict[str, Any]:
        given_department = self.values.get("department_id")
        if given_department is not None and given_department != self.builder.department_id:
            self._problem(
                "department_id",
                f"is {given_department!r}, but this import publishes for "
                f"{self.builder.department_id!r}",
                "invalid.department",
            )
        if "corrected_record" in self.values:
            self.values["corrected_record"] = self._corrected(self.values["corrected_record"])
        datum = _nest(
            {
                k: v.encoded if isinstance(v, _Corrected) else v
                for k, v in self.values.items()
                if v is not None and k not in ("event", "department_id")
            }
        )
        datum["department_id"] = self.builder.department_id
        if self.table.derives_subject and "subject_id" not in self.values:
            self._derive_subject(datum)
        day = self.values.get(_DECISION_DATE.get(cls, "decided_on"))
        if "occurred_at" not in self.values and isinstance(day, date):
            datum["occurred_at"] = occurred_at_of(day)
        if "event_id" not in self.values:
            canonical = {
                k: v.event_id if isinstance(v, _Corrected) else v
                for k, v in self.values.items()
                if k != "department_id"
            }
            datum["event_id"] = event_id_for(
                self.builder.department_id, self.table.kind.value, canonical
            )
        return datum

    def _derive_subject(self, datum: dict[str, Any]) -> None:
        if not isinstance(self.values.get("subject_kind"), SubjectKind):
            return  # not given or not valid: that is reported already
        try:
            self.subject = derive_subject(self.values)
        except ContractError as exc:
            field = exc.field or "subject_id"
            if not self._reported(field):
                self._problem(field, exc.detail, exc.reason_code)
            return
        datum["subject_id"] = self.subject.subject_id
        if self.subject.source in OTHER_CODES and "uscc" not in datum:
            datum["uscc"] = USCC_PLACEHOLDER

    def _corrected(self, value: object) -> _Corrected | None:
        """Build and encode the corrected record of an ObjectionCorrected row."""
        if not isinstance(value, dict):
            return None
        record = dict(value)
        kind = record.pop("kind", None)
        if kind not in (ImportKind.PERMIT.value, ImportKind.PENALTY.value):
            self._problem("corrected_record", 'needs "kind": "permit" or "penalty"', MISSING)
            return None
        builder = EventBuilder(
            self.builder.department_id, kind, self.builder.departments, self.builder.clock
        )
        cells: dict[str, object] = {}
        for key, item in record.items():
            if isinstance(item, dict) and key in builder.table.nested():
                cells.update({f"{key}.{k}": v for k, v in item.items()})
            else:
                cells[key] = item
        built = builder.build(cells)
        for problem in built.problems:
            self.problems.append(
                Problem(
                    f"corrected_record.{problem.field}",
                    problem.reason,
                    problem.reason_code,
                    problem.code,
                )
            )
            self.failed.add("corrected_record")
        if built.event is None:
            return None
        return _Corrected(built.event.event_id, encode_model(built.event))

    def _validate(self, cls: type[Event], datum: dict[str, Any]) -> Event | None:
        try:
            event = to_model(cls, datum)
        except InvalidEventError as exc:
            for problem in exc.problems:
                self._model_problem(problem)
            return None
        if self.problems:
            return None
        try:
            check_plausible(event, self.builder.clock(), self.builder.departments)
        except ContractError as exc:
            self._model_problem(Problem(exc.field or "(event)", exc.detail, exc.reason_code))
            return None
        return event

    def _derived_from(self, field: str) -> str | None:
        """The field a derived field (subject id, decision time) was taken from."""
        if field == "subject_id" and self.table.derives_subject and "subject_id" not in self.values:
            return self.subject.source if self.subject is not None else "uscc"
        if field == "occurred_at" and "occurred_at" not in self.values and self.cls is not None:
            return _DECISION_DATE.get(self.cls, "decided_on")
        return None

    def _model_problem(self, problem: Problem) -> None:
        field, reason, reason_code = problem.field, problem.reason, problem.reason_code
        missing = reason == "Field required"
        source = self._derived_from(field)
        if source is not None:
            if missing:
                return  # what it is derived from is missing or invalid, and reported
            field = source  # the cell the department wrote
            day = self.values.get(source)
            if reason_code == "invalid.future" and isinstance(day, date):
                reason = f"{day.isoformat()} is in the future"
        if self._reported(field):
            return
        if missing:
            reason, reason_code = "is required", MISSING
        self._problem(field, reason, reason_code, problem.code)


@dataclass(frozen=True, slots=True)
class _Corrected:
    """A corrected record: its id (which stands for it in the row's own id) and its bytes."""

    event_id: uuid.UUID
    encoded: bytes
