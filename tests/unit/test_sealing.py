"""Dead letters of natural persons: sealed to the operators' key, nothing lost."""

from __future__ import annotations

import pytest

from schemas.deadletters import is_personal, opened, protect
from schemas.sealing import (
    SealError,
    holds_resident_id,
    new_private_key,
    public_key_of,
    seal,
    unseal,
)
from tests import factories as f

PERSON = f.PERSON


def test_sealed_bytes_open_with_the_private_key_only() -> None:
    key = new_private_key()
    sealed = seal(public_key_of(key), PERSON.encode())
    assert PERSON.encode() not in sealed
    assert unseal(key, sealed) == PERSON.encode()
    with pytest.raises(SealError):
        unseal(new_private_key(), sealed)
    with pytest.raises(SealError):
        unseal(key, sealed[:-1] + bytes([sealed[-1] ^ 1]))


def test_resident_ids_are_found_in_any_bytes() -> None:
    assert holds_resident_id(b'{"FR_ZJHM": "' + PERSON.encode() + b'"}')
    assert not holds_resident_id(b"91110108551385082Q", None, b"110102199101010079")


def test_a_persons_dead_letter_is_sealed_and_an_organisations_is_not() -> None:
    key = new_private_key()
    person = f.dead_lettered(
        subject_id="1101**********0078", original_key=PERSON.encode(), original_value=b"\xc3x"
    )
    assert is_personal(person)
    sealed = protect(person, public_key_of(key))
    assert sealed.sealed
    assert PERSON.encode() not in (sealed.original_key or b"")
    assert opened(sealed, key) == person
    company = f.dead_lettered()
    assert protect(company, public_key_of(key)) == company
