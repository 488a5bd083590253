"""``creditflow publish`` against the local stack's Kafka: what arrives is exactly what is valid.

The record topics are shared with other tests, so each test reads only the offsets written
after it took the end offsets, and only the records carrying its own run marker.
"""

from __future__ import annotations

import csv
import random
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Message, TopicPartition
from stdnum.cn import ric, uscc

from creditflow import deadletterkeys
from creditflow.departments import load_departments
from creditflow.settings import Settings
from producers.reader import open_source
from producers.rows import EventBuilder
from producers.templates import table_for
from schemas.catalog import decode_event
from schemas.deadletters import opened
from schemas.events import PenaltyImposed
from schemas.notices import DeadLettered
from schemas.sealing import SealError

pytestmark = pytest.mark.integration

RunCli = Callable[..., subprocess.CompletedProcess[str]]

DEPARTMENT = "market-regulation"
MARKET = "113212007048946933"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: 泰州's divisions: 海陵区, 高港区, 兴化市, 靖江市, 泰兴市 (IDs issued from 1997 on).
AREAS = ("321202", "321203", "321281", "321282", "321283")
DATE_FORMS = (
    "{d:%Y-%m-%d}",
    "{d.year}/{d.month}/{d.day}",
    "{d:%Y%m%d}",
    "{d.year}年{d.month}月{d.day}日",
)
DATE_FORMS += ("{d:%Y-%m-%d} 00:00:00", "{d.year}.{d.month}.{d.day}")
CODES = [
    "CF_XDR_MC",
    "CF_XDR_LB",
    "CF_XDR_SHXYM",
    "CF_XDR_ZZJG",
    "CF_XDR_ZJLX",
    "CF_XDR_ZJHM",
    "CF_WSH",
    "CF_WFXW",
    "CF_SY",
    "CF_YJ",
    "CF_CFLB",
    "CF_NR",
    "CF_NR_FK",
    "CF_NR_WFFF",
    "CF_JDRQ",
    "CF_CFJG",
    "CF_CFJGDM",
    "CF_SJLY",
    "CF_SJLYDM",
    "BZ",
]
#: The three ways a row is made invalid, and the field the report must name.
DEFECTS = {"check digit": "uscc", "no document number": "document_number", "date": "decided_on"}


def _uscc(rng: random.Random) -> str:
    body = f"9{rng.choice('12')}{rng.choice(AREAS)}" + "".join(rng.choices(USCC_ALPHABET, k=9))
    return body + uscc.calc_check_digit(body)


def _resident_id(rng: random.Random) -> str:
    born = date(1997, 1, 1) + timedelta(days=rng.randrange(365 * 8))
    body = f"{rng.choice(AREAS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def _wrong_check(code: str) -> str:
    return code[:-1] + next(c for c in "0123456789" if c != code[-1])


@dataclass
class Generated:
    path: Path
    marker: str
    invalid: dict[int, str]  # spreadsheet row → the field the report must name
    document_numbers: dict[int, str]  # spreadsheet row → 决定书文号


def _penalty_row(rng: random.Random, marker: str, index: int) -> dict[str, str]:
    day = date(2023, 1, 1) + timedelta(days=rng.randrange(700))
    row = dict.fromkeys(CODES, "")
    row |= {
        "CF_WSH": f"泰市监罚〔{day.year}〕{marker}-{index:05d}号",
        "CF_WFXW": "虚假宣传",
        "CF_SY": f"当事人在商品包装上作虚假宣传（{marker}）",
        "CF_YJ": "《中华人民共和国反不正当竞争法》第二十条",
        "CF_JDRQ": DATE_FORMS[index % len(DATE_FORMS)].format(d=day),
        "CF_CFJG": "泰州市市场监督管理局",
        "CF_CFJGDM": MARKET,
        "CF_SJLY": "泰州市市场监督管理局",
        "CF_SJLYDM": MARKET,
    }
    if index % 10 == 3:
        row |= {
            "CF_XDR_MC": f"张{marker}{index}",
            "CF_XDR_LB": "自然人",
            "CF_XDR_ZJLX": "身份证",
            "CF_XDR_ZJHM": _resident_id(rng),
        }
    else:
        code = _uscc(rng)
        row |= {
            "CF_XDR_MC": f"泰州{marker}商贸有限公司{index}",
            "CF_XDR_LB": "个体工商户" if code[1] == "2" else "法人及非法人组织",
            "CF_XDR_SHXYM": code,
        }
    categories = index % 4
    if categories == 0:
        row |= {"CF_CFLB": "警告", "CF_NR": "警告"}
    elif categories == 1:
        amount = f"{rng.randrange(1, 500) / 100:.2f}"
        row |= {"CF_CFLB": "警告；罚款", "CF_NR": "警告并处罚款", "CF_NR_FK": amount}
    elif categories == 2:
        row |= {"CF_CFLB": "罚款、没收违法所得", "CF_NR": "罚款并没收违法所得"}
        row |= {"CF_NR_FK": "1,200.5", "CF_NR_WFFF": "0.123456"}
    else:
        row |= {"CF_CFLB": "FINE", "CF_NR": "罚款", "CF_NR_FK": "3"}
    return row


