"""The rules on the scenarios of the platform: lists, publicity, repair, objections, time."""

from __future__ import annotations

from datetime import date

from schemas.enums import ListKind, NoticeAction, NoticeCause
from streams.rules import derive
from streams.rules.notices import plan_notices
from tests import factories as f
from tests.unit.rules_helpers import at, fact, local, policy

BLACK_MEASURES_FOR_A_COMPANY = 13  # B01..B10 less the natural-person ones, × departments


def test_serious_penalty_lists_the_subject_with_the_default_period() -> None:
    state = derive([fact(f.penalty(serious=True))], policy(), at(2024, 3, 5))
    (listing,) = state.listed(ListKind.BLACK)
    assert listing.department_id == "market-regulation"
    assert listing.since == local(date(2024, 3, 1))
    assert listing.until == local(date(2027, 3, 1))  # 36 months
    assert "失信名单管理办法" in listing.legal_basis
    assert len(state.measures) == BLACK_MEASURES_FOR_A_COMPANY
    assert {m.department_id for m in state.measures if m.measure_id == "B02"} == {
        "public-trading",
        "housing",
        "transport",
        "water",
    }
    # Publicity (serious: 36 months at most) and listing both end then; nothing changes before.
    assert state.next_change == local(date(2027, 3, 1))
    assert state.grade == "D"


def test_listing_months_of_the_determination_win_over_the_default() -> None:
    event = f.penalty(serious=True)
    determination = event.serious_dishonesty.model_copy(update={"listing_months": 24})
    state = derive(
        [fact(event.model_copy(update={"serious_dishonesty": determination}))],
        policy(),
        at(2024, 3, 5),
    )
    assert state.listed(ListKind.BLACK)[0].until == local(date(2026, 3, 1))


def test_ordinary_penalty_is_published_but_not_listed() -> None:
    state = derive([fact(f.penalty())], policy(), at(2024, 3, 5))
    assert not state.on(ListKind.BLACK)
    (published,) = state.published
    assert published.until == local(date(2025, 3, 1))  # ordinary maximum: 12 months
    assert state.measures == ()


def test_warnings_alone_are_not_published() -> None:
    event = f.penalty(categories=["WARNING"], fine_amount=None)
    assert derive([fact(event)], policy(), at(2024, 3, 5)).published == ()


def test_work_safety_penalties_are_published_at_least_a_year() -> None:
    event = f.penalty(domain="WORK_SAFETY", publicity_until=date(2024, 6, 1))
    (published,) = derive([fact(event)], policy(), at(2024, 3, 5)).published
    assert published.until == local(date(2025, 3, 1))


def test_publicity_until_is_bounded_by_the_policy() -> None:
    early = f.penalty(publicity_until=date(2024, 4, 1))  # below the 3-month minimum
    (published,) = derive([fact(early)], policy(), at(2024, 3, 5)).published
    assert published.until == local(date(2024, 6, 1))
    inside = f.penalty(publicity_until=date(2024, 8, 31))
    (published,) = derive([fact(inside)], policy(), at(2024, 3, 5)).published
    assert published.until == local(date(2024, 9, 1))


def test_penalty_ends_the_red_list_and_its_incentives() -> None:
    designation = f.commendation(valid_from=date(2024, 1, 1), valid_until=date(2025, 12, 31))
    before = derive([fact(designation)], policy(), at(2024, 2, 1))
    assert before.on(ListKind.RED)
    assert {m.list for m in before.measures} == {ListKind.RED}
    after = derive([fact(designation), fact(f.penalty(serious=True))], policy(), at(2024, 3, 5))
    assert not after.on(ListKind.RED)
    assert [e.cause for e in after.ended if e.list == ListKind.RED] == [
        NoticeCause.ENDED_BY_PENALTY
    ]
    _, told = plan_notices(f.COMPANY, {}, before)
    intents, _ = plan_notices(f.COMPANY, told, after)
    lifts = [i for i in intents if i.action == NoticeAction.LIFT]
    assert {i.measure.list for i in lifts} == {ListKind.RED}
    assert {i.cause for i in lifts} == {NoticeCause.ENDED_BY_PENALTY}


def test_repair_before_the_minimum_is_ignored_with_a_reason() -> None:
    early = f.repair(route="BLACKLIST_REMOVAL", decided_on=date(2024, 12, 1))
    state = derive([fact(f.penalty(serious=True)), fact(early)], policy(), at(2024, 12, 2))
    (ignored,) = state.ignored
    assert ignored.reason_code == "repair.before_minimum"
    assert "2025-03-01" in ignored.reason
    assert "early_removal_min_months=12" in ignored.reason
    assert state.on(ListKind.BLACK)


def test_repair_after_the_minimum_removes_the_listing() -> None:
    penalty = fact(f.penalty(serious=True))
    listed = derive([penalty], policy(), at(2025, 3, 2))
    repair = fact(f.repair(route="BLACKLIST_REMOVAL", decided_on=date(2025, 3, 2)))
    repaired = derive([penalty, repair], policy(), at(2025, 3, 3))
    assert not repaired.on(ListKind.BLACK)
    assert repaired.published == ()  # publicity ends with the repair too
    _, told = plan_notices(f.COMPANY, {}, listed)
    intents, _ = plan_notices(f.COMPANY, told, repaired)
    assert len(intents) == BLACK_MEASURES_FOR_A_COMPANY
    assert {(i.action, i.cause) for i in intents} == {(NoticeAction.LIFT, NoticeCause.REPAIRED)}


def test_repair_by_another_department_is_ignored() -> None:
    repair = f.repair(department_id="tax", decided_on=date(2025, 3, 2))
    state = derive([fact(f.penalty()), fact(repair)], policy(), at(2025, 3, 3))
    assert [i.reason_code for i in state.ignored] == ["repair.wrong_department"]


