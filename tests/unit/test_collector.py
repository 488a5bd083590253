"""The collector's settings for long steps: set for the step, as they were afterwards, and a step
inside another leaves them to the outer one."""

from __future__ import annotations

import gc

from streams.collector import THRESHOLDS, tuned_for_throughput


def test_a_step_tunes_the_collector_and_puts_it_back() -> None:
    before = gc.get_threshold()
    with tuned_for_throughput():
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_step_inside_another_leaves_the_outer_ones_frozen_objects_frozen() -> None:
    with tuned_for_throughput():
        frozen = gc.get_freeze_count()
        with tuned_for_throughput():
            assert gc.get_threshold() == THRESHOLDS
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == 0
