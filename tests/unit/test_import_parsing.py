"""File import without Kafka: value parsers, header mapping, decoding, rows → events, report."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from creditflow.departments import load_departments
from producers.choices import ID_TYPES, PERMIT_STATUSES, SUBJECT_KINDS, parse_categories
from producers.columns import ImportKind
from producers.deadletter import dead_letter, masked_subject
from producers.errors import ImportFileError
from producers.importer import FileImporter
from producers.parsing import LONG_TERM, parse_amount, parse_date, parse_end_date
from producers.publisher import Delivery
from producers.reader import FileFormat, SourceFile, decode, open_source
from producers.report import REPORT_COLUMNS, write_report
from producers.rows import EventBuilder, derive_subject, event_id_for, occurred_at_of
from producers.templates import table_for
from schemas.codec import decode as decode_avro
from schemas.enums import IdDocumentType, PenaltyCategory, PermitStatus, SubjectKind
from schemas.errors import ContractError, Problem
from schemas.events import Event, ObjectionCorrected, PenaltyImposed
from schemas.identifiers import USCC_PLACEHOLDER

DEPARTMENT = "market-regulation"
MARKET = "113212007048946933"  # the department's own USCC (default registry)
COMPANY = "91321202MA1K3BTP26"  # a valid USCC of 海陵区, 泰州
BAD_COMPANY = "91321202MA1K3BTP27"  # wrong check character
PERSON = "321202199801011237"  # a valid 居民身份证号码 of 海陵区
NOW = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)

PENALTY_ROW: dict[str, str] = {
    "CF_XDR_MC": "泰州市海陵区某某食品有限公司",
    "CF_XDR_LB": "法人及非法人组织",
    "CF_XDR_SHXYM": COMPANY,
    "CF_WSH": "泰海市监罚〔2024〕101号",
    "CF_WFXW": "销售不符合食品安全标准的食品",
    "CF_SY": "经查，当事人销售超过保质期的食品",
    "CF_YJ": "《中华人民共和国食品安全法》第一百二十四条",
    "CF_CFLB": "警告、罚款",
    "CF_NR": "警告，罚款人民币伍仟元",
    "CF_NR_FK": "0.5",
    "CF_JDRQ": "2024/3/1",
    "CF_CFJG": "泰州市市场监督管理局",
    "CF_CFJGDM": MARKET,
    "CF_SJLY": "泰州市市场监督管理局",
    "CF_SJLYDM": MARKET,
}


def _headers(codes: list[str], kind: str = "penalty") -> list[str]:
    table = table_for(kind)
    return [column.header for code in codes if (column := table.by_header(code)) is not None]


def _write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _penalty_csv(path: Path, rows: list[dict[str, str]], *, chinese: bool = False) -> Path:
    codes = list(dict.fromkeys(code for row in [PENALTY_ROW, *rows] for code in row))
    header = _headers(codes) if chinese else codes
    return _write_csv(path, header, [[row.get(code, "") for code in codes] for row in rows])


def _builder(kind: str = "penalty", department: str = DEPARTMENT) -> EventBuilder:
    return EventBuilder(department, kind, load_departments(), lambda: NOW)


def _cells(source: SourceFile) -> list[tuple[int, dict[str, object]]]:
    return [(row.number, row.values) for row in source.rows()]


def _by_field(row: dict[str, str], kind: str = "penalty") -> dict[str, object]:
    table = table_for(kind)
    cells: dict[str, object] = {}
    for code, value in row.items():
        column = table.by_header(code)
        assert column is not None, code
        cells[column.field] = value
    return cells


def _build(row: dict[str, str], kind: str = "penalty") -> Any:
    return _builder(kind).build(_by_field(row, kind))


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-01",
        "2024-3-1",
        "2024/3/1",
        "2024/03/01",
        "20240301",
        "2024.3.1",
        "2024年3月1日",
        "2024年03月01日",
        "2024年3月1",
        "2024-03-01 00:00:00",
        "2024/3/1 0:00",
        "2024-03-01T00:00:00",
        " 2024-03-01 ",
        "２０２４－０３－０１",
    ],
)
def test_dates_in_every_usual_form(text: str) -> None:
    assert parse_date(text) == date(2024, 3, 1)


@pytest.mark.parametrize(
    "text",
    ["2024-13-01", "2024-02-30", "01/03/2024", "24-3-1", "2024-03", "2024/03-01", "明天", "x"],
)
def test_bad_dates_say_which_forms_are_understood(text: str) -> None:
    with pytest.raises(ContractError) as caught:
        parse_date(text)
    assert caught.value.reason_code == "invalid.date"
    assert "2024-03-01" in caught.value.detail


def test_a_date_from_a_json_number_and_long_term_validity() -> None:
    assert parse_date(20240301) == date(2024, 3, 1)
    assert parse_end_date("长期") == LONG_TERM
    assert parse_end_date("2030-12-31") == date(2030, 12, 31)


# --- amounts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("0.5", "0.5"),
        ("12", "12"),
        ("1,234.5", "1234.5"),
        ("1，234.5", "1234.5"),
        ("0.000001", "0.000001"),
        ("１２.５", "12.5"),
        ("3.2万元", "3.2"),
        (" 7 ", "7"),
    ],
)
def test_amounts_in_wan_yuan(text: str, amount: str) -> None:
    parsed = parse_amount(text)
    assert parsed == Decimal(amount)
    assert parsed.as_tuple().exponent == -6  # the Avro scale


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("-1", "negative"),
        ("abc", "not an amount"),
        ("0.1234567", "more than 6 decimals"),
        ("1,23", "not an amount"),
        ("5000元", "万元"),
        ("1e3", "not an amount"),
        ("1234567890123", "too large"),
    ],
)
def test_bad_amounts(text: str, why: str) -> None:
    with pytest.raises(ContractError) as caught:
        parse_amount(text)
    assert caught.value.reason_code == "invalid.amount"
    assert why in caught.value.detail


def test_amounts_from_json_numbers() -> None:
    assert parse_amount(Decimal("0.25")) == Decimal("0.25")
    assert parse_amount(3) == Decimal(3)
    with pytest.raises(ContractError):
        parse_amount(True)


# --- categories and other choices ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "警告;罚款",
        "警告；罚款",
        "警告、罚款",
        "警告,罚款",
        "警告，罚款",
        " 警告 ; 罚款 ;",
        "WARNING、fine",
    ],
)
def test_categories_with_every_separator(text: str) -> None:
    assert parse_categories(text) == (PenaltyCategory.WARNING, PenaltyCategory.FINE)


def test_all_fourteen_categories_by_chinese_name() -> None:
    names = (
        "警告、通报批评、罚款、没收违法所得、没收非法财物、暂扣许可证件、降低资质等级、吊销许可证件、"
        "限制开展生产经营活动、责令停产停业、责令关闭、限制从业、行政拘留、其他"
    )
    assert parse_categories(names) == tuple(PenaltyCategory)
    assert parse_categories(["FINE", "没收违法所得"]) == (
        PenaltyCategory.FINE,
        PenaltyCategory.CONFISCATION_OF_ILLEGAL_GAINS,
    )


@pytest.mark.parametrize("text", ["罚金", "警告;拘役", "；、"])
def test_unknown_categories_are_named(text: str) -> None:
    with pytest.raises(ContractError) as caught:
        parse_categories(text)
    assert caught.value.reason_code == "invalid.category"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("法人及非法人组织", SubjectKind.LEGAL_PERSON),
        ("法人", SubjectKind.LEGAL_PERSON),
        ("非法人组织", SubjectKind.LEGAL_PERSON),
        ("个体工商户", SubjectKind.INDIVIDUAL_BUSINESS),
        ("自然人", SubjectKind.NATURAL_PERSON),
        ("natural_person", SubjectKind.NATURAL_PERSON),
    ],
)
def test_subject_kinds(text: str, kind: SubjectKind) -> None:
    assert SUBJECT_KINDS(text) is kind


@pytest.mark.parametrize(
    ("text", "id_type"),
    [
        ("01", IdDocumentType.RESIDENT_ID_CARD),
        ("1", IdDocumentType.RESIDENT_ID_CARD),
        ("身份证", IdDocumentType.RESIDENT_ID_CARD),
        ("居民身份证", IdDocumentType.RESIDENT_ID_CARD),
        ("护照", IdDocumentType.PASSPORT),
        ("03", IdDocumentType.HK_MACAO_PERMIT),
        ("台湾居民来往大陆通行证", IdDocumentType.TAIWAN_PERMIT),
        ("FOREIGNER_PERMANENT_RESIDENCE", IdDocumentType.FOREIGNER_PERMANENT_RESIDENCE),
    ],
)
def test_id_types(text: str, id_type: IdDocumentType) -> None:
    assert ID_TYPES(text) is id_type


def test_permit_status_and_unknown_choices() -> None:
    assert PERMIT_STATUSES("1") is PermitStatus.VALID
    assert PERMIT_STATUSES("无效") is PermitStatus.INVALID
    with pytest.raises(ContractError, match="有效, 无效"):
        PERMIT_STATUSES("3")


# --- header mapping ------------------------------------------------------------------------


def test_chinese_headers_and_codes_read_the_same_rows(tmp_path: Path) -> None:
    by_code = _penalty_csv(tmp_path / "codes.csv", [PENALTY_ROW])
    by_name = _penalty_csv(tmp_path / "names.csv", [PENALTY_ROW], chinese=True)
    table = table_for("penalty")
    assert _cells(open_source(by_code, table)) == _cells(open_source(by_name, table))


def test_mixed_headers_case_whitespace_and_brackets(tmp_path: Path) -> None:
    header = [" cf_xdr_mc ", "行政相对人类别", "CF_XDR_SHXYM", "决定书文号", "cf_wfxw", "违法事实"]
    header += ["处罚依据", "CF_CFLB", "处罚内容", "罚款金额(万元)", "处罚决定日期", "CF_CFJG"]
    header += ["处罚机关统一社会信用代码", "数据来源单位", "cf_sjlydm", "列入期限（月）", "*备注"]
    row = [*PENALTY_ROW.values(), "", ""]
    source = open_source(_write_csv(tmp_path / "mixed.csv", header, [row]), table_for("penalty"))
    [(number, cells)] = _cells(source)
    assert number == 2
    assert cells["document_number"] == PENALTY_ROW["CF_WSH"]
    assert cells["fine_amount"] == "0.5"
    assert _builder().build(cells).problems == ()


def test_unknown_header_is_named(tmp_path: Path) -> None:
    header = [*PENALTY_ROW, "处罚金额"]
    path = _write_csv(tmp_path / "f.csv", header, [[*PENALTY_ROW.values(), "1"]])
    with pytest.raises(ImportFileError, match=r"unknown column.*'处罚金额'"):
        open_source(path, table_for("penalty"))


def test_missing_required_column_is_named(tmp_path: Path) -> None:
    codes = [c for c in PENALTY_ROW if c != "CF_WSH"]
    path = _write_csv(tmp_path / "f.csv", codes, [[PENALTY_ROW[c] for c in codes]])
    with pytest.raises(ImportFileError) as caught:
        open_source(path, table_for("penalty"))
    assert "missing required column(s): CF_WSH 行政处罚决定书文号" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_duplicated_column_is_named(tmp_path: Path) -> None:
    header = [*PENALTY_ROW, "行政处罚决定书文号"]
    path = _write_csv(tmp_path / "f.csv", header, [[*PENALTY_ROW.values(), "x"]])
    with pytest.raises(ImportFileError, match=r"CF_WSH .* appears 2 times"):
        open_source(path, table_for("penalty"))


def test_a_file_of_another_kind_says_which(tmp_path: Path) -> None:
    path = _penalty_csv(tmp_path / "f.csv", [PENALTY_ROW], chinese=True)
    with pytest.raises(ImportFileError, match="use --kind penalty"):
        open_source(path, table_for("permit"))


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\n  \n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match="empty"):
        open_source(path, table_for("penalty"))


def test_every_table_has_unique_codes_and_headers() -> None:
    for kind in ImportKind:
        table = table_for(kind)
        for column in table.columns:
            assert table.by_header(column.code) is column
            assert table.by_header(column.header) is column


# --- decoding ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_gbk_and_utf8_give_identical_rows(tmp_path: Path, encoding: str) -> None:
    codes = list(PENALTY_ROW)
    rows = [list(PENALTY_ROW.values())]
    utf8 = _write_csv(tmp_path / "utf8.csv", _headers(codes), rows, "utf-8")
    other = _write_csv(tmp_path / f"{encoding}.csv", _headers(codes), rows, encoding)
    table = table_for("penalty")
    source = open_source(other, table)
    assert source.encoding == ("utf-8-sig" if encoding.startswith("utf") else "gb18030")
    assert _cells(source) == _cells(open_source(utf8, table))


def test_forced_encoding_and_undecodable_bytes() -> None:
    gbk = "行政相对人名称".encode("gbk")
    assert decode(gbk, "gbk") == ("行政相对人名称", "gbk")
    with pytest.raises(ImportFileError, match="cannot be read as utf-8"):
        decode(gbk, "utf-8")
    with pytest.raises(ImportFileError, match="unknown encoding"):
        decode(gbk, "no-such-codec")


# --- rows ----------------------------------------------------------------------------------


def test_rows_are_numbered_as_in_a_spreadsheet(tmp_path: Path) -> None:
    codes = list(PENALTY_ROW)
    second = {**PENALTY_ROW, "CF_SY": "第一行\n第二行"}
    rows = [list(PENALTY_ROW.values()), [""] * len(codes), [second[c] for c in codes]]
    source = open_source(_write_csv(tmp_path / "f.csv", codes, rows), table_for("penalty"))
    assert [number for number, _ in _cells(source)] == [2, 4]
    assert source.lines_done == source.total_lines


def test_a_value_under_no_header_is_a_row_problem(tmp_path: Path) -> None:
    codes = list(PENALTY_ROW)
    path = _write_csv(tmp_path / "f.csv", codes, [[*PENALTY_ROW.values(), "stray"]])
    [row] = open_source(path, table_for("penalty")).rows()
    assert row.problems[0].field == "(row)"
    assert "stray" in row.problems[0].reason


def test_a_valid_penalty_row() -> None:
    built = _build(PENALTY_ROW)
    assert built.problems == ()
    event = built.event
    assert isinstance(event, PenaltyImposed)
    assert event.subject_id == COMPANY
    assert event.categories == (PenaltyCategory.WARNING, PenaltyCategory.FINE)
    assert event.fine_amount == Decimal("0.5")
    assert event.occurred_at == datetime(2024, 2, 29, 16, 0, tzinfo=UTC)  # 00:00 CST
    assert event.occurred_at == occurred_at_of(date(2024, 3, 1))


@pytest.mark.parametrize(
    ("change", "field", "code", "reason_code"),
    [
        ({"CF_XDR_SHXYM": BAD_COMPANY}, "uscc", "CF_XDR_SHXYM", "invalid.uscc"),
        ({"CF_WSH": ""}, "document_number", "CF_WSH", "missing.field"),
        ({"CF_JDRQ": "2024-02-30"}, "decided_on", "CF_JDRQ", "invalid.date"),
        ({"CF_JDRQ": "2099-01-01"}, "decided_on", "CF_JDRQ", "invalid.future"),
        ({"CF_NR_FK": "-3"}, "fine_amount", "CF_NR_FK", "invalid.amount"),
        ({"CF_NR_FK": ""}, "fine_amount", "CF_NR_FK", "invalid"),
        ({"CF_CFLB": "罚金"}, "categories", "CF_CFLB", "invalid.category"),
        ({"CF_XDR_LB": "公司"}, "subject_kind", "CF_XDR_LB", "invalid.subject_kind"),
        ({"CF_CFJGDM": BAD_COMPANY}, "authority_uscc", "CF_CFJGDM", "invalid.uscc"),
    ],
)
def test_one_problem_per_bad_cell(
    change: dict[str, str], field: str, code: str, reason_code: str
) -> None:
    built = _build({**PENALTY_ROW, **change})
    assert built.event is None
    assert [(p.field, p.code, p.reason_code) for p in built.problems] == [
        (field, code, reason_code)
    ]


def test_serious_dishonesty_columns_make_the_determination() -> None:
    row = {
        **PENALTY_ROW,
        "CF_YZSX_QX": "危害生命健康",
        "CF_YZSX_YJ": "《食品安全法》",
        "CF_YZSX_LRQX": "36",
        "CF_LY": "安全生产",
        "CF_JYCX": "否",
    }
    event = _build(row).event
    assert event.serious_dishonesty.listing_months == 36
    assert event.domain == "WORK_SAFETY"
    partial = _build({**PENALTY_ROW, "CF_YZSX_YJ": "《食品安全法》"})
    assert [(p.field, p.code) for p in partial.problems] == [
        ("serious_dishonesty.conduct", "CF_YZSX_QX")
    ]


# --- the subject id ------------------------------------------------------------------------


def test_subject_id_of_a_natural_person_is_the_id_number() -> None:
    row = {**PENALTY_ROW, "CF_XDR_LB": "自然人", "CF_XDR_SHXYM": "", "CF_XDR_MC": "张三"}
    row |= {"CF_XDR_ZJLX": "身份证", "CF_XDR_ZJHM": PERSON}
    built = _build(row)
    assert built.problems == ()
    assert built.event.subject_id == PERSON
    assert built.subject_kind is SubjectKind.NATURAL_PERSON


def test_placeholder_uscc_takes_the_first_other_code() -> None:
    row = {**PENALTY_ROW, "CF_XDR_SHXYM": USCC_PLACEHOLDER}
    row |= {"CF_XDR_ZZJG": "MA1K3BTP2", "CF_XDR_SWDJ": "321202MA1K3BTP2"}
    built = _build(row)
    assert built.problems == ()
    assert built.event.subject_id == "MA1K3BTP2"
    assert built.event.uscc == USCC_PLACEHOLDER


def test_empty_uscc_takes_the_other_code_and_sends_the_placeholder() -> None:
    built = _build({**PENALTY_ROW, "CF_XDR_SHXYM": "", "CF_XDR_GSZC": "321200000012345"})
    assert built.event.subject_id == "321200000012345"
    assert built.event.uscc == USCC_PLACEHOLDER


def test_no_identifier_at_all() -> None:
    built = _build({**PENALTY_ROW, "CF_XDR_SHXYM": USCC_PLACEHOLDER})
    assert [(p.field, p.reason_code) for p in built.problems] == [("uscc", "missing.field")]
    person = {**PENALTY_ROW, "CF_XDR_LB": "自然人", "CF_XDR_SHXYM": ""}
    assert [p.field for p in _build(person).problems] == ["id_number"]


def test_derive_subject_directly() -> None:
    organisation = {"subject_kind": SubjectKind.LEGAL_PERSON, "uscc": COMPANY}
    assert derive_subject(organisation).subject_id == COMPANY
    person = {"subject_kind": SubjectKind.NATURAL_PERSON, "id_number": PERSON, "uscc": COMPANY}
    assert derive_subject(person).source == "id_number"


# --- event ids -----------------------------------------------------------------------------


def test_event_ids_are_deterministic() -> None:
    first, again = _build(PENALTY_ROW).event, _build(dict(PENALTY_ROW)).event
    assert first.event_id == again.event_id
    assert first.event_id.version == 5
    same_day = _build({**PENALTY_ROW, "CF_JDRQ": "2024年3月1日", "CF_CFLB": "警告;罚款"}).event
    assert same_day.event_id == first.event_id  # the same values, written otherwise
    other = _build({**PENALTY_ROW, "CF_WSH": "泰海市监罚〔2024〕102号"}).event
    assert other.event_id != first.event_id
    tax = EventBuilder("tax", "penalty", load_departments(), lambda: NOW)
    assert tax.build(_by_field(PENALTY_ROW)).event.event_id != first.event_id


def test_event_id_over_department_kind_and_values() -> None:
    values = {"document_number": "1", "decided_on": date(2024, 3, 1)}
    assert event_id_for("tax", "penalty", values) == event_id_for("tax", "penalty", dict(values))
    assert event_id_for("tax", "penalty", values) != event_id_for("tax", "permit", values)


def test_an_explicit_event_id_wins() -> None:
    explicit = uuid.uuid4()
    built = _builder().build({**_by_field(PENALTY_ROW), "event_id": str(explicit)})
    assert built.event.event_id == explicit


def test_csv_with_names_codes_and_jsonl_give_the_same_event_ids(tmp_path: Path) -> None:
    table = table_for("penalty")
    rows = [PENALTY_ROW, {**PENALTY_ROW, "CF_WSH": "泰海市监罚〔2024〕102号"}]
    by_name = _penalty_csv(tmp_path / "names.csv", rows, chinese=True)
    gbk = tmp_path / "names-gbk.csv"
    gbk.write_bytes(by_name.read_text(encoding="utf-8").encode("gbk"))
    jsonl = tmp_path / "rows.jsonl"
    documents = []
    for row in rows:
        document: dict[str, Any] = {
            field: value for field, value in _by_field(row).items() if field != "categories"
        }
        documents.append({**document, "categories": ["WARNING", "FINE"], "fine_amount": 0.5})
    jsonl.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in documents) + "\n")

    def ids(path: Path) -> list[uuid.UUID]:
        source = open_source(path, table)
        return [_builder().build(row.values).event.event_id for row in source.rows()]

    by_code = _penalty_csv(tmp_path / "codes.csv", rows)
    assert ids(by_name) == ids(gbk) == ids(by_code) == ids(jsonl)
    assert len(set(ids(by_name))) == 2


# --- JSONL, other kinds --------------------------------------------------------------------


def test_jsonl_rows_are_numbered_by_line_and_bad_lines_are_problems(tmp_path: Path) -> None:
    good = json.dumps(_by_field(PENALTY_ROW), ensure_ascii=False)
    path = tmp_path / "f.jsonl"
    path.write_text(f'{good}\n\n{{"no json\n[1, 2]\n{{"colour": "red"}}\n', encoding="utf-8")
    source = open_source(path, table_for("penalty"))
    assert source.format is FileFormat.JSONL
    rows = list(source.rows())
    assert [row.number for row in rows] == [1, 3, 4, 5]
    assert rows[0].problems == ()
    assert [row.problems[0].field for row in rows[1:]] == ["(row)", "(row)", "colour"]


def test_repair_and_commendation_rows() -> None:
    repair = {
        "subject_id": COMPANY,
        "主体类别": "法人",
        "主体名称": "泰州市海陵区某某食品有限公司",
        "原决定机关统一社会信用代码": MARKET,
        "原决定文书号": "泰海市监罚〔2024〕101号",
        "修复类型": "提前停止公示",
        "修复方式": "信用承诺",
        "修复决定文书号": "泰市监信修〔2025〕1号",
        "修复决定日期": "2025-01-02",
    }
    built = _build(repair, "repair")
    assert built.problems == ()
    assert built.event.record.document_number == "泰海市监罚〔2024〕101号"
    commendation = {
        "subject_id": COMPANY,
        "subject_kind": "法人及非法人组织",
        "subject_name": "泰州市某某有限公司",
        "title": "守合同重信用企业",
        "designation": "守合同重信用",
        "document_number": "泰市监〔2024〕9号",
        "authority_name": "泰州市市场监督管理局",
        "authority_uscc": MARKET,
        "valid_from": "2024-01-01",
        "valid_until": "2025-12-31",
    }
    event = _build(commendation, "commendation").event
    assert event.occurred_at == occurred_at_of(date(2024, 1, 1))


def _objection(**cells: object) -> dict[str, object]:
    return {
        "event": "提出",
        "objection_id": "YY-2024-1",
        "subject_id": COMPANY,
        "subject_kind": "法人及非法人组织",
        "subject_name": "泰州市海陵区某某食品有限公司",
        "record.authority_uscc": MARKET,
        "record.document_number": "泰海市监罚〔2024〕101号",
        "reason": "处罚决定书文号有误",
        "filed_on": "2024-04-01",
        **cells,
    }


def test_objection_events() -> None:
    builder = _builder("objection")
    filed = builder.build(_objection()).event
    assert type(filed).__name__ == "ObjectionFiled"
    assert filed.occurred_at == occurred_at_of(date(2024, 4, 1))
    upheld = builder.build(
        _objection(event="upheld", reason="", filed_on="", decided_on="2024-5-1")
    )
    assert type(upheld.event).__name__ == "ObjectionUpheld"
    mixed = builder.build(_objection(event="revoked", decided_on="2024-5-1"))
    assert {p.field for p in mixed.problems} == {"reason", "filed_on"}
    in_csv = builder.build(_objection(event="更正", reason="", filed_on="", decided_on="2024-5-1"))
    assert [p.field for p in in_csv.problems] == ["corrected_record"]
    assert "JSONL" in in_csv.problems[0].reason


def test_objection_corrected_from_jsonl_carries_the_encoded_record() -> None:
    corrected = {"kind": "penalty", **_by_field({**PENALTY_ROW, "CF_NR_FK": "0.4"})}
    cells = _objection(event="corrected", reason="", filed_on="", decided_on="2024-05-01")
    cells["corrected_record"] = corrected
    built = _builder("objection").build(cells)
    assert built.problems == ()
    assert isinstance(built.event, ObjectionCorrected)
    name, datum = decode_avro(built.event.corrected_record)
    assert name == "PenaltyImposed"
    assert datum["fine_amount"] == Decimal("0.4")
    bad = {**corrected, "decided_on": "never"}
    problems = _builder("objection").build({**cells, "corrected_record": bad}).problems
    assert [(p.field, p.code) for p in problems] == [("corrected_record.decided_on", "CF_JDRQ")]


# --- the importer and its report, with stand-ins for Kafka ---------------------------------


class _Message:
    def __init__(self, topic: str) -> None:
        self._topic = topic

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return 0


class _Publisher:
    """Acknowledges every event at once, as Kafka would on flush."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, event: Event, on_delivery: Callable[[Delivery], None] | None = None) -> Any:
        self.events.append(event)
        delivery = Delivery(self, event)  # type: ignore[arg-type]
        delivery._resolve(None, _Message("credit.penalty.v1"))
        if on_delivery is not None:
            on_delivery(delivery)
        return delivery

    def flush(self, timeout: float = 30.0) -> int:
        return 0


