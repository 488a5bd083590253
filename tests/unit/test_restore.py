"""Restoring what departments were told from the notices they received."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from schemas.identifiers import mask_resident_id
from streams.restore import Answer, SentNotice, apply_answers, masks, restore_notices
from streams.rules.notices import ACTIVE, LIFTED, SUSPENDED, notice_id

WHEN = datetime(2024, 3, 5, 2, tzinfo=UTC)
COMPANY = "91321202MA1234567X"
PERSON = "321202199901010011"
TWIN = "321202200001010011"  # another resident with the same mask


def datum(subject: str, shown: str, action: str, seq: int, **fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "notice_id": notice_id(subject, "B01", "finance", seq),
        "subject_id": shown,
        "department_id": "finance",
        "action": action,
        "cause": "LISTED",
        "measure_id": "B01",
        "measure_name": "限制参与政府采购活动",
        "list": "BLACK",
        "mandatory": True,
        "legal_basis": "《中华人民共和国政府采购法》第二十二条",
        "initiating_department_id": "market-regulation",
        "effective_from": WHEN,
        "effective_until": WHEN + timedelta(days=1000),
        "records": [
            {"authority_uscc": "113212007048946933", "document_number": "泰市监罚〔2024〕1号"}
        ],
    }
    data.update(fields)
    return data


def sent(data: dict[str, object], at: datetime = WHEN) -> tuple[SentNotice, datetime, datetime]:
    return SentNotice.from_datum(data), at, at + timedelta(days=7)


def test_the_last_notice_by_sequence_sets_the_status_whatever_the_topic_order() -> None:
    history = [
        sent(datum(COMPANY, COMPANY, "INITIATE", 1)),
        sent(datum(COMPANY, COMPANY, "SUSPEND", 2)),
        sent(datum(COMPANY, COMPANY, "RESUME", 3)),
        sent(datum(COMPANY, COMPANY, "LIFT", 4, cause="EXPIRED")),
    ]
    rng = random.Random(1)
    for _ in range(5):
        order = rng.sample(history, len(history))
        restored = restore_notices([*order, order[0]], masks([COMPANY]))  # one published twice
        told = restored.told[COMPANY][("B01", "finance")]
        assert (told.status, told.seq) == (LIFTED, 4)
        assert restored.count == 4
        assert restored.gaps == 0


def test_suspended_and_active_pairs() -> None:
    restored = restore_notices(
        [sent(datum(COMPANY, COMPANY, "INITIATE", 1)), sent(datum(COMPANY, COMPANY, "SUSPEND", 2))],
        {},
    )
    told = restored.told[COMPANY][("B01", "finance")]
    assert (told.status, told.seq, told.measure.suspended) == (SUSPENDED, 2, True)
    only = restore_notices([sent(datum(COMPANY, COMPANY, "INITIATE", 1))], {})
    assert only.told[COMPANY][("B01", "finance")].status == ACTIVE
    record = only.records[COMPANY][notice_id(COMPANY, "B01", "finance", 1)]
    assert record["status"] == "pending"
    assert record["due"] - record["created"] == 7 * 86_400_000


def test_a_masked_notice_goes_to_the_resident_whose_id_reproduces_it() -> None:
    masked = mask_resident_id(PERSON)
    assert mask_resident_id(TWIN) == masked
    restored = restore_notices(
        [sent(datum(PERSON, masked, "INITIATE", 1)), sent(datum(TWIN, masked, "INITIATE", 1))],
        masks([COMPANY, PERSON, TWIN]),
    )
    assert set(restored.records) == {PERSON, TWIN}
    assert restored.told[PERSON][("B01", "finance")].seq == 1
    assert not restored.unmatched


def test_a_notice_of_no_known_subject_is_reported() -> None:
    restored = restore_notices([sent(datum(PERSON, mask_resident_id(PERSON), "INITIATE", 1))], {})
    assert restored.unmatched == [notice_id(PERSON, "B01", "finance", 1)]
    assert not restored.records


def test_answers_mark_notices_answered_as_the_workers_did() -> None:
    masked = mask_resident_id(PERSON)
    first = notice_id(PERSON, "B01", "finance", 1)
    restored = restore_notices([sent(datum(PERSON, masked, "INITIATE", 1))], masks([PERSON]))
    answers = [
        Answer("e1", masked, "finance", first, "EXECUTED", WHEN + timedelta(hours=1)),
        Answer("e2", masked, "tax", first, "EXECUTED", WHEN),  # not its department
        Answer("e3", mask_resident_id(TWIN)[:-1] + "9", "finance", first, "FAILED", WHEN),
        Answer("e4", masked, "finance", "n-unknown", "FAILED", WHEN),
    ]
    assert apply_answers(restored, answers) == [(PERSON, first)]
    record = restored.records[PERSON][first]
    assert (record["status"], record["feedback"], record["feedback_event"]) == (
        "answered",
        "EXECUTED",
        "e1",
    )
    assert record["answered"] == int((WHEN + timedelta(hours=1)).timestamp() * 1000)
