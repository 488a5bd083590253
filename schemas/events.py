"""The events departments publish, as typed, validated models.

Each class shares its name with its Avro record and ``schemas/avro/<Name>.avsc``; the field
names are the Avro field names. Validation here is what every producer and the platform agree
on: an event that passes it is well-formed; whether it is *plausible* (known department, not in
the future) is checked where the clock and the registry are (``schemas.checks``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self, cast

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from schemas.codec import decode, to_model
from schemas.enums import (
    CONFISCATIONS,
    LICENCE_ACTIONS,
    CommendationKind,
    FeedbackStatus,
    IdDocumentType,
    PenaltyCategory,
    PenaltyDomain,
    PermitCategory,
    PermitStatus,
    RepairRoute,
    RepairWay,
    SeriousConduct,
    SubjectKind,
)
from schemas.errors import ContractError, IdentifierError
from schemas.identifiers import (
    USCC_PLACEHOLDER,
    is_masked_resident_id,
    validate_resident_id,
    validate_subject,
    validate_uscc,
)


def InvalidField(field: str, reason: str) -> ContractError:  # noqa: N802  # reads as a class
    """A field-level error raised from a model validator; pydantic keeps it as the cause."""
    return ContractError(reason, field=field)


def to_millis(value: datetime) -> datetime:
    """Avro timestamp-millis keeps milliseconds: drop the rest so a round trip is exact."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


# Bounds keep hostile input (megabyte strings) out; they are generous for real records.
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
DepartmentId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,40}$")]
Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]


class RecordRef(BaseModel):
    """A 双公示 record named by its deciding authority and document number."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    authority_uscc: str
    document_number: Code

    @field_validator("authority_uscc")
    @classmethod
    def _authority(cls, value: str) -> str:
        return validate_uscc(value, "record.authority_uscc")


class Event(BaseModel):
    """Fields every event carries (DESIGN.md, Encoding)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    #: The kind this event is published under (``creditflow.topics.RECORD_TOPICS``).
    topic_kind: ClassVar[str] = ""

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: AwareDatetime
    department_id: DepartmentId
    subject_id: Code
    subject_kind: SubjectKind
    subject_name: Name

    def other_codes(self) -> tuple[str | None, ...]:
        """Codes other than the USCC that may name an organisation without one."""
        return ()

    @field_validator("occurred_at")
    @classmethod
    def _to_millis(cls, value: datetime) -> datetime:
        return to_millis(value)

    @field_validator("subject_id")
    @classmethod
    def _compact_subject_id(cls, value: str) -> str:
        return value.replace(" ", "").replace("-", "").upper()

    @model_validator(mode="after")
    def _check_subject(self) -> Self:
        return self._check_subject_id()

    def _check_subject_id(self) -> Self:
        codes = self.other_codes()
        is_person = self.subject_kind == SubjectKind.NATURAL_PERSON
        if not is_person and not codes and len(self.subject_id) != 18:
            # Outside 双公示 records the other codes are not carried: an organisation without a
            # USCC is named by the code it was first published with, which cannot be checked here.
            return self
        validate_subject(self.subject_kind, self.subject_id, codes)
        return self