class _DeadLetters:
    def __init__(self) -> None:
        self.sent = 0
        self.failed = 0
        self.letters: list[dict[str, Any]] = []

    def send(self, **letter: Any) -> None:
        self.sent += 1
        self.letters.append(letter)

    def flush(self, timeout: float) -> int:
        return 0


def test_import_publishes_valid_rows_and_reports_the_rest(tmp_path: Path) -> None:
    rows = [
        PENALTY_ROW,
        {**PENALTY_ROW, "CF_WSH": "", "CF_XDR_LB": "自然人", "CF_XDR_ZJHM": PERSON},
        {**PENALTY_ROW, "CF_WSH": "泰海市监罚〔2024〕103号", "CF_JDRQ": "2024-13-01"},
    ]
    source = open_source(_penalty_csv(tmp_path / "f.csv", rows), table_for("penalty"))
    publisher, dead = _Publisher(), _DeadLetters()
    report = FileImporter(_builder(), publisher, dead).run(source)

    assert (report.rows_read, report.published, len(report.rejected)) == (3, 1, 2)
    assert not report.succeeded
    assert [row.number for row in report.rejected] == [3, 4]
    assert dead.letters[0]["source_topic"] == "credit.penalty.v1"
    assert dead.letters[0]["subject_id"] == PERSON  # masked by the sink, not here
    assert dead.letters[0]["problems"][0].field == "document_number"
    assert b"2024-13-01" in dead.letters[1]["original"]

    path = tmp_path / "report.csv"
    assert write_report(report, path) == 2
    with path.open(encoding="utf-8-sig", newline="") as lines:
        written = list(csv.DictReader(lines))
    assert tuple(written[0]) == REPORT_COLUMNS
    assert [(r["row"], r["field"], r["code"]) for r in written] == [
        ("3", "document_number", "CF_WSH"),
        ("4", "decided_on", "CF_JDRQ"),
    ]


