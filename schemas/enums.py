"""Enumerations fixed by the national standard or the platform; symbols as in the .avsc files."""

from __future__ import annotations

from enum import StrEnum


class SubjectKind(StrEnum):
    """行政相对人类别 (XDR_LB)."""

    LEGAL_PERSON = "LEGAL_PERSON"  # 法人及非法人组织
    INDIVIDUAL_BUSINESS = "INDIVIDUAL_BUSINESS"  # 个体工商户
    NATURAL_PERSON = "NATURAL_PERSON"  # 自然人


class IdDocumentType(StrEnum):
    """证件类型 (XDR_ZJLX / FR_ZJLX): codes 01 to 05."""

    RESIDENT_ID_CARD = "RESIDENT_ID_CARD"  # 01 身份证
    PASSPORT = "PASSPORT"  # 02 护照
    HK_MACAO_PERMIT = "HK_MACAO_PERMIT"  # 03 港澳居民来往内地通行证
    TAIWAN_PERMIT = "TAIWAN_PERMIT"  # 04 台湾居民来往大陆通行证
    FOREIGNER_PERMANENT_RESIDENCE = "FOREIGNER_PERMANENT_RESIDENCE"  # 05 外国人永久居留身份证


class PermitCategory(StrEnum):
    """许可类别 (XK_XKLB)."""

    ORDINARY = "ORDINARY"  # 普通
    FRANCHISE = "FRANCHISE"  # 特许
    ACCREDITATION = "ACCREDITATION"  # 认可
    APPROVAL = "APPROVAL"  # 核准
    REGISTRATION = "REGISTRATION"  # 登记
    OTHER = "OTHER"  # 其他


class PermitStatus(StrEnum):
    """当前状态 (XK_ZT)."""

    VALID = "VALID"  # 1 有效
    INVALID = "INVALID"  # 2 无效


class PenaltyCategory(StrEnum):
    """处罚类别 (CF_CFLB), 行政处罚法 art. 9."""

    WARNING = "WARNING"  # 警告
    CIRCULATED_CRITICISM = "CIRCULATED_CRITICISM"  # 通报批评
    FINE = "FINE"  # 罚款
    CONFISCATION_OF_ILLEGAL_GAINS = "CONFISCATION_OF_ILLEGAL_GAINS"  # 没收违法所得
    CONFISCATION_OF_ILLEGAL_PROPERTY = "CONFISCATION_OF_ILLEGAL_PROPERTY"  # 没收非法财物
    LICENCE_SUSPENDED = "LICENCE_SUSPENDED"  # 暂扣许可证件
    QUALIFICATION_DOWNGRADED = "QUALIFICATION_DOWNGRADED"  # 降低资质等级
    LICENCE_REVOKED = "LICENCE_REVOKED"  # 吊销许可证件
    BUSINESS_RESTRICTED = "BUSINESS_RESTRICTED"  # 限制开展生产经营活动
    PRODUCTION_SUSPENDED = "PRODUCTION_SUSPENDED"  # 责令停产停业
    CLOSURE_ORDERED = "CLOSURE_ORDERED"  # 责令关闭
    EMPLOYMENT_RESTRICTED = "EMPLOYMENT_RESTRICTED"  # 限制从业
    ADMINISTRATIVE_DETENTION = "ADMINISTRATIVE_DETENTION"  # 行政拘留
    OTHER = "OTHER"  # 其他


CONFISCATIONS = frozenset(
    {
        PenaltyCategory.CONFISCATION_OF_ILLEGAL_GAINS,
        PenaltyCategory.CONFISCATION_OF_ILLEGAL_PROPERTY,
    }
)
LICENCE_ACTIONS = frozenset({PenaltyCategory.LICENCE_SUSPENDED, PenaltyCategory.LICENCE_REVOKED})


class PenaltyDomain(StrEnum):
    """The regulatory domain, which sets a penalty's minimum publicity."""

    GENERAL = "GENERAL"
    SPECIAL_EQUIPMENT = "SPECIAL_EQUIPMENT"  # 特种设备
    WORK_SAFETY = "WORK_SAFETY"  # 安全生产
    FIRE_SAFETY = "FIRE_SAFETY"  # 消防


