"""Shared helpers of the rules tests: facts from sample events, the default policy, instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache

from pydantic import BaseModel

from creditflow.departments import load_departments
from schemas.codec import decode
from streams.policy import Policy, load_policy
from streams.rules import Fact, fact_from_datum


@cache
def policy() -> Policy:
    return load_policy(None, load_departments())


def fact(event: BaseModel) -> Fact:
    name = type(event).__name__
    datum = event.model_dump(mode="python")
    corrected = None
    if name == "ObjectionCorrected":
        inner_name, inner = decode(datum["corrected_record"])
        corrected = {"name": inner_name, "datum": inner}
    result = fact_from_datum(name, datum, corrected)
    if result is None:
        raise ValueError(f"{name} is not a subject record")
    return result


CST = timezone(timedelta(hours=8))


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    """An instant on a local day (noon China Standard Time by default), in UTC."""
    return datetime(year, month, day, hour, tzinfo=CST).astimezone(UTC)


def local(day: date) -> datetime:
    """Local midnight at the start of ``day``, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=CST).astimezone(UTC)
