"""The columns of each kind of import file: the national 双公示 templates and creditflow's own.

Permits and penalties follow the national template (field codes ``XK_*`` / ``CF_*``, see
DOMAIN.md) plus creditflow's extension columns (``CF_LY`` 领域, ``CF_YZSX_*`` the
serious-dishonesty determination, ``CF_JYCX`` 简易程序); repairs, commendations and objections
have no national template, so their codes are the Avro field names (``record.authority_uscc``
→ ``record_authority_uscc``). Every kind also takes ``event_id``, ``occurred_at`` and
``department_id``.
"""

from __future__ import annotations

from functools import cache

from producers.choices import (
    COMMENDATION_KINDS,
    ID_TYPES,
    OBJECTION_STEPS,
    PENALTY_DOMAINS,
    PERMIT_CATEGORIES,
    PERMIT_STATUSES,
    REPAIR_ROUTES,
    REPAIR_WAYS,
    SERIOUS_CONDUCTS,
    SUBJECT_KINDS,
    parse_categories,
)
from producers.columns import Column, ColumnTable, ImportKind
from producers.parsing import (
    parse_amount,
    parse_bool,
    parse_date,
    parse_end_date,
    parse_identifier,
    parse_months,
    parse_object,
    parse_text,
    parse_timestamp,
    parse_uuid,
)


def _subject_block(prefix: str) -> list[Column]:
    """XDR_* / FRDB / FR_*: the subject of a 双公示 record."""

    def code(name: str) -> str:
        return f"{prefix}_{name}"

    return [
        Column("subject_name", code("XDR_MC"), "行政相对人名称", parse_text, required=True),
        Column("subject_kind", code("XDR_LB"), "行政相对人类别", SUBJECT_KINDS, required=True),
        Column(
            "uscc",
            code("XDR_SHXYM"),
            "统一社会信用代码",
            parse_identifier,
            aliases=("行政相对人代码_1(统一社会信用代码)",),
        ),
        Column(
            "registration_number",
            code("XDR_GSZC"),
            "工商注册号",
            parse_identifier,
            aliases=("行政相对人代码_2(工商注册号)",),
        ),
        Column(
            "organization_code",
            code("XDR_ZZJG"),
            "组织机构代码",
            parse_identifier,
            aliases=("行政相对人代码_3(组织机构代码)",),
        ),
        Column(
            "tax_registration_number",
            code("XDR_SWDJ"),
            "税务登记号",
            parse_identifier,
            aliases=("行政相对人代码_4(税务登记号)",),
        ),
        Column(
            "institution_certificate_number",
            code("XDR_SYDW"),
            "事业单位证书号",
            parse_identifier,
            aliases=("行政相对人代码_5(事业单位证书号)",),
        ),
        Column(
            "social_organization_number",
            code("XDR_SHZZ"),
            "社会组织登记证号",
            parse_identifier,
            aliases=("行政相对人代码_6(社会组织登记证号)",),
        ),
        Column("legal_representative", code("FRDB"), "法定代表人", parse_text),
        Column("legal_representative_id_type", code("FR_ZJLX"), "法定代表人证件类型", ID_TYPES),
        Column(
            "legal_representative_id_number",
            code("FR_ZJHM"),
            "法定代表人证件号码",
            parse_identifier,
        ),
        Column("id_type", code("XDR_ZJLX"), "证件类型", ID_TYPES),
        Column("id_number", code("XDR_ZJHM"), "证件号码", parse_identifier),
    ]


def _subject_columns() -> list[Column]:
    """The subject of a record without a national template."""
    return [
        Column(
            "subject_id",
            "subject_id",
            "主体代码",
            parse_identifier,
            required=True,
            aliases=("统一社会信用代码或身份证号码",),
        ),
        Column(
            "subject_kind",
            "subject_kind",
            "主体类别",
            SUBJECT_KINDS,
            required=True,
            aliases=("行政相对人类别",),
        ),
        Column(
            "subject_name",
            "subject_name",
            "主体名称",
            parse_text,
            required=True,
            aliases=("行政相对人名称",),
        ),
    ]


