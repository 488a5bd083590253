"""Subject ids in API paths: which checks they must pass (``schemas.identifiers``)."""

from __future__ import annotations

import re

from schemas.errors import IdentifierError
from schemas.identifiers import validate_resident_id, validate_uscc
from streams.api.errors import bad_request

#: An organisation without a USCC is named by another code (工商注册号, 组织机构代码, …).
_OTHER_CODE = re.compile(r"^[0-9A-Z]{8,20}$")
_RESIDENT_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")


def parse_subject_id(raw: str) -> str:
    """The compact subject id, or a 400 naming the check that failed."""
    value = raw.strip().replace(" ", "").replace("-", "").upper()
    try:
        if len(value) == 18 and _RESIDENT_SHAPE.match(value):
            # 18 digits: a 居民身份证号码, unless it is a USCC that happens to be all digits.
            try:
                return validate_resident_id(value, "subject_id")
            except IdentifierError:
                return validate_uscc(value, "subject_id")
        if len(value) == 18:
            return validate_uscc(value, "subject_id")
    except IdentifierError as exc:
        raise bad_request("invalid_subject_id", _explain(value, exc)) from exc
    if _OTHER_CODE.match(value):
        return value
    raise bad_request(
        "invalid_subject_id",
        "a subject id is an 18-character 统一社会信用代码 (GB 32100-2015), an 18-digit "
        "居民身份证号码 (GB 11643-1999), or for an organisation without a USCC its other code "
        "(8 to 20 letters and digits)",
    )


def _explain(value: str, exc: IdentifierError) -> str:
    if _RESIDENT_SHAPE.match(value):
        # Both checks failed; the resident ID's message masks the number (个人信息).
        try:
            validate_resident_id(value, "subject_id")
        except IdentifierError as person:
            return f"{person.detail} (GB 11643-1999 check), nor a valid 统一社会信用代码"
    return f"{exc.detail} (GB 32100-2015 check)"
