"""Parsers of the values departments write in their files: dates, amounts, codes, choices.

A parser takes one non-empty cell — a string from a CSV file, or a JSON value from a JSONL
file — and returns the value the event model takes, or raises ``ContractError`` with a
reason code (``invalid.date``, ``invalid.amount``, …) saying what a valid value looks like.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, TypeVar

from schemas.errors import ContractError

#: China Standard Time: a decision date is a calendar day there.
CST = timezone(timedelta(hours=8), "CST")
#: What 有效期至 holds for a permit without an end (长期).
LONG_TERM = date(2099, 12, 31)
#: Avro decimals of the contract carry 6 decimals (万元 to the cent and beyond).
AMOUNT_SCALE = Decimal("0.000001")
_MAX_AMOUNT_DIGITS = 12  # precision 18, scale 6

Parser = Callable[[object], Any]
E = TypeVar("E", bound=Enum)


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), no whitespace, upper case: how labels are compared."""
    folded = unicodedata.normalize("NFKC", text).replace("\ufeff", "")
    return "".join(folded.split()).upper()


def _kind_of(value: object) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    return type(value).__name__


def as_text(value: object) -> str:
    """A cell as stripped text; JSON numbers are taken as their digits, objects are refused."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | float):
        raise ContractError(f"must be text, not {_kind_of(value)}", reason_code="invalid.value")
    return str(value).strip()


def parse_text(value: object) -> str:
    """Free text (names, facts, document numbers), kept as written."""
    return as_text(value)


def parse_identifier(value: object) -> str:
    """A code such as a USCC or an ID number: half-width, no spaces, upper case (x → X)."""
    return normalise(as_text(value))


_TIME_SUFFIX = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?"
_DATE_FORMS = (
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})" + _TIME_SUFFIX),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?" + _TIME_SUFFIX),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
)
DATE_FORMS_HINT = "use 2024-03-01, 2024/3/1, 20240301, 2024.3.1 or 2024年3月1日"


def parse_date(value: object) -> date:
    """A calendar day in any of the forms department exports use (Excel's time part ignored)."""
    text = unicodedata.normalize("NFKC", as_text(value)).strip()
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                break  # the right shape but no such day, e.g. 2024-02-30
    raise ContractError(f"{text!r} is not a date: {DATE_FORMS_HINT}", reason_code="invalid.date")


def parse_end_date(value: object) -> date:
    """The end of a validity period: a date, or 长期 (long-term) for 2099-12-31."""
    if isinstance(value, str) and normalise(value) in {"长期", "长期有效", "LONGTERM"}:
        return LONG_TERM
    return parse_date(value)


def parse_timestamp(value: object) -> datetime:
    """An ISO 8601 time; without a zone it is China Standard Time. A date alone is 00:00."""
    text = unicodedata.normalize("NFKC", as_text(value)).strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return datetime.combine(parse_date(text), time(), CST)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CST)


_AMOUNT = re.compile(r"(?P<sign>[-+]?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?")


def parse_amount(value: object) -> Decimal:
    """An amount in 万元: thousands separators allowed, at most 6 decimals, not negative."""
    text = normalise(as_text(value))
    for unit in ("万元", "万"):
        text = text.removesuffix(unit)
    if text.endswith("元"):
        raise ContractError(
            f"{as_text(value)!r} is in 元: amounts are in 万元 (10 000 元 = 1)",
            reason_code="invalid.amount",
        )
    match = _AMOUNT.fullmatch(text)
    if not match:
        raise ContractError(
            f"{as_text(value)!r} is not an amount in 万元, e.g. 0.5 or 1,200.25",
            reason_code="invalid.amount",
        )
    if match["sign"] == "-" and set(match["int"] + (match["frac"] or "")) != {"0"}:
        raise ContractError(
            f"{as_text(value)!r} is negative: an amount cannot be", reason_code="invalid.amount"
        )
    digits, fraction = match["int"].replace(",", ""), match["frac"] or ""
    if len(fraction) > 6:
        raise ContractError(
            f"{as_text(value)!r} has more than 6 decimals", reason_code="invalid.amount"
        )
    if len(digits.lstrip("0")) > _MAX_AMOUNT_DIGITS:
        raise ContractError(f"{as_text(value)!r} is too large", reason_code="invalid.amount")
    return Decimal(f"{digits}.{fraction or '0'}").quantize(AMOUNT_SCALE)


_TRUE = {"是", "Y", "YES", "TRUE", "1", "T"}
_FALSE = {"否", "N", "NO", "FALSE", "0", "F"}


def parse_bool(value: object) -> bool:
    """是/否, Y/N, true/false, 1/0."""
    if isinstance(value, bool):
        return value
    text = normalise(as_text(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ContractError(f"{as_text(value)!r} is not 是 or 否", reason_code="invalid.value")


def parse_months(value: object) -> int:
    """A whole, positive number of months."""
    text = normalise(as_text(value)).removesuffix("个月").removesuffix("月")
    if not text.isdigit() or int(text) == 0:
        raise ContractError(
            f"{as_text(value)!r} is not a whole number of months above 0",
            reason_code="invalid.value",
        )
    return int(text)


def parse_uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(as_text(value))
    except ValueError:
        raise ContractError(
            f"{as_text(value)!r} is not a UUID", reason_code="invalid.value"
        ) from None


def parse_object(value: object) -> dict[str, Any]:
    """A nested record, which only a JSONL file can carry."""
    if not isinstance(value, Mapping):
        raise ContractError(
            f"must be a JSON object, not {_kind_of(value)}: give it in a JSONL file",
            reason_code="invalid.value",
        )
    return dict(value)


class Choice(Generic[E]):
    """One of an enumeration, by its Chinese name(s), a numeric code or its Avro symbol."""

    def __init__(self, what: str, labels: Mapping[str, E], reason_code: str) -> None:
        self.what = what
        self.reason_code = reason_code
        self._lookup: dict[str, E] = {normalise(label): m for label, m in labels.items()}
        for member in labels.values():
            self._lookup.setdefault(normalise(str(member.value)), member)
        # The first label of each member is how it is shown in messages.
        shown: dict[E, str] = {}
        for label, member in labels.items():
            shown.setdefault(member, label)
        self.names = tuple(shown.values())

    def lookup(self, text: str) -> E:
        member = self._lookup.get(normalise(text))
        if member is None:
            raise ContractError(
                f"{text!r} is not a {self.what}: use one of {', '.join(self.names)}",
                reason_code=self.reason_code,
            )
        return member

    def __call__(self, value: object) -> E:
        return self.lookup(as_text(value))