def _record_ref(authority: str) -> list[Column]:
    return [
        Column(
            "record.authority_uscc",
            "record_authority_uscc",
            f"{authority}统一社会信用代码",
            parse_identifier,
            required=True,
        ),
        Column(
            "record.document_number",
            "record_document_number",
            "原决定文书号",
            parse_text,
            required=True,
        ),
    ]


def _meta() -> list[Column]:
    """Columns every kind accepts: an explicit event id and decision time, the department."""
    return [
        Column("event_id", "event_id", "事件编号", parse_uuid),
        Column("occurred_at", "occurred_at", "发生时间", parse_timestamp),
        Column("department_id", "department_id", "部门编号", parse_text),
    ]


def _permit() -> ColumnTable:
    return ColumnTable(
        ImportKind.PERMIT,
        "行政许可",
        [
            *_subject_block("XK"),
            Column(
                "document_name",
                "XK_XKWS",
                "行政许可决定文书名称",
                parse_text,
                required=True,
                aliases=("许可决定文书名称", "决定文书名称"),
            ),
            Column(
                "document_number",
                "XK_WSH",
                "行政许可决定文书号",
                parse_text,
                required=True,
                aliases=("许可决定文书号", "决定文书号"),
            ),
            Column("category", "XK_XKLB", "许可类别", PERMIT_CATEGORIES, required=True),
            Column("certificate_name", "XK_XKZS", "许可证书名称", parse_text),
            Column("permit_number", "XK_XKBH", "许可编号", parse_text),
            Column("content", "XK_NR", "许可内容", parse_text, required=True),
            Column(
                "decided_on",
                "XK_JDRQ",
                "许可决定日期",
                parse_date,
                required=True,
                aliases=("决定日期",),
            ),
            Column("valid_from", "XK_YXQZ", "有效期自", parse_date, required=True),
            Column("valid_until", "XK_YXQZI", "有效期至", parse_end_date, required=True),
            Column("authority_name", "XK_XKJG", "许可机关", parse_text, required=True),
            Column(
                "authority_uscc",
                "XK_XKJGDM",
                "许可机关统一社会信用代码",
                parse_identifier,
                required=True,
            ),
            Column("status", "XK_ZT", "当前状态", PERMIT_STATUSES),
            Column("source_name", "XK_LYDW", "数据来源单位", parse_text, required=True),
            Column(
                "source_uscc",
                "XK_LYDWDM",
                "数据来源单位统一社会信用代码",
                parse_identifier,
                required=True,
            ),
            Column("remarks", "BZ", "备注", parse_text),
            *_meta(),
        ],
        derives_subject=True,
    )


def _penalty() -> ColumnTable:
    return ColumnTable(
        ImportKind.PENALTY,
        "行政处罚",
        [
            *_subject_block("CF"),
            Column(
                "document_number",
                "CF_WSH",
                "行政处罚决定书文号",
                parse_text,
                required=True,
                aliases=("处罚决定书文号", "决定书文号"),
            ),
            Column("violation_type", "CF_WFXW", "违法行为类型", parse_text, required=True),
            Column("facts", "CF_SY", "违法事实", parse_text, required=True),
            Column("legal_basis", "CF_YJ", "处罚依据", parse_text, required=True),
            Column("categories", "CF_CFLB", "处罚类别", parse_categories, required=True),
            Column("content", "CF_NR", "处罚内容", parse_text, required=True),
            Column("fine_amount", "CF_NR_FK", "罚款金额(万元)", parse_amount),
            Column(
                "confiscated_amount",
                "CF_NR_WFFF",
                "没收违法所得、没收非法财物的金额(万元)",
                parse_amount,
            ),
            Column("licence_affected", "CF_NR_ZKDX", "暂扣或吊销证照名称及编号", parse_text),
            Column(
                "decided_on",
                "CF_JDRQ",
                "处罚决定日期",
                parse_date,
                required=True,
                aliases=("决定日期",),
            ),
            Column("valid_until", "CF_YXQ", "处罚有效期", parse_end_date),
            Column("publicity_until", "CF_GSJZQ", "公示截止期", parse_date),
            Column("authority_name", "CF_CFJG", "处罚机关", parse_text, required=True),
            Column(
                "authority_uscc",
                "CF_CFJGDM",
                "处罚机关统一社会信用代码",
                parse_identifier,
                required=True,
            ),
            Column("source_name", "CF_SJLY", "数据来源单位", parse_text, required=True),
            Column(
                "source_uscc",
                "CF_SJLYDM",
                "数据来源单位统一社会信用代码",
                parse_identifier,
                required=True,
            ),
            Column("remarks", "BZ", "备注", parse_text),
            # creditflow's extensions: the domain sets the minimum publicity; the
            # serious-dishonesty determination (认定严重失信主体) made with the decision.
            Column("domain", "CF_LY", "领域", PENALTY_DOMAINS),
            Column(
                "serious_dishonesty.conduct", "CF_YZSX_QX", "严重失信行为类型", SERIOUS_CONDUCTS
            ),
            Column(
                "serious_dishonesty.legal_basis",
                "CF_YZSX_YJ",
                "严重失信认定依据",
                parse_text,
                aliases=("认定依据",),
            ),
            Column(
                "serious_dishonesty.listing_months", "CF_YZSX_LRQX", "列入期限(月)", parse_months
            ),
            Column("simplified_procedure", "CF_JYCX", "简易程序", parse_bool),
            *_meta(),
        ],
        derives_subject=True,
    )


