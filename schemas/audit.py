"""The audit trail of credit checks (``credit.audit.v1``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from schemas.enums import SubjectKind
from schemas.events import to_millis


class CreditCheckAudited(BaseModel):
    """One subject query of the credit-check API: who asked about whom, when, why, what answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: AwareDatetime
    department_id: str
    subject_id: str
    subject_kind: SubjectKind | None = None
    subject_name: str | None = None
    purpose: str
    endpoint: str
    found: bool
    black_list: bool = False
    red_list: bool = False
    grade: str | None = None
    http_status: int
    served_by: str

    @field_validator("occurred_at")
    @classmethod
    def _to_millis(cls, value: datetime) -> datetime:
        return to_millis(value)


__all__ = ["CreditCheckAudited"]
