"""The pure parts of the chaos harness: the seeded fault schedule and the comparison of runs."""

from __future__ import annotations

from collections import Counter

import pytest

from creditflow.chaos.compare import DigestComparison, compare_notices
from creditflow.chaos.schedule import (
    FIRST,
    LAST,
    MAX_DOWN,
    FaultKind,
    Plan,
    injected,
    schedule,
)
from streams.digest import compute_digest


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another() -> None:
    plan = Plan(kills=4, broker_restarts=2, redis_kills=1)
    assert schedule(11, plan) == schedule(11, plan)
    assert schedule(11, plan) != schedule(12, plan)


def test_the_schedule_holds_every_fault_asked_for_in_firing_order() -> None:
    plan = Plan(kills=5, broker_restarts=2, redis_kills=3)
    faults = schedule(3, plan)
    kinds = Counter(f.kind for f in faults)
    assert kinds == {
        FaultKind.KILL_WORKER: 5,
        FaultKind.RESTART_BROKER: 2,
        FaultKind.KILL_REDIS: 3,
        FaultKind.GROW: 1,
        FaultKind.SHRINK: 1,
    }
    assert injected(faults) == 10
    progress = [f.progress for f in faults]
    assert progress == sorted(progress)
    assert all(FIRST <= p <= LAST for p in progress)
    assert all(0 <= f.down_for <= MAX_DOWN for f in faults)
    assert all(0 <= f.victim < 3 for f in faults if f.kind is FaultKind.KILL_WORKER)


@pytest.mark.parametrize("seed", range(20))
def test_the_group_grows_to_the_peak_before_it_shrinks_to_the_end(seed: int) -> None:
    faults = schedule(seed, Plan(kills=2, start_workers=1, peak_workers=3, end_workers=2))
    resizes = [(f.kind, f.workers) for f in faults if f.kind in (FaultKind.GROW, FaultKind.SHRINK)]
    assert resizes == [(FaultKind.GROW, 3), (FaultKind.SHRINK, 2)]


def test_a_steady_group_and_no_faults_give_an_empty_schedule() -> None:
    plan = Plan(kills=0, broker_restarts=0, redis_kills=0, peak_workers=1, end_workers=1)
    assert schedule(7, plan) == []


def test_a_plan_refuses_negative_counts_and_empty_phases() -> None:
    with pytest.raises(ValueError, match="negative"):
        Plan(kills=-1)
    with pytest.raises(ValueError, match="at least one worker"):
        Plan(end_workers=0)


def test_notices_lost_and_duplicated_with_other_ids_are_told_apart() -> None:
    clean = ["a/n-1", "a/n-2", "b/n-3", "b/n-3"]
    chaos = ["a/n-1", "a/n-1", "a/n-1", "b/n-3", "b/n-9"]
    comparison = compare_notices(clean, chaos)
    assert comparison.lost == ["a/n-2"]
    assert comparison.unexpected == ["b/n-9"]
    assert not comparison.ok
    assert (comparison.chaos.count, comparison.chaos.distinct) == (5, 3)
    assert comparison.chaos.same_id_duplicates == 2
    assert comparison.clean.same_id_duplicates == 1
    report = comparison.report()
    assert report["lost"] == 1
    assert report["duplicated_with_different_ids"] == 1
    assert report["duplicates_with_same_id"] == 2


def test_redelivered_notices_with_the_same_ids_are_allowed() -> None:
    comparison = compare_notices(["a/n-1", "a/n-2"], ["a/n-2", "a/n-1", "a/n-2"])
    assert comparison.ok
    assert comparison.report()["duplicates_with_same_id"] == 1


def test_a_digest_comparison_names_the_parts_that_differ() -> None:
    snapshots = {"s1": '{"black_list": true, "derived_at": 1}'}
    lists = {"BLACK": [("s1", 1000.0)]}
    clean = compute_digest(snapshots, lists, {"s1": ["n-1"]})
    same = compute_digest({"s1": '{"derived_at": 2, "black_list": true}'}, lists, {"s1": ["n-1"]})
    other = compute_digest(snapshots, lists, {"s1": ["n-1", "n-2"]})
    assert DigestComparison(clean, same).match
    assert DigestComparison(clean, same).differing_parts == []
    assert not DigestComparison(clean, other).match
    assert DigestComparison(clean, other).differing_parts == ["notices"]
