"""The demo's end-state checks: every disagreement with what was sent is named."""

from __future__ import annotations

from collections import Counter
from functools import cache

from creditflow.demo.city import City, simulate
from creditflow.demo.readback import EndState, NoticeRecords
from creditflow.demo.responders import SILENT, Tally, delay_days, status_for
from creditflow.demo.summary import Summary, summarise
from creditflow.demo.tail import TopicCounts
from creditflow.departments import load_departments
from tests.unit.rules_helpers import policy

NOTICE = {
    "department": "finance",
    "action": "INITIATE",
    "cause": "LISTED",
    "list": "BLACK",
    "status": "pending",
    "due": 0,
}


@cache
def city() -> City:
    return simulate(1, 800, load_departments(), policy())


def honest_end() -> tuple[EndState, TopicCounts, dict[str, Tally]]:
    c = city()
    notices = NoticeRecords()
    notices.add(c.subjects[0].id, "n-1", NOTICE)
    state = EndState(
        {"BLACK": 1, "RED": 0, "THREE_YEAR_CLEAN": 0}, {}, c.expected_events(), notices
    )
    topics = TopicCounts(
        dead_letters=Counter(b.reason_code for b in c.bad), notices={"finance": {"n-1"}}
    )
    tallies = {d: Tally() for d in load_departments().ids()}
    tallies["finance"].notice_ids.add("n-1")
    return state, topics, tallies


def summary(state: EndState, topics: TopicCounts, tallies: dict[str, Tally]) -> Summary:
    return summarise(city(), state, topics, tallies, unknown_subjects=0)


def test_an_honest_end_state_has_no_problems() -> None:
    result = summary(*honest_end())
    assert result.problems == []
    assert result.stored == sum(len(ids) for ids in city().expected_events().values())
    assert result.initiated == {"BLACK": 1}


def test_a_lost_event_is_named() -> None:
    state, topics, tallies = honest_end()
    subject = next(sid for sid, ids in state.stored.items() if ids)
    lost = sorted(state.stored[subject])[0]
    state.stored[subject] = state.stored[subject] - {lost}
    (problem,) = summary(state, topics, tallies).problems
    assert "1 good events of 1 subjects were not stored" in problem
    assert subject in problem


def test_a_missing_dead_letter_is_named() -> None:
    state, topics, tallies = honest_end()
    topics.dead_letters["invalid.uscc"] -= 1
    (problem,) = summary(state, topics, tallies).problems
    assert "dead letters by reason" in problem


def test_a_good_event_dead_lettered_is_named() -> None:
    state, topics, tallies = honest_end()
    good = next(iter(next(ids for ids in state.stored.values() if ids)))
    topics.dead_event_ids.add(good)
    assert any(
        "good events were dead-lettered" in p for p in summary(state, topics, tallies).problems
    )


def test_a_notice_its_department_never_received_is_named() -> None:
    state, topics, tallies = honest_end()
    tallies["finance"] = Tally()
    (problem,) = summary(state, topics, tallies).problems
    assert "INITIATE notices for finance never reached its subscriber" in problem


def test_a_notice_missing_from_its_topic_is_named() -> None:
    state, topics, tallies = honest_end()
    topics.notices["finance"] = set()
    (problem,) = summary(state, topics, tallies).problems
    assert "finance: 1 notices recorded in Redis but 0 on its topic" in problem


def test_the_fingerprint_follows_the_numbers_only() -> None:
    first, second = summary(*honest_end()), summary(*honest_end())
    assert first.fingerprint == second.fingerprint
    second.lists["RED"] += 1
    assert first.fingerprint != second.fingerprint


def test_departments_answer_in_simulated_days_and_one_is_silent() -> None:
    assert delay_days(SILENT) is None
    assert delay_days("finance") == 1
    assert (delay_days("banking") or 0) > policy().feedback.deadline.days
    statuses = Counter(status_for(f"n-{i}") for i in range(2000))
    assert statuses["EXECUTED"] > statuses["NOT_APPLICABLE"] > statuses["FAILED"] > 0
    assert status_for("n-1") == status_for("n-1")
