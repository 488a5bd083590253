"""USCC and resident ID rules, subject kinds, masking."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from schemas.errors import IdentifierError
from schemas.identifiers import (
    USCC_PLACEHOLDER,
    mask_name,
    mask_resident_id,
    mask_subject_id,
    validate_resident_id,
    validate_subject,
    validate_uscc,
)


@pytest.mark.parametrize("code", ["91110108551385082Q", "91310115MA1K3BTP2B", "113212007048946933"])
def test_valid_usccs(code: str) -> None:
    assert validate_uscc(code) == code


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("91110000600037341N", "check character"),  # DOMAIN.md's invalid example
        ("91110108551385082", "18 characters"),
        ("9111010855138508IQ", "alphabet"),  # I is not in the USCC alphabet
    ],
)
def test_invalid_usccs_say_why(code: str, why: str) -> None:
    with pytest.raises(IdentifierError, match=why) as caught:
        validate_uscc(code, "authority_uscc")
    assert caught.value.field == "authority_uscc"
    assert caught.value.reason_code == "invalid.uscc"


@pytest.mark.parametrize(
    "number", ["110102199101010078", "44011320141005001X", "44011320141005001x"]
)
def test_valid_resident_ids(number: str) -> None:
    assert validate_resident_id(number) == number.upper()


@pytest.mark.parametrize(
    "number",
    [
        "110102199101010079",  # wrong check digit
        "110102199113010078",  # month 13
        "11010219910101007",  # 17 characters
        "110102910101007",  # the old 15-digit form is not accepted for new records
    ],
)
def test_invalid_resident_ids(number: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        validate_resident_id(number)
    assert caught.value.reason_code == "invalid.resident_id"
    assert number not in str(caught.value)  # the message does not repeat personal data


def test_natural_person_needs_a_resident_id() -> None:
    with pytest.raises(IdentifierError):
        validate_subject("NATURAL_PERSON", "91110108551385082Q")
    assert validate_subject("NATURAL_PERSON", "110102199101010078") == "110102199101010078"


def test_organisation_needs_a_uscc() -> None:
    with pytest.raises(IdentifierError):
        validate_subject("LEGAL_PERSON", "110102199101010078")
    body = "92321202MA1R7K3C2"  # 9 (market regulation) 2 (individual business), Taizhou 321202
    business = body + uscc.calc_check_digit(body)
    assert validate_subject("INDIVIDUAL_BUSINESS", business) == business


def test_placeholder_is_allowed_only_with_another_code() -> None:
    with pytest.raises(IdentifierError, match="placeholder"):
        validate_subject("LEGAL_PERSON", USCC_PLACEHOLDER)
    assert (
        validate_subject("LEGAL_PERSON", "320000000012345", ["320000000012345"])
        == "320000000012345"
    )
    with pytest.raises(IdentifierError):
        validate_subject("LEGAL_PERSON", "320000000012345X78", ["320000000012345"])


def test_unknown_subject_kind() -> None:
    with pytest.raises(IdentifierError) as caught:
        validate_subject("ROBOT", "91110108551385082Q")
    assert caught.value.field == "subject_kind"


def test_masking() -> None:
    assert mask_resident_id("321202199001011234") == "3212**********1234"
    assert mask_name("张三丰") == "张**"
    assert mask_subject_id("NATURAL_PERSON", "110102199101010078") == "1101**********0078"
    assert mask_subject_id("LEGAL_PERSON", "91110108551385082Q") == "91110108551385082Q"