def _generate(directory: Path, rows: int, *, invalid_every: int = 100) -> Generated:
    rng = random.Random(rows)
    marker = uuid.uuid4().hex[:10]
    generated = Generated(directory / f"penalties-{marker}.csv", marker, {}, {})
    defects = list(DEFECTS)
    with generated.path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CODES)
        for index in range(rows):
            row = _penalty_row(rng, marker, index)
            number = index + 2  # the header is row 1
            if index % invalid_every == invalid_every // 2:
                defect = defects[(index // invalid_every) % len(defects)]
                if defect == "check digit":
                    row |= {"CF_XDR_LB": "法人及非法人组织", "CF_XDR_ZJLX": "", "CF_XDR_ZJHM": ""}
                    row["CF_XDR_SHXYM"] = _wrong_check(row["CF_XDR_SHXYM"] or _uscc(rng))
                elif defect == "no document number":
                    row["CF_WSH"] = ""
                else:
                    row["CF_JDRQ"] = "2024年13月1日"
                generated.invalid[number] = DEFECTS[defect]
            generated.document_numbers[number] = row["CF_WSH"]
            writer.writerow([row[code] for code in CODES])
    return generated


class TopicReader:
    """Reads what one topic received after ``start()``: from the end offsets taken then."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self.topic = topic
        self.consumer = Consumer(
            {
                **settings.kafka_client_config(),
                "group.id": f"test-import-{uuid.uuid4().hex[:12]}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        metadata = self.consumer.list_topics(topic, timeout=10)
        self.partitions = sorted(metadata.topics[topic].partitions)
        self.begin = self._ends()

    def _ends(self) -> dict[int, int]:
        return {
            p: self.consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=10)[1]
            for p in self.partitions
        }

    def read(self, timeout: float = 30.0) -> list[Message]:
        """Every message written since the reader was made (up to the end offsets now)."""
        end = self._ends()
        todo = {p: end[p] for p in self.partitions if end[p] > self.begin[p]}
        self.consumer.assign([TopicPartition(self.topic, p, self.begin[p]) for p in todo])
        messages: list[Message] = []
        deadline = time.monotonic() + timeout
        while todo and time.monotonic() < deadline:
            for message in self.consumer.consume(num_messages=2000, timeout=0.5):
                assert message.error() is None, message.error()
                messages.append(message)
                if message.offset() + 1 >= todo.get(message.partition(), 0):
                    todo.pop(message.partition(), None)
        assert not todo, f"partitions {sorted(todo)} of {self.topic} not read to the end"
        self.begin = end
        return messages

    def close(self) -> None:
        self.consumer.close()


def _report_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as lines:
        return list(csv.DictReader(lines))


def _expected_event_ids(path: Path) -> dict[int, uuid.UUID]:
    """The ids the library derives for the valid rows: deterministic, so the CLI's are these."""
    builder = EventBuilder(DEPARTMENT, "penalty", load_departments(), lambda: datetime.now(UTC))
    ids = {}
    for row in open_source(path, table_for("penalty")).rows():
        built = builder.build(row.values)
        if built.event is not None:
            ids[row.number] = built.event.event_id
    return ids


def _penalties(messages: list[Message], marker: str) -> list[PenaltyImposed]:
    events = [decode_event(m.value()) for m in messages]
    return [e for e in events if isinstance(e, PenaltyImposed) and marker in e.facts]


def _opened(letter: Any, key: str) -> Any:
    """The letter opened with this install's key; as it is if another install sealed it."""
    try:
        return opened(letter, key) if isinstance(letter, DeadLettered) else letter
    except SealError:
        return letter


def test_ten_thousand_rows_with_one_percent_invalid(
    cli: RunCli, settings: Settings, tmp_path: Path
) -> None:
    generated = _generate(tmp_path, 10_000)
    assert len(generated.invalid) == 100
    expected = _expected_event_ids(generated.path)
    assert set(expected) == set(generated.document_numbers) - set(generated.invalid)
    report_path = tmp_path / "report.csv"
    penalties = TopicReader(settings, settings.topics.event("penalty"))
    dead_letters = TopicReader(settings, settings.topics.deadletter)
    try:
        began = time.monotonic()
        run = cli(
            "publish",
            "--department",
            DEPARTMENT,
            "--kind",
            "penalty",
            str(generated.path),
            "--report",
            str(report_path),
            timeout=120,
        )
        took = time.monotonic() - began
        arrived = _penalties(penalties.read(), generated.marker)
        # Rows of natural persons arrive sealed to the operators' key; operators open them.
        key = deadletterkeys.private_key(settings)
        assert key is not None
        letters = [_opened(decode_event(m.value()), key) for m in dead_letters.read()]
    finally:
        penalties.close()
        dead_letters.close()

    assert run.returncode == 1, run.stderr
    assert "10000 rows read: 9900 published, 100 rejected, 0 delivery failures" in run.stdout
    assert "100 rows rejected" in run.stdout
    assert took < 45, f"the import took {took:.1f} s"

    report = _report_rows(report_path)
    assert {int(line["row"]): line["field"] for line in report} == generated.invalid
    assert len(report) == 100  # one problem per invalid row
    assert {line["code"] for line in report} == {"CF_XDR_SHXYM", "CF_WSH", "CF_JDRQ"}

    arrived_ids = [event.event_id for event in arrived]
    assert len(arrived_ids) == len(set(arrived_ids)) == 9900
    assert set(arrived_ids) == set(expected.values())
    rejected_numbers = {generated.document_numbers[n] for n in generated.invalid} - {""}
    assert not rejected_numbers & {event.document_number for event in arrived}
    assert {event.department_id for event in arrived} == {DEPARTMENT}

    ours = [
        letter
        for letter in letters
        if isinstance(letter, DeadLettered)
        and letter.original_value is not None
        and generated.marker.encode() in letter.original_value
    ]
    assert len(ours) == 100
    assert {letter.rejected_by for letter in ours} == {f"importer:{DEPARTMENT}"}
    assert {letter.source_topic for letter in ours} == {settings.topics.event("penalty")}
    assert {letter.field for letter in ours} == set(DEFECTS.values())


SMALL = [
    {
        "CF_XDR_MC": "泰州市海陵区某某食品有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": "00000000000000000X",
        "CF_XDR_ZZJG": "MA1K3BTP2",
        "CF_CFLB": "警告、罚款",
        "CF_NR": "警告，罚款伍仟元",
        "CF_NR_FK": "0.5",
        "CF_JDRQ": "2024年3月1日",
    },
    {
        "CF_XDR_MC": "李四",
        "CF_XDR_LB": "自然人",
        "CF_XDR_ZJLX": "01",
        "CF_XDR_ZJHM": "321202199801011237",
        "CF_CFLB": "没收违法所得；罚款",
        "CF_NR": "没收违法所得并处罚款",
        "CF_NR_FK": "1,000",
        "CF_NR_WFFF": "0.25",
        "CF_JDRQ": "2024/3/2",
    },
    {
        "CF_XDR_MC": "泰州市某某个体户",
        "CF_XDR_LB": "个体工商户",
        "CF_XDR_SHXYM": "92321202MA1K3BTP23",
        "CF_CFLB": "警告",
        "CF_NR": "警告",
        "CF_JDRQ": "20240303",
        "BZ": "备注：无",
    },
]


def _small_rows(marker: str) -> list[dict[str, str]]:
    rows = []
    for index, row in enumerate(SMALL):
        base: dict[str, Any] = dict.fromkeys(CODES, "")
        base |= {
            "CF_WSH": f"泰市监罚〔2024〕{marker}-{index}号",
            "CF_WFXW": "违反食品安全法",
            "CF_SY": f"经查（{marker}）",
            "CF_YJ": "《中华人民共和国食品安全法》",
            "CF_CFJG": "泰州市市场监督管理局",
            "CF_CFJGDM": MARKET,
            "CF_SJLY": "泰州市市场监督管理局",
            "CF_SJLYDM": MARKET,
        }
        rows.append(base | row)
    return rows


def test_gbk_with_chinese_headers_and_utf8_with_codes_give_the_same_events(
    cli: RunCli, settings: Settings, tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex[:10]
    rows = _small_rows(marker)
    table = table_for("penalty")
    headers = [table.by_header(code).header for code in CODES]  # type: ignore[union-attr]
    gbk, utf8 = tmp_path / "gbk.csv", tmp_path / "utf8.csv"
    with gbk.open("w", encoding="gbk", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows([row[code] for code in CODES] for row in rows)
    reordered = list(reversed(CODES))
    with utf8.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([code.lower() for code in reordered])
        writer.writerows([row[code] for code in reordered] for row in rows)
    assert "李四".encode("gbk") in gbk.read_bytes()

    reader = TopicReader(settings, settings.topics.event("penalty"))
    try:
        results = {}
        for path in (gbk, utf8):
            run = cli("publish", "-d", DEPARTMENT, "-k", "penalty", str(path), "--quiet")
            assert run.returncode == 0, run.stdout + run.stderr
            assert "3 published, 0 rejected" in run.stdout
            results[path.name] = {e.event_id: e for e in _penalties(reader.read(), marker)}
    finally:
        reader.close()

    assert len(results["gbk.csv"]) == 3
    assert results["gbk.csv"] == results["utf8.csv"]
    by_name = {e.subject_name: e for e in results["gbk.csv"].values()}
    assert by_name["泰州市海陵区某某食品有限公司"].subject_id == "MA1K3BTP2"
    assert by_name["李四"].subject_id == "321202199801011237"
    assert (tmp_path / "gbk.csv.rejected.csv").exists()
