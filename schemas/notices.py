"""What the platform writes: measure notices, feedback relays and dead letters.

Unlike input events these are not re-validated against identifier rules: a notice to a
department that may not see personal information carries a masked subject id.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from schemas.enums import FeedbackStatus, ListKind, NoticeAction, NoticeCause, SubjectKind
from schemas.events import RecordRef, to_millis


class _Outbound(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator(
        "occurred_at",
        "effective_from",
        "effective_until",
        "feedback_due",
        "reported_at",
        check_fields=False,
    )
    @classmethod
    def _to_millis(cls, value: datetime | None) -> datetime | None:
        return None if value is None else to_millis(value)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: AwareDatetime
    department_id: str  # the addressee
    subject_id: str
    subject_kind: SubjectKind
    subject_name: str


class MeasureNotified(_Outbound):
    """联合奖惩推送 to one implementing department."""

    notice_id: str
    action: NoticeAction
    measure_id: str
    measure_name: str
    list: ListKind
    mandatory: bool
    legal_basis: str
    initiating_department_id: str
    effective_from: AwareDatetime
    effective_until: AwareDatetime | None = None
    feedback_due: AwareDatetime | None = None
    records: tuple[RecordRef, ...] = ()
    reason: str
    cause: NoticeCause = NoticeCause.OTHER


class FeedbackRelayed(_Outbound):
    """An implementing department's feedback, relayed to the initiating department."""

    notice_id: str
    implementing_department_id: str
    measure_id: str
    status: FeedbackStatus
    note: str | None = None
    reported_at: AwareDatetime


class DeadLettered(BaseModel):
    """An input the platform or an importer rejected, kept whole with the reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: AwareDatetime
    department_id: str | None = None

    @field_validator("occurred_at")
    @classmethod
    def _to_millis(cls, value: datetime) -> datetime:
        return to_millis(value)

    subject_id: str | None = None  # masked for natural persons
    source_topic: str
    source_partition: int = -1
    source_offset: Annotated[int, Field(ge=-1)] = -1
    original_key: bytes | None = None
    original_value: bytes | None = None
    reason_code: str
    reason: str
    field: str | None = None
    rejected_by: str
    sealed: bool = False  # original_key/original_value sealed to the operators' key (PII)


__all__ = ["DeadLettered", "FeedbackRelayed", "MeasureNotified"]
