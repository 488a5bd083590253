"""Valid sample events, one builder per kind; tests change what they test with ``**fields``."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from schemas.audit import CreditCheckAudited
from schemas.codec import encode_model
from schemas.events import (
    CommendationDesignated,
    CreditRepairDecided,
    FeedbackReported,
    ObjectionCorrected,
    ObjectionFiled,
    ObjectionRevoked,
    ObjectionUpheld,
    PenaltyImposed,
    PermitGranted,
    RecordRef,
    SeriousDishonestyDetermination,
)
from schemas.notices import DeadLettered, FeedbackRelayed, MeasureNotified

COMPANY = "91110108551385082Q"
OTHER_COMPANY = "91310115MA1K3BTP2B"
PERSON = "110102199101010078"
MARKET = "113212007048946933"  # 市市场监督管理局 in the default registry
TAX = "11321200541256704H"
WHEN = datetime(2024, 3, 1, 2, 30, tzinfo=UTC)
DAY = date(2024, 3, 1)


def _subject(subject_id: str) -> dict[str, Any]:
    if subject_id == PERSON:
        return {"subject_id": PERSON, "subject_kind": "NATURAL_PERSON", "subject_name": "张三"}
    return {
        "subject_id": subject_id,
        "subject_kind": "LEGAL_PERSON",
        "subject_name": "泰州某某有限公司",
    }


def penalty(subject_id: str = COMPANY, serious: bool = False, **fields: Any) -> PenaltyImposed:
    data: dict[str, Any] = {
        "occurred_at": WHEN,
        "department_id": "market-regulation",
        **_subject(subject_id),
        "document_number": "泰市监处罚〔2024〕101号",
        "violation_type": "虚假宣传",
        "facts": "在商品包装上作虚假宣传",
        "legal_basis": "《中华人民共和国反不正当竞争法》第二十条",
        "categories": ["WARNING", "FINE"],
        "content": "警告，罚款人民币贰万元",
        "fine_amount": Decimal("2"),
        "decided_on": DAY,
        "authority_name": "泰州市市场监督管理局",
        "authority_uscc": MARKET,
        "source_name": "泰州市市场监督管理局",
        "source_uscc": MARKET,
    }
    if serious:
        data["serious_dishonesty"] = SeriousDishonestyDetermination(
            conduct="DISRUPTING_MARKET_ORDER",
            legal_basis="《市场监督管理严重违法失信名单管理办法》第二条",
        )
    data.update(fields)
    return PenaltyImposed.model_validate(data)


def permit(subject_id: str = COMPANY, **fields: Any) -> PermitGranted:
    data: dict[str, Any] = {
        "occurred_at": WHEN,
        "department_id": "market-regulation",
        **_subject(subject_id),
        "document_name": "食品经营许可决定书",
        "document_number": "泰市监许〔2024〕7号",
        "category": "ORDINARY",
        "certificate_name": "食品经营许可证",
        "permit_number": "JY13212000000001",
        "content": "预包装食品销售",
        "decided_on": DAY,
        "valid_from": DAY,
        "valid_until": date(2029, 2, 28),
        "authority_name": "泰州市市场监督管理局",
        "authority_uscc": MARKET,
        "source_name": "泰州市市场监督管理局",
        "source_uscc": MARKET,
    }
    data.update(fields)
    return PermitGranted.model_validate(data)


def ref(document_number: str = "泰市监处罚〔2024〕101号") -> RecordRef:
    return RecordRef(authority_uscc=MARKET, document_number=document_number)


def repair(subject_id: str = COMPANY, **fields: Any) -> CreditRepairDecided:
    data: dict[str, Any] = {
        "occurred_at": WHEN,
        "department_id": "market-regulation",
        **_subject(subject_id),
        "record": ref(),
        "route": "PUBLICITY_ENDED_EARLY",
        "way": "CREDIT_COMMITMENT",
        "decision_number": "泰市监信修〔2024〕3号",
        "decided_on": DAY,
    }
    data.update(fields)
    return CreditRepairDecided.model_validate(data)


def commendation(subject_id: str = COMPANY, **fields: Any) -> CommendationDesignated:
    data: dict[str, Any] = {
        "occurred_at": WHEN,
        "department_id": "tax",
        **_subject(subject_id),
        "title": "2023年度A级纳税人",
        "designation": "A_GRADE_TAXPAYER",
        "document_number": "泰税〔2024〕12号",
        "authority_name": "国家税务总局泰州市税务局",
        "authority_uscc": TAX,
        "valid_from": DAY,
        "valid_until": date(2025, 2, 28),
    }
    data.update(fields)
    return CommendationDesignated.model_validate(data)


def _objection(**fields: Any) -> dict[str, Any]:
    return {
        "occurred_at": WHEN,
        "department_id": "market-regulation",
        **_subject(fields.pop("subject_id", COMPANY)),
        "objection_id": "YY-2024-0001",
        "record": ref(),
        **fields,
    }


def objection_filed(**fields: Any) -> ObjectionFiled:
    return ObjectionFiled.model_validate(
        _objection(reason="处罚决定已被复议撤销", filed_on=DAY, **fields)
    )


def objection_upheld(**fields: Any) -> ObjectionUpheld:
    return ObjectionUpheld.model_validate(_objection(decided_on=DAY, **fields))


def objection_revoked(**fields: Any) -> ObjectionRevoked:
    return ObjectionRevoked.model_validate(_objection(decided_on=DAY, **fields))


def objection_corrected(**fields: Any) -> ObjectionCorrected:
    corrected = penalty(fine_amount=Decimal("1.5"), content="警告，罚款人民币壹万伍仟元")
    return ObjectionCorrected.model_validate(
        _objection(decided_on=DAY, corrected_record=encode_model(corrected), **fields)
    )


def feedback(**fields: Any) -> FeedbackReported:
    data: dict[str, Any] = {
        "occurred_at": WHEN,
        "department_id": "finance",
        **_subject(COMPANY),
        "notice_id": "n-0123456789abcdef",
        "status": "EXECUTED",
        "note": "已限制参加政府采购",
    }
    data.update(fields)
    return FeedbackReported.model_validate(data)


def measure_notified(**fields: Any) -> MeasureNotified:
    data: dict[str, Any] = {
        "occurred_at": WHEN,
        "department_id": "finance",
        **_subject(COMPANY),
        "notice_id": "n-0123456789abcdef",
        "action": "INITIATE",
        "measure_id": "B01",
        "measure_name": "限制参与政府采购",
        "list": "BLACK",
        "mandatory": True,
        "legal_basis": "《政府采购法》第二十二条",
        "initiating_department_id": "market-regulation",
        "effective_from": WHEN,
        "effective_until": datetime(2027, 3, 1, tzinfo=UTC),
        "feedback_due": datetime(2024, 3, 8, tzinfo=UTC),
        "records": [ref()],
        "reason": "列入严重失信主体名单",
    }
    data.update(fields)
    return MeasureNotified.model_validate(data)


def feedback_relayed(**fields: Any) -> FeedbackRelayed:
    data: dict[str, Any] = {
        "occurred_at": WHEN,
        "department_id": "market-regulation",
        **_subject(COMPANY),
        "notice_id": "n-0123456789abcdef",
        "implementing_department_id": "finance",
        "measure_id": "B01",
        "status": "EXECUTED",
        "reported_at": WHEN,
    }
    data.update(fields)
    return FeedbackRelayed.model_validate(data)


def dead_lettered(**fields: Any) -> DeadLettered:
    data: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "occurred_at": WHEN,
        "source_topic": "credit.penalty.v1",
        "source_partition": 3,
        "source_offset": 42,
        "original_key": b"91110108551385082Q",
        "original_value": b"\xc3\x01garbage",
        "reason_code": "decode.corrupt",
        "reason": "corrupt body",
        "rejected_by": "worker-1",
    }
    data.update(fields)
    return DeadLettered.model_validate(data)


def credit_check_audited(**fields: Any) -> CreditCheckAudited:
    data: dict[str, Any] = {
        "occurred_at": WHEN,
        "department_id": "finance",
        "subject_id": COMPANY,
        "subject_kind": "LEGAL_PERSON",
        "purpose": "政府采购",
        "endpoint": "subject",
        "found": True,
        "black_list": True,
        "red_list": False,
        "grade": "D",
        "http_status": 200,
        "served_by": "worker-1",
    }
    data.update(fields)
    return CreditCheckAudited.model_validate(data)


#: One valid instance of every model, by schema name.
SAMPLES = {
    "PermitGranted": permit,
    "PenaltyImposed": lambda: penalty(serious=True),
    "CreditRepairDecided": repair,
    "CommendationDesignated": commendation,
    "ObjectionFiled": objection_filed,
    "ObjectionUpheld": objection_upheld,
    "ObjectionCorrected": objection_corrected,
    "ObjectionRevoked": objection_revoked,
    "FeedbackReported": feedback,
    "MeasureNotified": measure_notified,
    "FeedbackRelayed": feedback_relayed,
    "DeadLettered": dead_lettered,
    "CreditCheckAudited": credit_check_audited,
}
