"""Notice records as Redis keeps them (streams.store.noticerecords)."""

from __future__ import annotations

import orjson
import pytest

from streams.store.noticerecords import NoticeRecordError, pack_record, unpack_record

CREATED = {
    "department": "market-regulation",
    "initiating": "credit-office",
    "measure": "C02",
    "action": "INITIATE",
    "cause": "CLEAN",
    "list": "THREE_YEAR_CLEAN",
    "created": 1_795_899_217_464,
    "due": 1_796_504_017_464,
    "status": "pending",
}
ANSWERED = {
    **CREATED,
    "status": "answered",
    "feedback": "EXECUTED",
    "feedback_event": "0590d08c-9682-41f3-b5ee-2f748c7eeae8",
    "answered": 1_796_000_000_000,
}


@pytest.mark.parametrize("record", [CREATED, ANSWERED])
def test_a_record_reads_back_as_written_in_under_half_the_bytes_of_json(
    record: dict[str, object],
) -> None:
    packed = pack_record(record)
    assert unpack_record(packed) == record
    assert len(packed) < len(orjson.dumps(record)) / 2


def test_a_record_written_as_json_before_is_read_as_it_is() -> None:
    assert unpack_record(orjson.dumps(ANSWERED)) == ANSWERED
    assert unpack_record(orjson.dumps(CREATED).decode()) == CREATED


def test_a_record_missing_a_field_is_refused_not_stored_short() -> None:
    with pytest.raises(NoticeRecordError, match="'due'"):
        pack_record({k: v for k, v in CREATED.items() if k != "due"})
    with pytest.raises(NoticeRecordError, match="'answered'"):
        pack_record({k: v for k, v in ANSWERED.items() if k != "answered"})


@pytest.mark.parametrize("raw", [b"\x93\x01\x02\x03", b"\xc1", b"{}x", b"[1,2]"])
def test_bytes_that_are_no_record_are_refused(raw: bytes) -> None:
    with pytest.raises(NoticeRecordError):
        unpack_record(raw)
