"""Calendar arithmetic in the policy's local time: records carry local calendar days."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta, timezone


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def start_of(day: date, tz: timezone) -> datetime:
    """Local midnight at the start of ``day``, as a UTC instant."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def end_of(day: date, tz: timezone) -> datetime:
    """The instant a period whose last day is ``day`` ends (the next local midnight)."""
    return start_of(day + timedelta(days=1), tz)


def local_day(instant: datetime, tz: timezone) -> date:
    return instant.astimezone(tz).date()