def _repair() -> ColumnTable:
    return ColumnTable(
        ImportKind.REPAIR,
        "信用修复",
        [
            *_subject_columns(),
            *_record_ref("原决定机关"),
            Column("route", "route", "修复类型", REPAIR_ROUTES, required=True),
            Column("way", "way", "修复方式", REPAIR_WAYS, required=True),
            Column(
                "decision_number", "decision_number", "修复决定文书号", parse_text, required=True
            ),
            Column("decided_on", "decided_on", "修复决定日期", parse_date, required=True),
            Column("note", "note", "备注", parse_text),
            *_meta(),
        ],
        derives_subject=False,
    )


def _commendation() -> ColumnTable:
    return ColumnTable(
        ImportKind.COMMENDATION,
        "诚信典型",
        [
            *_subject_columns(),
            Column("title", "title", "荣誉名称", parse_text, required=True),
            Column("designation", "designation", "诚信典型类别", COMMENDATION_KINDS, required=True),
            Column("document_number", "document_number", "认定文书号", parse_text, required=True),
            Column("authority_name", "authority_name", "认定机关", parse_text, required=True),
            Column(
                "authority_uscc",
                "authority_uscc",
                "认定机关统一社会信用代码",
                parse_identifier,
                required=True,
            ),
            Column("valid_from", "valid_from", "有效期自", parse_date, required=True),
            Column("valid_until", "valid_until", "有效期至", parse_end_date, required=True),
            *_meta(),
        ],
        derives_subject=False,
    )


def _objection() -> ColumnTable:
    return ColumnTable(
        ImportKind.OBJECTION,
        "异议处理",
        [
            Column(
                "event",
                "event",
                "异议事件",
                OBJECTION_STEPS,
                required=True,
                aliases=("事件", "处理环节"),
            ),
            Column("objection_id", "objection_id", "异议编号", parse_text, required=True),
            *_subject_columns(),
            *_record_ref("原决定机关"),
            Column("reason", "reason", "异议理由", parse_text),
            Column("filed_on", "filed_on", "异议提出日期", parse_date),
            Column("decided_on", "decided_on", "处理决定日期", parse_date),
            Column("note", "note", "备注", parse_text),
            # A correction carries the whole corrected record, which only JSONL can hold.
            Column("corrected_record", "corrected_record", "更正后记录", parse_object),
            *_meta(),
        ],
        derives_subject=False,
    )


@cache
def tables() -> dict[ImportKind, ColumnTable]:
    """Every kind's column table (built once)."""
    return {
        table.kind: table
        for table in (_permit(), _penalty(), _repair(), _commendation(), _objection())
    }


def table_for(kind: ImportKind | str) -> ColumnTable:
    return tables()[ImportKind(kind)]