class SubjectBlock(Event):
    """The subject block of a 双公示 record (XDR_*, FRDB, FR_*)."""

    uscc: Code | None = None
    registration_number: Code | None = None
    organization_code: Code | None = None
    tax_registration_number: Code | None = None
    institution_certificate_number: Code | None = None
    social_organization_number: Code | None = None
    legal_representative: Name | None = None
    legal_representative_id_type: IdDocumentType | None = None
    legal_representative_id_number: Code | None = None
    id_type: IdDocumentType | None = None
    id_number: Code | None = None

    def other_codes(self) -> tuple[str | None, ...]:
        if self.subject_kind == SubjectKind.NATURAL_PERSON:
            return ()
        return (
            self.registration_number,
            self.organization_code,
            self.tax_registration_number,
            self.institution_certificate_number,
            self.social_organization_number,
        )

    @model_validator(mode="before")
    @classmethod
    def _fill_identity(cls, data: Any) -> Any:
        """Fill the identity fields the subject id already gives, so publishers need not."""
        if not isinstance(data, dict):
            return data
        kind, subject_id = data.get("subject_kind"), data.get("subject_id")
        if not isinstance(subject_id, str):
            return data
        data = dict(data)
        if kind == SubjectKind.NATURAL_PERSON:
            data.setdefault("id_type", IdDocumentType.RESIDENT_ID_CARD)
            if data.get("id_number") is None:
                data["id_number"] = subject_id
        elif data.get("uscc") is None:
            data["uscc"] = subject_id if len(subject_id.strip()) == 18 else USCC_PLACEHOLDER
        return data

    @model_validator(mode="after")
    def _check_identity(self) -> Self:
        if self.subject_kind == SubjectKind.NATURAL_PERSON:
            if self.id_type != IdDocumentType.RESIDENT_ID_CARD:
                raise IdentifierError(
                    "a natural person is published with a 居民身份证 (XDR_ZJLX 01)", field="id_type"
                )
            if validate_resident_id(self.id_number or "", "id_number") != self.subject_id:
                raise IdentifierError("differs from subject_id", field="id_number")
            return self
        if self.uscc == USCC_PLACEHOLDER:
            if not any(self.other_codes()):
                raise IdentifierError(
                    "the no-USCC placeholder needs another code (工商注册号, 组织机构代码, "
                    "税务登记号, 事业单位证书号 or 社会组织登记证号)",
                    field="uscc",
                    reason_code="invalid.uscc",
                )
        elif self.uscc is not None and validate_uscc(self.uscc, "uscc") != self.subject_id:
            raise IdentifierError("differs from subject_id", field="uscc")
        if self.legal_representative_id_type == IdDocumentType.RESIDENT_ID_CARD:
            validate_resident_id(
                self.legal_representative_id_number or "", "legal_representative_id_number"
            )
        return self


class _Decision(SubjectBlock):
    """What permits and penalties share: a decision by an authority, from a data source."""

    document_number: Code
    content: Text
    decided_on: date
    authority_name: Name
    authority_uscc: str
    source_name: Name
    source_uscc: str
    remarks: Text | None = None

    @field_validator("authority_uscc", "source_uscc")
    @classmethod
    def _authority_codes(cls, value: str, info: Any) -> str:
        return validate_uscc(value, info.field_name)

    def ref(self) -> RecordRef:
        return RecordRef(authority_uscc=self.authority_uscc, document_number=self.document_number)


class PermitGranted(_Decision):
    """行政许可 (XK_*)."""

    topic_kind: ClassVar[str] = "permit"

    document_name: Name
    category: PermitCategory
    certificate_name: Name | None = None
    permit_number: Code | None = None
    valid_from: date
    valid_until: date
    status: PermitStatus = PermitStatus.VALID

    @model_validator(mode="after")
    def _check_validity(self) -> Self:
        if self.valid_until < self.valid_from:
            raise InvalidField("valid_until", "is before valid_from")
        return self