def test_repair_that_comes_first_waits_for_its_record() -> None:
    repair = fact(f.repair(decided_on=date(2024, 7, 1)))
    alone = derive([repair], policy(), at(2024, 7, 2))
    assert alone.waiting == (repair.event_id,)
    both = derive([repair, fact(f.penalty())], policy(), at(2024, 7, 2))
    assert both.waiting == ()
    assert both.published == ()


def test_objection_suspends_then_upheld_resumes() -> None:
    penalty = fact(f.penalty(serious=True))
    listed = derive([penalty], policy(), at(2024, 3, 5))
    filed = fact(f.objection_filed())
    reviewing = derive([penalty, filed], policy(), at(2024, 3, 6))
    assert all(m.suspended for m in reviewing.measures)
    _, told = plan_notices(f.COMPANY, {}, listed)
    intents, told = plan_notices(f.COMPANY, told, reviewing)
    assert {i.action for i in intents} == {NoticeAction.SUSPEND}
    upheld = derive([penalty, filed, fact(f.objection_upheld())], policy(), at(2024, 3, 7))
    intents, _ = plan_notices(f.COMPANY, told, upheld)
    assert {i.action for i in intents} == {NoticeAction.RESUME}
    assert len(intents) == BLACK_MEASURES_FOR_A_COMPANY


def test_revoked_record_counts_as_never_having_existed() -> None:
    penalty = fact(f.penalty(serious=True))
    revoked = derive(
        [penalty, fact(f.objection_filed()), fact(f.objection_revoked())], policy(), at(2024, 3, 8)
    )
    never = derive([], policy(), at(2024, 3, 8))
    assert (revoked.listings, revoked.published, revoked.measures) == (
        never.listings,
        never.published,
        never.measures,
    )
    _, told = plan_notices(f.COMPANY, {}, derive([penalty], policy(), at(2024, 3, 5)))
    intents, _ = plan_notices(f.COMPANY, told, revoked)
    assert {(i.action, i.cause) for i in intents} == {(NoticeAction.LIFT, NoticeCause.REVOKED)}


def test_a_revocation_ends_the_listing_when_it_was_decided_not_when_derived() -> None:
    facts = [
        fact(f.penalty(serious=True)),
        fact(f.objection_filed()),
        fact(f.objection_revoked(occurred_at=at(2024, 3, 7))),
    ]
    # Deriving again later (a timer, a rebuild) must give the same state.
    first, later = (derive(facts, policy(), now) for now in (at(2024, 3, 8), at(2026, 1, 1)))
    assert first.ended == later.ended
    assert [(e.cause, e.at) for e in first.ended] == [(NoticeCause.REVOKED, at(2024, 3, 7))]


def test_correction_replaces_the_record() -> None:
    penalty = fact(f.penalty(serious=True))
    corrected = fact(f.objection_corrected())  # the corrected penalty has no determination
    state = derive([penalty, corrected], policy(), at(2024, 3, 8))
    assert not state.on(ListKind.BLACK)
    assert len(state.published) == 1


def test_listing_ends_by_itself_when_its_period_passes() -> None:
    penalty = fact(f.penalty(serious=True))
    listed = derive([penalty], policy(), at(2027, 2, 28))
    assert listed.on(ListKind.BLACK)
    assert listed.next_change == local(date(2027, 3, 1))
    expired = derive([penalty], policy(), listed.next_change)
    assert not expired.on(ListKind.BLACK)
    _, told = plan_notices(f.COMPANY, {}, listed)
    intents, _ = plan_notices(f.COMPANY, told, expired)
    assert {(i.action, i.cause) for i in intents} == {(NoticeAction.LIFT, NoticeCause.EXPIRED)}


def test_three_clean_years_after_the_last_adverse_record() -> None:
    permit = fact(f.permit(decided_on=date(2019, 1, 1), valid_from=date(2019, 1, 1)))
    penalty = fact(f.penalty())  # published 2024-03-01 .. 2025-03-01
    state = derive([permit, penalty], policy(), at(2028, 2, 28))
    assert not state.on(ListKind.THREE_YEAR_CLEAN)
    assert state.next_change == local(date(2028, 3, 1))
    state = derive([permit, penalty], policy(), at(2028, 3, 1))
    (clean,) = state.listed(ListKind.THREE_YEAR_CLEAN)
    assert clean.department_id == "credit-office"
    assert {m.measure_id for m in state.measures} == {"C01", "C02"}
    assert state.score == 85
    assert state.grade == "B"


def test_natural_persons_get_their_own_measures() -> None:
    state = derive([fact(f.penalty(subject_id=f.PERSON, serious=True))], policy(), at(2024, 3, 5))
    ids = {m.measure_id for m in state.measures}
    assert {"B09", "B11"} <= ids
    assert "B06" not in ids


def test_notice_ids_are_deterministic_and_distinct() -> None:
    state = derive([fact(f.penalty(serious=True))], policy(), at(2024, 3, 5))
    first, _ = plan_notices(f.COMPANY, {}, state)
    again, _ = plan_notices(f.COMPANY, {}, state)
    assert [i.notice_id for i in first] == [i.notice_id for i in again]
    assert len({i.notice_id for i in first}) == len(first)
    other, _ = plan_notices(f.OTHER_COMPANY, {}, state)
    assert not {i.notice_id for i in first} & {i.notice_id for i in other}


def test_no_change_no_notice() -> None:
    state = derive([fact(f.penalty(serious=True))], policy(), at(2024, 3, 5))
    _, told = plan_notices(f.COMPANY, {}, state)
    intents, again = plan_notices(f.COMPANY, told, state)
    assert intents == []
    assert again == told
