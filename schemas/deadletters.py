"""Personal information in dead letters: sealed, never dropped (nothing is lost)."""

from __future__ import annotations

from schemas.notices import DeadLettered
from schemas.sealing import holds_resident_id, seal, unseal


def is_personal(letter: DeadLettered) -> bool:
    """A natural person's input (its subject id was masked), or any bytes that carry a resident
    ID number (a legal representative's, or an input too broken to tell its subject kind)."""
    masked = letter.subject_id is not None and "*" in letter.subject_id
    return masked or holds_resident_id(letter.original_key, letter.original_value)


def protect(letter: DeadLettered, public_key: str, *, force: bool = False) -> DeadLettered:
    """The letter with its original key and value sealed to the operators' key if personal
    (``force``: the caller knows it is a natural person's)."""
    if letter.sealed or not (force or is_personal(letter)):
        return letter
    key, value = letter.original_key, letter.original_value
    return letter.model_copy(
        update={
            "original_key": None if key is None else seal(public_key, key),
            "original_value": None if value is None else seal(public_key, value),
            "sealed": True,
        }
    )


def opened(letter: DeadLettered, private_key: str) -> DeadLettered:
    """The letter with its original bytes back (operators only)."""
    if not letter.sealed:
        return letter
    key, value = letter.original_key, letter.original_value
    return letter.model_copy(
        update={
            "original_key": None if key is None else unseal(private_key, key),
            "original_value": None if value is None else unseal(private_key, value),
            "sealed": False,
        }
    )