class SeriousConduct(StrEnum):
    """The four kinds of conduct that may ground a serious-dishonesty listing."""

    ENDANGERING_LIFE_AND_HEALTH = "ENDANGERING_LIFE_AND_HEALTH"
    DISRUPTING_MARKET_ORDER = "DISRUPTING_MARKET_ORDER"
    DEFYING_JUDICIAL_OR_ADMINISTRATIVE_CREDIBILITY = (
        "DEFYING_JUDICIAL_OR_ADMINISTRATIVE_CREDIBILITY"
    )
    REFUSING_NATIONAL_DEFENCE_OBLIGATIONS = "REFUSING_NATIONAL_DEFENCE_OBLIGATIONS"


class RepairRoute(StrEnum):
    BLACKLIST_REMOVAL = "BLACKLIST_REMOVAL"  # 移出严重失信主体名单
    PUBLICITY_ENDED_EARLY = "PUBLICITY_ENDED_EARLY"  # 提前停止公示
    OTHER_ADVERSE_INFORMATION = "OTHER_ADVERSE_INFORMATION"  # 修复其他失信信息


class RepairWay(StrEnum):
    OBLIGATIONS_PERFORMED = "OBLIGATIONS_PERFORMED"  # 主动履行义务
    VOLUNTEER_SERVICE = "VOLUNTEER_SERVICE"  # 志愿服务
    CHARITABLE_DONATION = "CHARITABLE_DONATION"  # 慈善捐赠
    CREDIT_TRAINING = "CREDIT_TRAINING"  # 信用培训
    CREDIT_COMMITMENT = "CREDIT_COMMITMENT"  # 信用承诺


class CommendationKind(StrEnum):
    A_GRADE_TAXPAYER = "A_GRADE_TAXPAYER"  # A级纳税人
    CONTRACT_ABIDING = "CONTRACT_ABIDING"  # 守合同重信用
    MORAL_MODEL = "MORAL_MODEL"  # 道德模范
    EXCELLENT_VOLUNTEER = "EXCELLENT_VOLUNTEER"  # 优秀志愿者
    ASSOCIATION_RECOMMENDED = "ASSOCIATION_RECOMMENDED"  # 行业协会推荐
    OTHER = "OTHER"


class FeedbackStatus(StrEnum):
    EXECUTED = "EXECUTED"  # 已执行
    NOT_APPLICABLE = "NOT_APPLICABLE"  # 不适用
    FAILED = "FAILED"  # 执行失败


class ListKind(StrEnum):
    BLACK = "BLACK"  # 严重失信主体名单
    RED = "RED"  # 诚信典型
    THREE_YEAR_CLEAN = "THREE_YEAR_CLEAN"  # 连续三年无不良信用记录


class NoticeAction(StrEnum):
    INITIATE = "INITIATE"  # 发起
    LIFT = "LIFT"  # 解除
    SUSPEND = "SUSPEND"  # 中止 (异议期间)
    RESUME = "RESUME"  # 恢复


class NoticeCause(StrEnum):
    """Why a notice was sent."""

    LISTED = "LISTED"  # 列入严重失信主体名单
    DESIGNATED = "DESIGNATED"  # 认定为诚信典型
    CLEAN = "CLEAN"  # 连续三年无不良信用记录
    EXPIRED = "EXPIRED"  # 期满
    REPAIRED = "REPAIRED"  # 信用修复
    REVOKED = "REVOKED"  # 撤销
    ENDED_BY_PENALTY = "ENDED_BY_PENALTY"  # 受到处罚或列入严重失信名单, 移出红名单
    MEASURE_PERIOD_ENDED = "MEASURE_PERIOD_ENDED"
    OBJECTION_FILED = "OBJECTION_FILED"
    OBJECTION_RESOLVED = "OBJECTION_RESOLVED"
    OTHER = "OTHER"
