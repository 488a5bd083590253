"""Publicity and listing periods of a penalty, and whether a credit repair may end them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from schemas.enums import NoticeCause
from streams.policy import Policy
from streams.rules.calendar import add_months, start_of
from streams.rules.facts import PenaltyFact, RepairFact

ENDS_PUBLICITY = {"PUBLICITY_ENDED_EARLY", "BLACKLIST_REMOVAL", "OTHER_ADVERSE_INFORMATION"}


@dataclass(frozen=True, slots=True)
class Window:
    since: datetime
    until: datetime
    cause: NoticeCause  # EXPIRED or REPAIRED: what ends it
    rule: str


def is_published(penalty: PenaltyFact, policy: Policy) -> bool:
    rules = policy.publicity
    if penalty.serious is not None:
        return True
    if penalty.categories <= {str(c) for c in rules.unpublished_categories}:
        return False
    return not (penalty.simplified_procedure and not rules.publish_simplified_procedure)


def publicity_months(penalty: PenaltyFact, policy: Policy) -> tuple[int, int, str]:
    """(minimum, maximum, severity) of the penalty's publicity in months."""
    severity = "serious" if penalty.serious is not None else "ordinary"
    period = getattr(policy.publicity, severity)
    floor = max(
        (m for d, m in policy.publicity.domain_min_months.items() if str(d) == penalty.domain),
        default=0,
    )
    minimum = max(period.min_months, floor)
    return minimum, max(period.max_months, minimum), severity


def repair_problem(repair: RepairFact, record: object, policy: Policy) -> tuple[str, str] | None:
    """Why ``repair`` cannot take effect on ``record`` — (reason code, reason) — or None."""
    if not isinstance(record, PenaltyFact):
        return ("repair.not_adverse", "credit repair applies to penalties only")
    if repair.department_id != record.department_id:
        return (
            "repair.wrong_department",
            f"only the department that determined {record.ref} ({record.department_id}) "
            "may decide its repair",
        )
    if repair.route == "BLACKLIST_REMOVAL" and record.serious is None:
        return ("repair.not_listed", f"{record.ref} carries no serious-dishonesty determination")
    earliest, rule = earliest_repair(record, repair.route, policy)
    if repair.decided_on < earliest:
        return (
            "repair.before_minimum",
            f"repair decided on {repair.decided_on} but {record.ref} may be repaired only from "
            f"{earliest} ({rule})",
        )
    return None


def earliest_repair(record: PenaltyFact, route: str, policy: Policy) -> tuple[date, str]:
    minimum, _, severity = publicity_months(record, policy)
    earliest = add_months(record.decided_on, minimum)
    rule = f"publicity.{severity}.min_months={minimum}"
    if route == "BLACKLIST_REMOVAL":
        months = policy.black_list.early_removal_min_months
        if add_months(record.decided_on, months) > earliest:
            earliest = add_months(record.decided_on, months)
            rule = f"black_list.early_removal_min_months={months}"
    return earliest, rule


def _earliest_valid(
    repairs: list[RepairFact], record: PenaltyFact, routes: set[str], policy: Policy
) -> date | None:
    days = [
        r.decided_on
        for r in repairs
        if r.route in routes and repair_problem(r, record, policy) is None
    ]
    return min(days, default=None)


def publicity(penalty: PenaltyFact, repairs: list[RepairFact], policy: Policy) -> Window | None:
    """The penalty's publicity window, or None if it is not published at all."""
    if not is_published(penalty, policy):
        return None
    minimum, maximum, severity = publicity_months(penalty, policy)
    start, tz = penalty.decided_on, policy.tz
    lowest, highest = add_months(start, minimum), add_months(start, maximum)
    end, rule = highest, f"publicity.{severity}.max_months={maximum}"
    if penalty.publicity_until is not None:
        end = min(max(penalty.publicity_until + timedelta(days=1), lowest), highest)
        rule = f"CF_GSJZQ within publicity.{severity} [{minimum}, {maximum}] months"
    cause = NoticeCause.EXPIRED
    repaired = _earliest_valid(repairs, penalty, ENDS_PUBLICITY, policy)
    if repaired is not None and repaired < end:
        end, cause, rule = repaired, NoticeCause.REPAIRED, "credit repair (信用修复)"
    return Window(start_of(start, tz), start_of(end, tz), cause, rule)


def listing(penalty: PenaltyFact, repairs: list[RepairFact], policy: Policy) -> Window | None:
    """The black-list window of a serious-dishonesty determination, or None."""
    if penalty.serious is None:
        return None
    months = penalty.serious.listing_months or policy.black_list.default_listing_months
    rule = (
        f"listing period {months} months (determination)"
        if penalty.serious.listing_months
        else f"black_list.default_listing_months={months}"
    )
    end, cause = add_months(penalty.decided_on, months), NoticeCause.EXPIRED
    removed = _earliest_valid(repairs, penalty, {"BLACKLIST_REMOVAL"}, policy)
    if removed is not None and removed < end:
        end, cause, rule = removed, NoticeCause.REPAIRED, "credit repair: removal from the list"
    return Window(start_of(penalty.decided_on, policy.tz), start_of(end, policy.tz), cause, rule)
