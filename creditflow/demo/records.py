"""The events of the simulated city, built as departments publish them (validated models).

Document numbers are unique per authority (泰市监处罚〔2023〕17号): the builder counts them.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from creditflow.demo.catalog import ABBREVIATIONS, CommendationType, PenaltyType, PermitType
from creditflow.departments import Department, DepartmentRegistry
from schemas.codec import encode_model
from schemas.enums import PenaltyCategory, RepairRoute, RepairWay, SubjectKind
from schemas.events import (
    CommendationDesignated,
    CreditRepairDecided,
    ObjectionCorrected,
    ObjectionFiled,
    ObjectionRevoked,
    ObjectionUpheld,
    PenaltyImposed,
    PermitGranted,
    SeriousDishonestyDetermination,
)
from streams.rules.calendar import add_months

LONG_TERM = date(2099, 12, 31)


@dataclass(frozen=True, slots=True)
class Subject:
    """A 信用主体 of the simulated city."""

    id: str
    kind: SubjectKind
    name: str
    legal_representative: str | None = None


def last_day(first: date, years: int) -> date:
    """The last day of a validity of ``years`` years starting on ``first``."""
    return add_months(first, 12 * years) - timedelta(days=1)


def _wan(amount: Decimal) -> str:
    return f"{amount.normalize():f}万元"


class RecordBuilder:
    """Builds each kind of event; event ids come from the seeded generator, so a run repeats."""

    def __init__(self, departments: DepartmentRegistry, rng: random.Random) -> None:
        self._departments = departments
        self._rng = rng
        self._numbers: Counter[tuple[str, str, int]] = Counter()

    def _department(self, department_id: str) -> Department:
        department = self._departments.get(department_id)
        if department is None:
            raise ValueError(f"the demo names an unknown department {department_id!r}")
        return department

    def _number(self, department_id: str, what: str, year: int) -> str:
        self._numbers[(department_id, what, year)] += 1
        count = self._numbers[(department_id, what, year)]
        return f"{ABBREVIATIONS[department_id]}{what}〔{year}〕{count}号"

    def _base(self, subject: Subject, department_id: str, at: datetime) -> dict[str, Any]:
        return {
            "event_id": uuid.UUID(int=self._rng.getrandbits(128), version=4),
            "occurred_at": at,
            "department_id": department_id,
            "subject_id": subject.id,
            "subject_kind": subject.kind,
            "subject_name": subject.name,
        }

    def _decision(self, subject: Subject, department_id: str, day: date) -> dict[str, Any]:
        department = self._department(department_id)
        fields: dict[str, Any] = {
            "decided_on": day,
            "authority_name": department.name,
            "authority_uscc": department.uscc,
            "source_name": department.name,
            "source_uscc": department.uscc,
        }
        if subject.legal_representative:
            fields["legal_representative"] = subject.legal_representative
        return fields

    def permit(self, subject: Subject, kind: PermitType, day: date, at: datetime) -> PermitGranted:
        until = LONG_TERM if kind.years is None else last_day(day, kind.years)
        return PermitGranted.model_validate(
            {
                **self._base(subject, kind.department, at),
                **self._decision(subject, kind.department, day),
                "document_name": kind.document_name,
                "document_number": self._number(kind.department, "许", day.year),
                "category": kind.category,
                "certificate_name": kind.certificate,
                "content": kind.content,
                "valid_from": day,
                "valid_until": until,
            }
        )

    def penalty(
        self,
        subject: Subject,
        kind: PenaltyType,
        day: date,
        at: datetime,
        listing_months: int | None = None,
    ) -> PenaltyImposed:
        fields: dict[str, Any] = {
            **self._base(subject, kind.department, at),
            **self._decision(subject, kind.department, day),
            "document_number": self._number(kind.department, "罚", day.year),
            "violation_type": kind.violation,
            "facts": kind.facts,
            "legal_basis": kind.legal_basis,
            "categories": kind.categories,
            "domain": kind.domain,
            "simplified_procedure": kind.simplified,
        }
        fields.update(self._amounts(kind))
        if kind.conduct is not None:
            fields["serious_dishonesty"] = SeriousDishonestyDetermination(
                conduct=kind.conduct,
                legal_basis=kind.determination_basis,
                listing_months=listing_months,
            )
        return PenaltyImposed.model_validate(fields)

    def _amounts(self, kind: PenaltyType) -> dict[str, Any]:
        words = {
            PenaltyCategory.WARNING: "警告",
            PenaltyCategory.ADMINISTRATIVE_DETENTION: "行政拘留十日",
            PenaltyCategory.PRODUCTION_SUSPENDED: "责令停产停业整顿",
            PenaltyCategory.QUALIFICATION_DOWNGRADED: "降低资质等级",
            PenaltyCategory.OTHER: "纳入失信被执行人名单",
        }
        fields: dict[str, Any] = {}
        content = [words[c] for c in kind.categories if c in words]
        categories = set(kind.categories)
        if PenaltyCategory.FINE in categories:
            # Simplified-procedure (简易程序) fines are small: at most 0.2 万元 here.
            fine = Decimal(self._rng.randrange(2, 3 if kind.simplified else 300)) / 10
            fields["fine_amount"] = fine
            content.append(f"罚款{_wan(fine)}")
        if PenaltyCategory.CONFISCATION_OF_ILLEGAL_GAINS in categories:
            gains = Decimal(self._rng.randrange(1, 100)) / 10
            fields["confiscated_amount"] = gains
            content.append(f"没收违法所得{_wan(gains)}")
        if PenaltyCategory.LICENCE_REVOKED in categories:
            fields["licence_affected"] = "食品经营许可证"
            content.append("吊销食品经营许可证")
        fields["content"] = "，".join(content)
        return fields

    def repair(
        self, penalty: PenaltyImposed, route: RepairRoute, way: RepairWay, day: date, at: datetime
    ) -> CreditRepairDecided:
        subject = Subject(penalty.subject_id, penalty.subject_kind, penalty.subject_name)
        return CreditRepairDecided.model_validate(
            {
                **self._base(subject, penalty.department_id, at),
                "record": penalty.ref(),
                "route": route,
                "way": way,
                "decision_number": self._number(penalty.department_id, "信修", day.year),
                "decided_on": day,
            }
        )

    def commendation(
        self, subject: Subject, kind: CommendationType, day: date, at: datetime
    ) -> CommendationDesignated:
        department = self._department(kind.department)
        until = last_day(day, kind.years)
        return CommendationDesignated.model_validate(
            {
                **self._base(subject, kind.department, at),
                "title": kind.title.format(year=day.year - 1),
                "designation": kind.designation,
                "document_number": self._number(kind.department, "信", day.year),
                "authority_name": department.name,
                "authority_uscc": department.uscc,
                "valid_from": day,
                "valid_until": until,
            }
        )

    def objection(
        self, penalty: PenaltyImposed, step: str, day: date, at: datetime
    ) -> ObjectionFiled | ObjectionUpheld | ObjectionRevoked | ObjectionCorrected:
        """One step of an objection to ``penalty``: FILED, UPHELD, REVOKED or CORRECTED."""
        subject = Subject(penalty.subject_id, penalty.subject_kind, penalty.subject_name)
        fields = {
            **self._base(subject, penalty.department_id, at),
            "objection_id": f"YY-{penalty.document_number}",
            "record": penalty.ref(),
        }
        if step == "FILED":
            return ObjectionFiled.model_validate(
                {**fields, "reason": "认为处罚所依据的事实认定有误", "filed_on": day}
            )
        if step == "UPHELD":
            return ObjectionUpheld.model_validate(
                {**fields, "decided_on": day, "note": "经核实，原记录无误"}
            )
        if step == "REVOKED":
            return ObjectionRevoked.model_validate(
                {**fields, "decided_on": day, "note": "原处罚决定已被行政复议撤销"}
            )
        return ObjectionCorrected.model_validate(
            {
                **fields,
                "decided_on": day,
                "corrected_record": encode_model(self._corrected(penalty)),
                "note": "罚款金额更正",
            }
        )

    def _corrected(self, penalty: PenaltyImposed) -> PenaltyImposed:
        fine = (penalty.fine_amount or Decimal(1)) / 2
        return PenaltyImposed.model_validate(
            {
                **penalty.model_dump(),
                "event_id": uuid.UUID(int=self._rng.getrandbits(128), version=4),
                "fine_amount": fine,
                "content": f"{penalty.content}（更正：罚款{_wan(fine)}）",
            }
        )
