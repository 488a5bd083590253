"""The contract's enumerations by the names departments write: Chinese names, numeric codes
or the Avro symbols (``罚款`` = ``FINE``; ``01`` = ``身份证`` = ``RESIDENT_ID_CARD``).

The first name of each member is how messages show it.
"""

from __future__ import annotations

import re
from enum import Enum

from producers.parsing import Choice, as_text
from schemas.enums import (
    CommendationKind,
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
from schemas.errors import ContractError

SUBJECT_KINDS = Choice(
    "行政相对人类别",
    {
        "法人及非法人组织": SubjectKind.LEGAL_PERSON,
        "法人和非法人组织": SubjectKind.LEGAL_PERSON,
        "法人": SubjectKind.LEGAL_PERSON,
        "非法人组织": SubjectKind.LEGAL_PERSON,
        "个体工商户": SubjectKind.INDIVIDUAL_BUSINESS,
        "自然人": SubjectKind.NATURAL_PERSON,
    },
    "invalid.subject_kind",
)

ID_TYPES = Choice(
    "证件类型",
    {
        "身份证": IdDocumentType.RESIDENT_ID_CARD,
        "居民身份证": IdDocumentType.RESIDENT_ID_CARD,
        "01": IdDocumentType.RESIDENT_ID_CARD,
        "1": IdDocumentType.RESIDENT_ID_CARD,
        "护照": IdDocumentType.PASSPORT,
        "02": IdDocumentType.PASSPORT,
        "2": IdDocumentType.PASSPORT,
        "港澳居民来往内地通行证": IdDocumentType.HK_MACAO_PERMIT,
        "港澳通行证": IdDocumentType.HK_MACAO_PERMIT,
        "03": IdDocumentType.HK_MACAO_PERMIT,
        "3": IdDocumentType.HK_MACAO_PERMIT,
        "台湾居民来往大陆通行证": IdDocumentType.TAIWAN_PERMIT,
        "台胞证": IdDocumentType.TAIWAN_PERMIT,
        "04": IdDocumentType.TAIWAN_PERMIT,
        "4": IdDocumentType.TAIWAN_PERMIT,
        "外国人永久居留身份证": IdDocumentType.FOREIGNER_PERMANENT_RESIDENCE,
        "外国人永久居留证": IdDocumentType.FOREIGNER_PERMANENT_RESIDENCE,
        "05": IdDocumentType.FOREIGNER_PERMANENT_RESIDENCE,
        "5": IdDocumentType.FOREIGNER_PERMANENT_RESIDENCE,
    },
    "invalid.id_type",
)

PERMIT_CATEGORIES = Choice(
    "许可类别",
    {
        "普通": PermitCategory.ORDINARY,
        "特许": PermitCategory.FRANCHISE,
        "认可": PermitCategory.ACCREDITATION,
        "核准": PermitCategory.APPROVAL,
        "登记": PermitCategory.REGISTRATION,
        "其他": PermitCategory.OTHER,
        "其它": PermitCategory.OTHER,
    },
    "invalid.permit_category",
)

PERMIT_STATUSES = Choice(
    "当前状态",
    {
        "有效": PermitStatus.VALID,
        "1": PermitStatus.VALID,
        "无效": PermitStatus.INVALID,
        "2": PermitStatus.INVALID,
    },
    "invalid.permit_status",
)

PENALTY_CATEGORY = Choice(
    "处罚类别",
    {
        "警告": PenaltyCategory.WARNING,
        "通报批评": PenaltyCategory.CIRCULATED_CRITICISM,
        "罚款": PenaltyCategory.FINE,
        "没收违法所得": PenaltyCategory.CONFISCATION_OF_ILLEGAL_GAINS,
        "没收非法财物": PenaltyCategory.CONFISCATION_OF_ILLEGAL_PROPERTY,
        "暂扣许可证件": PenaltyCategory.LICENCE_SUSPENDED,
        "降低资质等级": PenaltyCategory.QUALIFICATION_DOWNGRADED,
        "吊销许可证件": PenaltyCategory.LICENCE_REVOKED,
        "限制开展生产经营活动": PenaltyCategory.BUSINESS_RESTRICTED,
        "责令停产停业": PenaltyCategory.PRODUCTION_SUSPENDED,
        "责令关闭": PenaltyCategory.CLOSURE_ORDERED,
        "限制从业": PenaltyCategory.EMPLOYMENT_RESTRICTED,
        "行政拘留": PenaltyCategory.ADMINISTRATIVE_DETENTION,
        "其他": PenaltyCategory.OTHER,
        "其它": PenaltyCategory.OTHER,
    },
    "invalid.category",
)

_CATEGORY_SEPARATORS = re.compile(r"[;；、,，]")


def parse_categories(value: object) -> tuple[PenaltyCategory, ...]:
    """处罚类别: one or more, separated by ; ； 、 , ，  (or a JSON list)."""
    parts = (
        [as_text(item) for item in value]
        if isinstance(value, list | tuple)
        else _CATEGORY_SEPARATORS.split(as_text(value))
    )
    categories = tuple(PENALTY_CATEGORY.lookup(part) for part in parts if part.strip())
    if not categories:
        raise ContractError("names no 处罚类别", reason_code="invalid.category")
    return categories


PENALTY_DOMAINS = Choice(
    "领域",
    {
        "一般": PenaltyDomain.GENERAL,
        "通用": PenaltyDomain.GENERAL,
        "特种设备": PenaltyDomain.SPECIAL_EQUIPMENT,
        "安全生产": PenaltyDomain.WORK_SAFETY,
        "消防": PenaltyDomain.FIRE_SAFETY,
    },
    "invalid.domain",
)

SERIOUS_CONDUCTS = Choice(
    "严重失信行为类型",
    {
        "危害生命健康": SeriousConduct.ENDANGERING_LIFE_AND_HEALTH,
        "严重危害人民群众身体健康和生命安全": SeriousConduct.ENDANGERING_LIFE_AND_HEALTH,
        "破坏市场秩序": SeriousConduct.DISRUPTING_MARKET_ORDER,
        "严重破坏市场公平竞争秩序和社会正常秩序": SeriousConduct.DISRUPTING_MARKET_ORDER,
        "拒不履行法定义务": SeriousConduct.DEFYING_JUDICIAL_OR_ADMINISTRATIVE_CREDIBILITY,
        "拒不履行法定义务，严重影响司法机关、行政机关公信力": (
            SeriousConduct.DEFYING_JUDICIAL_OR_ADMINISTRATIVE_CREDIBILITY
        ),
        "拒不履行国防义务": SeriousConduct.REFUSING_NATIONAL_DEFENCE_OBLIGATIONS,
    },
    "invalid.serious_conduct",
)

REPAIR_ROUTES = Choice(
    "修复类型",
    {
        "移出严重失信主体名单": RepairRoute.BLACKLIST_REMOVAL,
        "提前停止公示": RepairRoute.PUBLICITY_ENDED_EARLY,
        "提前停止公示行政处罚": RepairRoute.PUBLICITY_ENDED_EARLY,
        "修复其他失信信息": RepairRoute.OTHER_ADVERSE_INFORMATION,
    },
    "invalid.repair_route",
)

REPAIR_WAYS = Choice(
    "修复方式",
    {
        "主动履行义务": RepairWay.OBLIGATIONS_PERFORMED,
        "履行义务": RepairWay.OBLIGATIONS_PERFORMED,
        "志愿服务": RepairWay.VOLUNTEER_SERVICE,
        "慈善捐赠": RepairWay.CHARITABLE_DONATION,
        "信用培训": RepairWay.CREDIT_TRAINING,
        "信用承诺": RepairWay.CREDIT_COMMITMENT,
    },
    "invalid.repair_way",
)

COMMENDATION_KINDS = Choice(
    "诚信典型类别",
    {
        "A级纳税人": CommendationKind.A_GRADE_TAXPAYER,
        "守合同重信用": CommendationKind.CONTRACT_ABIDING,
        "守合同重信用企业": CommendationKind.CONTRACT_ABIDING,
        "道德模范": CommendationKind.MORAL_MODEL,
        "优秀志愿者": CommendationKind.EXCELLENT_VOLUNTEER,
        "行业协会推荐": CommendationKind.ASSOCIATION_RECOMMENDED,
        "其他": CommendationKind.OTHER,
        "其它": CommendationKind.OTHER,
    },
    "invalid.designation",
)


class ObjectionStep(Enum):
    """Which objection event a row is: the step of the case it records."""

    FILED = "filed"  # 提出
    UPHELD = "upheld"  # 维持
    CORRECTED = "corrected"  # 更正
    REVOKED = "revoked"  # 撤销


OBJECTION_STEPS = Choice(
    "异议事件",
    {
        "提出": ObjectionStep.FILED,
        "异议提出": ObjectionStep.FILED,
        "维持": ObjectionStep.UPHELD,
        "更正": ObjectionStep.CORRECTED,
        "撤销": ObjectionStep.REVOKED,
    },
    "invalid.objection_event",
)
