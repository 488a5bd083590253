"""The policy (``policy.yaml``): periods, score, grades and the measures list, as data."""

from __future__ import annotations

from datetime import timedelta, timezone
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from creditflow.departments import DepartmentRegistry
from creditflow.errors import ConfigurationError
from schemas.enums import ListKind, PenaltyCategory, PenaltyDomain, SubjectKind

Months = Annotated[int, Field(ge=0, le=1200)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Period(_Strict):
    min_months: Months
    max_months: Months

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.max_months < self.min_months:
            raise ValueError("max_months is below min_months")
        return self


class Publicity(_Strict):
    ordinary: Period
    serious: Period
    domain_min_months: dict[PenaltyDomain, Months] = {}
    unpublished_categories: frozenset[PenaltyCategory] = frozenset()
    publish_simplified_procedure: bool = False


class BlackList(_Strict):
    default_listing_months: Annotated[int, Field(gt=0, le=1200)]
    early_removal_min_months: Months


class RedList(_Strict):
    ended_by_penalty: bool = True


class ThreeYearClean(_Strict):
    years: Annotated[int, Field(gt=0, le=50)] = 3
    initiating_department: str = "credit-office"


class Feedback(_Strict):
    deadline_hours: Annotated[float, Field(gt=0)]

    @property
    def deadline(self) -> timedelta:
        return timedelta(hours=self.deadline_hours)


class Grade(_Strict):
    grade: Annotated[str, Field(min_length=1, max_length=4)]
    min_score: int
    label: str = ""


class Score(_Strict):
    base: int
    ordinary_penalty: int
    serious_penalty: int
    black_listed: int
    commendation: int
    three_year_clean: int
    minimum: int = 0
    maximum: int = 100
    grades: Annotated[tuple[Grade, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _grades_descend(self) -> Score:
        floors = [g.min_score for g in self.grades]
        if floors != sorted(floors, reverse=True):
            raise ValueError("grades must be listed from the highest min_score down")
        if floors[-1] > self.minimum:
            raise ValueError("the lowest grade must accept the minimum score")
        return self


class Measure(_Strict):
    """One entry of the measures list (奖惩措施清单)."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    name: Annotated[str, Field(min_length=1)]
    list: ListKind
    mandatory: bool
    departments: Annotated[tuple[str, ...], Field(min_length=1)]
    legal_basis: Annotated[str, Field(min_length=1)]
    period_months: Annotated[int, Field(gt=0, le=1200)] | None = None
    subject_kinds: frozenset[SubjectKind] = frozenset()

    def applies_to(self, kind: str) -> bool:
        return not self.subject_kinds or kind in self.subject_kinds


class Policy(_Strict):
    version: Literal[1]
    utc_offset_hours: Annotated[int, Field(ge=-12, le=14)] = 8
    publicity: Publicity
    black_list: BlackList
    red_list: RedList = RedList()
    three_year_clean: ThreeYearClean = ThreeYearClean()
    feedback: Feedback
    score: Score
    measures: tuple[Measure, ...]

    @cached_property
    def tz(self) -> timezone:
        return timezone(timedelta(hours=self.utc_offset_hours))

    def measures_for(self, list_kind: ListKind, kind: str) -> list[Measure]:
        return [m for m in self.measures if m.list == list_kind and m.applies_to(kind)]

    def measure(self, measure_id: str) -> Measure | None:
        return next((m for m in self.measures if m.id == measure_id), None)

    def check_departments(self, departments: DepartmentRegistry, source: str) -> None:
        """Every implementing department must exist; refuse the policy otherwise."""
        for index, measure in enumerate(self.measures):
            unknown = [d for d in measure.departments if d not in departments]
            if unknown:
                raise ConfigurationError(
                    f"invalid policy {source}: measures[{index}] ({measure.id}) names unknown "
                    f"departments {unknown}"
                )
        if self.three_year_clean.initiating_department not in departments:
            raise ConfigurationError(
                f"invalid policy {source}: three_year_clean.initiating_department "
                f"{self.three_year_clean.initiating_department!r} is not a known department"
            )
        ids = [m.id for m in self.measures]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ConfigurationError(f"invalid policy {source}: duplicate measure ids {duplicates}")


def load_policy(path: Path | None, departments: DepartmentRegistry) -> Policy:
    """Read and check the policy; a bad file is a ConfigurationError naming the bad entry."""
    if path is None:
        source = "streams/policy.yaml (default)"
        text = resources.files("streams").joinpath("policy.yaml").read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot read policy {source}: {exc}") from exc
    try:
        policy = Policy.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"invalid policy {source}: not YAML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ConfigurationError(
            f"invalid policy {source}: {where}: {first['msg']} ({exc.error_count()} problems)"
        ) from exc
    policy.check_departments(departments, source)
    return policy
