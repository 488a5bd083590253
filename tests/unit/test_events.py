"""The models' rules: every invalid event names its field; identity fields are filled in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from creditflow.departments import load_departments
from schemas.checks import check_plausible
from schemas.codec import encode_model, invalid_event, to_model
from schemas.errors import ContractError, InvalidEventError
from schemas.events import ObjectionCorrected, PenaltyImposed, PermitGranted
from tests import factories as f


def _problems(cls: type[Any], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidEventError) as caught:
        to_model(cls, data)
    return {p.field: p.reason for p in caught.value.problems}


def test_missing_document_number_names_the_field_and_its_code() -> None:
    data = f.penalty().model_dump()
    del data["document_number"]
    with pytest.raises(InvalidEventError) as caught:
        to_model(PenaltyImposed, data)
    problem = caught.value.problems[0]
    assert (problem.field, problem.code) == ("document_number", "CF_WSH")
    assert "CF_WSH" in str(caught.value)


def test_bad_check_digit_in_subject() -> None:
    data = {**f.penalty().model_dump(), "subject_id": "91110000600037341N", "uscc": None}
    problems = _problems(PenaltyImposed, data)
    assert "check character" in problems["subject_id"]


def test_subject_kind_must_fit_the_id() -> None:
    data = {**f.penalty().model_dump(), "subject_kind": "NATURAL_PERSON", "id_number": None}
    assert "subject_id" in _problems(PenaltyImposed, data)


def test_identity_fields_are_filled_from_the_subject_id() -> None:
    company = f.penalty()
    assert company.uscc == f.COMPANY
    person = f.penalty(subject_id=f.PERSON)
    assert (person.id_type, person.id_number) == ("RESIDENT_ID_CARD", f.PERSON)


def test_uscc_must_match_the_subject_id() -> None:
    data = {**f.penalty().model_dump(), "uscc": f.OTHER_COMPANY}
    assert "uscc" in _problems(PenaltyImposed, data)


def test_placeholder_with_another_code_names_the_subject_by_it() -> None:
    event = f.penalty(
        subject_id="320000000012345",
        uscc="00000000000000000X",
        registration_number="320000000012345",
    )
    assert event.subject_id == "320000000012345"
    data = {**event.model_dump(), "registration_number": None}
    assert _problems(PenaltyImposed, data)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"categories": ["WARNING"]}, "fine_amount"),  # an amount without the FINE category
        ({"categories": ["FINE"], "fine_amount": None}, "fine_amount"),
        ({"categories": ["LICENCE_REVOKED"], "fine_amount": None}, "licence_affected"),
        ({"categories": ["FINE", "FINE"]}, "categories"),
        ({"categories": []}, "categories"),
        ({"fine_amount": Decimal("-1")}, "fine_amount"),
        ({"fine_amount": Decimal("0.0000001")}, "fine_amount"),
        ({"facts": "x" * 5000}, "facts"),
        ({"document_number": "   "}, "document_number"),
        ({"department_id": "Market Regulation"}, "department_id"),
        ({"occurred_at": datetime(2024, 3, 1)}, "occurred_at"),  # naive: no time zone
    ],
)
def test_penalty_rules(changes: dict[str, Any], field: str) -> None:
    data = {**f.penalty().model_dump(), **changes}
    assert field in _problems(PenaltyImposed, data)


def test_permit_validity_must_not_end_before_it_starts() -> None:
    data = {**f.permit().model_dump(), "valid_until": date(2020, 1, 1)}
    assert "valid_until" in _problems(PermitGranted, data)


def test_occurred_at_keeps_milliseconds_only() -> None:
    event = f.penalty(occurred_at=datetime(2024, 3, 1, 1, 2, 3, 456789, tzinfo=UTC))
    assert event.occurred_at.microsecond == 456000


def test_corrected_record_must_be_the_same_record() -> None:
    other = f.penalty(document_number="泰市监处罚〔2024〕999号")
    data = {**f.objection_corrected().model_dump(), "corrected_record": encode_model(other)}
    assert "corrected_record" in _problems(ObjectionCorrected, data)
    data["corrected_record"] = b"not avro"
    with pytest.raises(ContractError):
        to_model(ObjectionCorrected, data)


def test_corrected_record_decodes() -> None:
    corrected = f.objection_corrected().corrected()
    assert corrected.fine_amount == Decimal("1.5")


def test_invalid_event_lists_every_missing_field() -> None:
    with pytest.raises(ValidationError) as caught:
        PermitGranted.model_validate({"subject_id": f.COMPANY})
    error = invalid_event("PermitGranted", caught.value)
    fields = {p.field for p in error.problems}
    assert {"document_number", "valid_from", "authority_uscc", "occurred_at"} <= fields


def test_plausibility_unknown_department_and_future() -> None:
    registry = load_departments()
    now = f.WHEN + timedelta(days=1)
    check_plausible(f.penalty(), now, registry)
    with pytest.raises(ContractError) as caught:
        check_plausible(f.penalty(department_id="no-such-dept"), now, registry)
    assert caught.value.reason_code == "invalid.department"
    with pytest.raises(ContractError) as caught:
        check_plausible(f.penalty(occurred_at=now + timedelta(hours=1)), now, registry)
    assert caught.value.field == "occurred_at"
    with pytest.raises(ContractError) as caught:
        check_plausible(f.penalty(decided_on=date(2030, 1, 1)), now, registry)
    assert caught.value.field == "decided_on"