def test_a_dry_run_sends_nothing_and_succeeds_on_a_clean_file(tmp_path: Path) -> None:
    source = open_source(_penalty_csv(tmp_path / "f.csv", [PENALTY_ROW]), table_for("penalty"))
    report = FileImporter(_builder(), None).run(source)
    assert report.dry_run
    assert report.succeeded
    assert report.valid == 1


def test_dead_letter_masks_natural_persons() -> None:
    assert masked_subject(PERSON, SubjectKind.NATURAL_PERSON) == "3212**********1237"
    assert masked_subject(COMPANY, SubjectKind.LEGAL_PERSON) == COMPANY
    assert masked_subject(PERSON, None) == "3212**********1237"
    problems = (Problem("document_number", "is required", "missing.field", "CF_WSH"),)
    letter = dead_letter(
        department_id=DEPARTMENT,
        source_topic="credit.penalty.v1",
        original=b"a,b",
        problems=problems,
        subject_id="3212**********1237",
        now=NOW,
    )
    assert letter.rejected_by == "importer:market-regulation"
    assert (letter.field, letter.reason_code) == ("document_number", "missing.field")
    assert (letter.source_partition, letter.source_offset) == (-1, -1)


def test_a_row_read_in_part_reports_everything(tmp_path: Path) -> None:
    cells = {k: v for k, v in _by_field(PENALTY_ROW).items() if k != "document_number"}
    path = tmp_path / "f.jsonl"
    lines = [json.dumps({**cells, "colour": "red"}, ensure_ascii=False), "{}"]
    path.write_text("\n".join(lines), encoding="utf-8")
    report = FileImporter(_builder(), None).run(open_source(path, table_for("penalty")))
    assert [(r.number, [p.field for p in r.problems]) for r in report.rejected] == [
        (1, ["colour", "document_number"]),
        (2, ["(row)"]),
    ]
