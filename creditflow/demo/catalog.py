"""What the simulated city's departments decide: the kinds of permits, penalties and
designations each one publishes, with realistic names, legal bases and validity periods."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from schemas.enums import (
    CommendationKind,
    PenaltyCategory,
    PenaltyDomain,
    PermitCategory,
    SeriousConduct,
    SubjectKind,
)

LP, IB, NP = SubjectKind.LEGAL_PERSON, SubjectKind.INDIVIDUAL_BUSINESS, SubjectKind.NATURAL_PERSON
ORGANISATIONS = (LP, IB)

#: Short names used in document numbers (e.g. 泰市监处罚〔2023〕17号), by department id.
ABBREVIATIONS = {
    "credit-office": "泰发改信用",
    "market-regulation": "泰市监",
    "tax": "泰税",
    "court": "泰中法",
    "finance": "泰财",
    "natural-resources": "泰自然资规",
    "housing": "泰建",
    "transport": "泰交",
    "water": "泰水",
    "banking": "泰银",
    "public-trading": "泰公管",
    "approvals": "泰行审",
    "police": "泰公",
    "civilisation": "泰文明",
    "emergency": "泰应急",
    "ecology": "泰环",
}


@dataclass(frozen=True, slots=True)
class PermitType:
    department: str
    document_name: str
    category: PermitCategory
    certificate: str | None
    content: str
    years: int | None  # None: long-term (有效期至 2099-12-31)
    kinds: tuple[SubjectKind, ...]


@dataclass(frozen=True, slots=True)
class PenaltyType:
    department: str
    violation: str
    facts: str
    legal_basis: str
    categories: tuple[PenaltyCategory, ...]
    kinds: tuple[SubjectKind, ...]
    domain: PenaltyDomain = PenaltyDomain.GENERAL
    simplified: bool = False
    conduct: SeriousConduct | None = None  # set: a serious-dishonesty determination
    determination_basis: str = ""


@dataclass(frozen=True, slots=True)
class CommendationType:
    department: str
    title: str  # {year}: the year designated
    designation: CommendationKind
    years: int
    kinds: tuple[SubjectKind, ...]


PC, C = PermitCategory, PenaltyCategory

PERMITS = (
    PermitType("market-regulation", "食品经营许可决定书", PC.ORDINARY, "食品经营许可证",
               "预包装食品销售、热食类食品制售", 5, ORGANISATIONS),
    PermitType("approvals", "公共场所卫生许可决定书", PC.ORDINARY, "公共场所卫生许可证",
               "住宿、美容美发场所经营", 4, ORGANISATIONS),
    PermitType("housing", "建筑工程施工许可决定书", PC.APPROVAL, "建筑工程施工许可证",
               "新建厂房及配套用房工程施工", 2, (LP,)),
    PermitType("transport", "道路运输经营许可决定书", PC.ORDINARY, "道路运输经营许可证",
               "道路普通货物运输", 4, ORGANISATIONS),
    PermitType("transport", "道路运输从业人员从业资格决定书", PC.ACCREDITATION, "从业资格证",
               "经营性道路货物运输驾驶员", 6, (NP,)),
    PermitType("ecology", "排污许可决定书", PC.ORDINARY, "排污许可证",
               "废水、废气污染物排放", 5, (LP,)),
    PermitType("emergency", "危险化学品经营许可决定书", PC.ORDINARY, "危险化学品经营许可证",
               "危险化学品（不带储存设施）经营", 3, (LP,)),
    PermitType("emergency", "特种作业操作证核发决定书", PC.ACCREDITATION, "特种作业操作证",
               "电工作业（低压电工作业）", 6, (NP,)),
    PermitType("natural-resources", "建设用地规划许可决定书", PC.APPROVAL, "建设用地规划许可证",
               "工业用地规划许可", 2, (LP,)),
    PermitType("water", "取水许可决定书", PC.APPROVAL, "取水许可证", "工业生产取水", 5, (LP,)),
    PermitType("tax", "增值税专用发票最高开票限额审批决定书", PC.APPROVAL, None,
               "增值税专用发票最高开票限额十万元", None, ORGANISATIONS),
)  # fmt: skip

PENALTIES = (
    PenaltyType("market-regulation", "虚假宣传", "在商品包装及网店页面对商品性能作虚假宣传",
                "《中华人民共和国反不正当竞争法》第二十条", (C.WARNING, C.FINE), ORGANISATIONS),
    PenaltyType("market-regulation", "销售不符合食品安全标准的食品", "销售超过保质期的预包装食品",
                "《中华人民共和国食品安全法》第一百二十四条",
                (C.FINE, C.CONFISCATION_OF_ILLEGAL_GAINS), ORGANISATIONS),
    PenaltyType("market-regulation", "未按规定公示年度报告", "逾期未报送年度报告",
                "《企业信息公示暂行条例》第十七条", (C.WARNING,), ORGANISATIONS),
    PenaltyType("tax", "未按规定期限办理纳税申报", "逾期未申报增值税",
                "《中华人民共和国税收征收管理法》第六十二条", (C.FINE,), ORGANISATIONS),
    PenaltyType("emergency", "未按规定开展安全生产教育培训", "未对从业人员进行安全生产教育培训",
                "《中华人民共和国安全生产法》第九十七条", (C.FINE,), (LP,),
                PenaltyDomain.WORK_SAFETY),
    PenaltyType("ecology", "超标排放水污染物", "废水总排口化学需氧量超过排放标准",
                "《中华人民共和国水污染防治法》第八十三条", (C.FINE,), (LP,)),
    PenaltyType("housing", "未取得施工许可证擅自施工", "未取得施工许可证擅自开工建设",
                "《建设工程质量管理条例》第五十七条", (C.FINE,), (LP,)),
    PenaltyType("transport", "车辆超限运输", "货车超过公路限载标准行驶",
                "《公路安全保护条例》第六十四条", (C.FINE,), (*ORGANISATIONS, NP)),
    PenaltyType("transport", "未随车携带道路运输证", "驾驶营运车辆未随车携带道路运输证",
                "《中华人民共和国道路运输条例》第六十八条", (C.FINE,), (NP,), simplified=True),
    PenaltyType("police", "扰乱公共秩序", "在公共场所寻衅滋事，扰乱公共秩序",
                "《中华人民共和国治安管理处罚法》第二十六条",
                (C.ADMINISTRATIVE_DETENTION,), (NP,)),
)  # fmt: skip

SERIOUS = (
    PenaltyType("market-regulation", "生产销售假冒伪劣食品", "生产销售以病死畜禽肉为原料的食品",
                "《中华人民共和国食品安全法》第一百二十三条",
                (C.FINE, C.CONFISCATION_OF_ILLEGAL_GAINS, C.LICENCE_REVOKED), ORGANISATIONS,
                conduct=SeriousConduct.ENDANGERING_LIFE_AND_HEALTH,
                determination_basis="《市场监督管理严重违法失信名单管理办法》第九条"),
    PenaltyType("tax", "虚开增值税专用发票", "虚开增值税专用发票价税合计五百万元",
                "《中华人民共和国税收征收管理法》第六十三条", (C.FINE,), ORGANISATIONS,
                conduct=SeriousConduct.DISRUPTING_MARKET_ORDER,
                determination_basis="《重大税收违法失信主体信息公布管理办法》第六条"),
    PenaltyType("emergency", "发生较大生产安全事故", "违章作业导致较大生产安全事故",
                "《中华人民共和国安全生产法》第一百一十四条",
                (C.FINE, C.PRODUCTION_SUSPENDED), (LP,), PenaltyDomain.WORK_SAFETY,
                conduct=SeriousConduct.ENDANGERING_LIFE_AND_HEALTH,
                determination_basis="《安全生产严重失信主体名单管理办法》第五条"),
    PenaltyType("housing", "转包、违法分包工程", "将承包的工程转包给不具备资质的单位",
                "《建设工程质量管理条例》第六十二条", (C.FINE, C.QUALIFICATION_DOWNGRADED), (LP,),
                conduct=SeriousConduct.DISRUPTING_MARKET_ORDER,
                determination_basis="《建筑市场信用管理暂行办法》第八条"),
    PenaltyType("court", "拒不履行生效法律文书确定的义务", "有履行能力而拒不履行生效判决",
                "《中华人民共和国民事诉讼法》第二百六十六条", (C.OTHER,), (*ORGANISATIONS, NP),
                conduct=SeriousConduct.DEFYING_JUDICIAL_OR_ADMINISTRATIVE_CREDIBILITY,
                determination_basis="《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条"),
)  # fmt: skip

COMMENDATIONS = (
    CommendationType("tax", "{year}年度A级纳税人", CommendationKind.A_GRADE_TAXPAYER, 1,
                     ORGANISATIONS),
    CommendationType("market-regulation", "{year}年度江苏省守合同重信用企业",
                     CommendationKind.CONTRACT_ABIDING, 2, (LP,)),
    CommendationType("credit-office", "{year}年度行业协会推荐诚信企业",
                     CommendationKind.ASSOCIATION_RECOMMENDED, 1, ORGANISATIONS),
    CommendationType("civilisation", "{year}年度泰州市道德模范", CommendationKind.MORAL_MODEL, 3,
                     (NP,)),
    CommendationType("civilisation", "{year}年度泰州市优秀志愿者",
                     CommendationKind.EXCELLENT_VOLUNTEER, 2, (NP,)),
)  # fmt: skip


T = TypeVar("T", PermitType, PenaltyType, CommendationType)


def for_kind(types: tuple[T, ...], kind: SubjectKind) -> tuple[T, ...]:
    """The types of decision that can concern a subject of ``kind``."""
    return tuple(t for t in types if kind in t.kinds)