class SeriousDishonestyDetermination(BaseModel):
    """认定严重失信主体, made together with a penalty decision."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    conduct: SeriousConduct
    legal_basis: Text
    listing_months: Annotated[int, Field(gt=0, le=1200)] | None = None


class PenaltyImposed(_Decision):
    """行政处罚 (CF_*), with an optional serious-dishonesty determination."""

    topic_kind: ClassVar[str] = "penalty"

    violation_type: Name
    facts: Text
    legal_basis: Text
    categories: Annotated[tuple[PenaltyCategory, ...], Field(min_length=1, max_length=14)]
    fine_amount: Amount | None = None
    confiscated_amount: Amount | None = None
    licence_affected: Name | None = None
    valid_until: date | None = None
    publicity_until: date | None = None
    domain: PenaltyDomain = PenaltyDomain.GENERAL
    serious_dishonesty: SeriousDishonestyDetermination | None = None
    simplified_procedure: bool = False

    @model_validator(mode="after")
    def _check_amounts(self) -> Self:
        categories = set(self.categories)
        if len(categories) != len(self.categories):
            raise InvalidField("categories", "lists a category twice")
        _only_with(self.fine_amount, "fine_amount", PenaltyCategory.FINE in categories, "罚款")
        _only_with(
            self.confiscated_amount,
            "confiscated_amount",
            bool(categories & CONFISCATIONS),
            "没收违法所得 or 没收非法财物",
        )
        _only_with(
            self.licence_affected,
            "licence_affected",
            bool(categories & LICENCE_ACTIONS),
            "暂扣许可证件 or 吊销许可证件",
        )
        return self


def _only_with(value: object, field: str, applies: bool, category: str) -> None:
    if applies and value is None:
        raise InvalidField(field, f"is required with the category {category}")
    if not applies and value is not None:
        raise InvalidField(field, f"is given but the categories do not include {category}")


class CreditRepairDecided(Event):
    """信用修复 decided by the department that determined the record."""

    topic_kind: ClassVar[str] = "repair"

    record: RecordRef
    route: RepairRoute
    way: RepairWay
    decision_number: Code
    decided_on: date
    note: Text | None = None


class CommendationDesignated(Event):
    """诚信典型: a red-list designation with a validity period."""

    topic_kind: ClassVar[str] = "commendation"

    title: Name
    designation: CommendationKind
    document_number: Code
    authority_name: Name
    authority_uscc: str
    valid_from: date
    valid_until: date

    @field_validator("authority_uscc")
    @classmethod
    def _authority(cls, value: str) -> str:
        return validate_uscc(value, "authority_uscc")

    @model_validator(mode="after")
    def _check_validity(self) -> Self:
        if self.valid_until < self.valid_from:
            raise InvalidField("valid_until", "is before valid_from")
        return self

    def ref(self) -> RecordRef:
        return RecordRef(authority_uscc=self.authority_uscc, document_number=self.document_number)


class _Objection(Event):
    topic_kind: ClassVar[str] = "objection"

    objection_id: Code
    record: RecordRef


class ObjectionFiled(_Objection):
    """异议: while it is reviewed, joint punishment resting on the record is suspended."""

    reason: Text
    filed_on: date


class ObjectionUpheld(_Objection):
    """The record stands; suspended measures resume."""

    decided_on: date
    note: Text | None = None


class ObjectionCorrected(_Objection):
    """The record is replaced by ``corrected_record`` (single-object encoded)."""

    decided_on: date
    corrected_record: Annotated[bytes, Field(max_length=1_000_000)]
    note: Text | None = None

    def corrected(self) -> PermitGranted | PenaltyImposed:
        """The corrected record, decoded and checked against the record it replaces."""
        name, datum = decode(self.corrected_record)
        if name not in ("PermitGranted", "PenaltyImposed"):
            raise InvalidField(
                "corrected_record", f"must be a PermitGranted or PenaltyImposed, not {name}"
            )
        record = cast(PermitGranted | PenaltyImposed, to_model(INPUT_EVENTS[name], datum))
        if record.ref() != self.record:
            raise InvalidField("corrected_record", "has another authority or document number")
        if record.subject_id != self.subject_id:
            raise InvalidField("corrected_record", "is about another subject")
        return record

    @model_validator(mode="after")
    def _check_corrected(self) -> Self:
        self.corrected()
        return self


class ObjectionRevoked(_Objection):
    """撤销: the record counts as if it never existed."""

    decided_on: date
    note: Text | None = None


class FeedbackReported(Event):
    """执行反馈 on a measure notice, from the department it was sent to."""

    topic_kind: ClassVar[str] = "feedback"

    notice_id: Code
    status: FeedbackStatus
    note: Text | None = None

    @model_validator(mode="after")
    def _check_subject(self) -> Self:
        # A department without personal information was sent the person's masked id and
        # answers with it; the platform finds the subject by the notice id (and checks the mask).
        if self.subject_kind == SubjectKind.NATURAL_PERSON and is_masked_resident_id(
            self.subject_id
        ):
            return self
        return self._check_subject_id()


#: Events departments publish, by Avro record name.
INPUT_EVENTS: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        PermitGranted,
        PenaltyImposed,
        CreditRepairDecided,
        CommendationDesignated,
        ObjectionFiled,
        ObjectionUpheld,
        ObjectionCorrected,
        ObjectionRevoked,
        FeedbackReported,
    )
}

__all__ = [
    "INPUT_EVENTS",
    "CommendationDesignated",
    "CreditRepairDecided",
    "Event",
    "FeedbackReported",
    "ObjectionCorrected",
    "ObjectionFiled",
    "ObjectionRevoked",
    "ObjectionUpheld",
    "PenaltyImposed",
    "PermitGranted",
    "RecordRef",
    "SeriousDishonestyDetermination",
]
