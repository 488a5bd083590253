"""Subject identifiers: USCC (GB 32100-2015) and resident ID (GB 11643-1999), and masking.

Check digits come from python-stdnum; this module adds the platform's rules on top: which
identifier a subject kind must carry, and how personal information is masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from schemas.errors import IdentifierError

#: What a department sends in XDR_SHXYM for an organisation that has no USCC.
USCC_PLACEHOLDER = "00000000000000000X"

LEGAL_PERSON = "LEGAL_PERSON"
INDIVIDUAL_BUSINESS = "INDIVIDUAL_BUSINESS"
NATURAL_PERSON = "NATURAL_PERSON"


def _explain(exc: stdnum_errors.ValidationError) -> str:
    if isinstance(exc, stdnum_errors.InvalidChecksum):
        return "wrong check character"
    if isinstance(exc, stdnum_errors.InvalidLength):
        return "must be 18 characters"
    if isinstance(exc, stdnum_errors.InvalidFormat):
        return "characters outside the allowed alphabet"
    if isinstance(exc, stdnum_errors.InvalidComponent):
        return "an invalid component (area or birth date)"
    return str(exc)


# A city has far fewer identifiers than events: departments and subjects recur, and stdnum's
# checks cost tens of microseconds each. Only valid results are cached (errors are raised anew).
@lru_cache(maxsize=262_144)
def validate_uscc(value: str, field: str = "uscc") -> str:
    """Return the compact USCC, or raise IdentifierError naming what is wrong."""
    try:
        return str(uscc.validate(value))
    except stdnum_errors.ValidationError as exc:
        raise IdentifierError(
            f"{value!r} is not a valid 统一社会信用代码: {_explain(exc)}",
            field=field,
            reason_code="invalid.uscc",
        ) from exc


@lru_cache(maxsize=262_144)
def validate_resident_id(value: str, field: str = "id_number") -> str:
    """Return the compact 18-digit resident ID number, or raise IdentifierError."""
    compact = str(ric.compact(value)).upper()
    if len(compact) != 18:
        raise IdentifierError(
            "a 居民身份证号码 must have 18 characters",
            field=field,
            reason_code="invalid.resident_id",
        )
    try:
        return str(ric.validate(compact))
    except stdnum_errors.ValidationError as exc:
        raise IdentifierError(
            f"{mask_resident_id(compact)} is not a valid 居民身份证号码: {_explain(exc)}",
            field=field,
            reason_code="invalid.resident_id",
        ) from exc


def validate_subject(
    kind: str, subject_id: str, other_codes: Iterable[str | None] = (), field: str = "subject_id"
) -> str:
    """Check that ``subject_id`` fits the subject kind; return it in compact form.

    A natural person is named by an 18-digit resident ID number; an organisation or individual
    business by its USCC, or, when it has none, by one of its other codes (工商注册号,
    组织机构代码, …), which must then be given too.
    """
    if kind == NATURAL_PERSON:
        return validate_resident_id(subject_id, field)
    if kind not in (LEGAL_PERSON, INDIVIDUAL_BUSINESS):
        raise IdentifierError(f"unknown subject kind {kind!r}", field="subject_kind")
    if subject_id == USCC_PLACEHOLDER:
        raise IdentifierError(
            "the no-USCC placeholder cannot name a subject: use the other code given",
            field=field,
            reason_code="invalid.uscc",
        )
    if subject_id in {code for code in other_codes if code}:
        return subject_id
    return validate_uscc(subject_id, field)


def mask_resident_id(value: str) -> str:
    """``321202199001011234`` → ``3212**********1234``: birth date and sequence hidden."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


_MASKED_RESIDENT_ID = re.compile(r"^[0-9]{4}\*{10}[0-9X]{4}$")


def is_masked_resident_id(value: str) -> bool:
    """Whether ``value`` has the shape ``mask_resident_id`` gives an 18-digit ID number."""
    return bool(_MASKED_RESIDENT_ID.match(value))


def mask_name(value: str) -> str:
    """``张三丰`` → ``张**``: the family name only."""
    return value[:1] + "*" * (len(value) - 1) if value else value


@lru_cache(maxsize=262_144)
def _is_resident_id(value: str) -> bool:
    return bool(ric.is_valid(value))


def is_personal(kind: str, subject_id: str) -> bool:
    """Whether a subject id is personal information: a natural person's, or anything that is a
    resident ID number whatever kind it was sent with."""
    return kind == NATURAL_PERSON or _is_resident_id(subject_id)


def mask_subject_id(kind: str, subject_id: str) -> str:
    """A subject id as it may be shown to someone not entitled to personal information."""
    return mask_resident_id(subject_id) if is_personal(kind, subject_id) else subject_id


def mask_subject_name(kind: str, name: str) -> str:
    return mask_name(name) if kind == NATURAL_PERSON else name
