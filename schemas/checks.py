"""Checks that need the clock or the department registry, on top of the model's own rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from creditflow.departments import DepartmentRegistry
from schemas.errors import ContractError
from schemas.events import Event

#: Clocks of department systems drift; a decision a few minutes "ahead" is not an error.
CLOCK_SKEW = timedelta(minutes=5)
_DECISION_DATES = ("decided_on", "filed_on")


def check_plausible(event: Event, now: datetime, departments: DepartmentRegistry) -> None:
    """Raise ContractError if ``event`` comes from an unknown department or from the future."""
    if event.department_id not in departments:
        raise ContractError(
            f"unknown department {event.department_id!r}",
            field="department_id",
            reason_code="invalid.department",
        )
    if event.occurred_at > now + CLOCK_SKEW:
        raise ContractError(
            f"{event.occurred_at.isoformat()} is in the future",
            field="occurred_at",
            reason_code="invalid.future",
        )
    # Dates are local (China Standard Time) calendar days: allow the day ahead of UTC.
    latest = (now + timedelta(days=1)).date()
    for name in _DECISION_DATES:
        value = getattr(event, name, None)
        if isinstance(value, date) and value > latest:
            raise ContractError(
                f"{value.isoformat()} is in the future", field=name, reason_code="invalid.future"
            )
