"""The registry of the city's departments (``departments.yaml``, overridable by path)."""

from __future__ import annotations

import re
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from stdnum.cn import uscc

from creditflow.errors import ConfigurationError

_ID = re.compile(r"^[a-z][a-z0-9-]{1,40}$")


class Department(BaseModel):
    """A department (部门) that publishes records and implements measures."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Short id, used in topic names")
    uscc: str = Field(description="The department's 统一社会信用代码")
    name: str
    name_en: str = ""
    personal_information: bool = Field(
        default=False, description="Whether its notices carry natural persons' data unmasked"
    )

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be lower-case letters, digits and '-', 2 to 41 characters")
        return value

    @field_validator("uscc")
    @classmethod
    def _check_uscc(cls, value: str) -> str:
        if not uscc.is_valid(value):
            raise ValueError(f"{value!r} is not a valid 统一社会信用代码")
        return str(uscc.compact(value))


class DepartmentRegistry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    departments: tuple[Department, ...]

    @cached_property
    def _by_id(self) -> dict[str, Department]:
        # Looked up for every event a worker validates: a dict, not a scan.
        return {d.id: d for d in self.departments}

    def ids(self) -> list[str]:
        return [d.id for d in self.departments]

    def get(self, department_id: str) -> Department | None:
        return self._by_id.get(department_id)

    def __contains__(self, department_id: object) -> bool:
        return department_id in self._by_id


def load_departments(path: Path | None = None) -> DepartmentRegistry:
    """Read the registry from ``path``, or the one shipped with creditflow."""
    if path is None:
        return _default_registry()
    return _parse(path.read_text(encoding="utf-8"), str(path))


@cache
def _default_registry() -> DepartmentRegistry:
    text = resources.files("creditflow").joinpath("departments.yaml").read_text(encoding="utf-8")
    return _parse(text, "creditflow/departments.yaml")


def _parse(text: str, source: str) -> DepartmentRegistry:
    try:
        registry = DepartmentRegistry.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigurationError(f"invalid department registry {source}: {exc}") from exc
    ids = registry.ids()
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigurationError(
            f"invalid department registry {source}: duplicate ids {duplicates}"
        )
    return registry
