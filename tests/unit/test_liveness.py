"""A worker is stuck when its event loop stops beating, or stays in one rebalance, too long."""

from __future__ import annotations

import threading

from streams.liveness import Liveness, watch


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_loop_that_beats_is_not_stuck_however_long_it_runs() -> None:
    clock = Clock()
    liveness = Liveness(60.0, clock)
    for second in range(1, 600):
        clock.now = float(second)
        liveness.beat(rebalancing=second % 50 < 30)  # rebalances of 30 s, one after another
        assert liveness.stuck() is None


def test_a_loop_that_stops_beating_is_stuck_after_the_limit() -> None:
    clock = Clock()
    liveness = Liveness(60.0, clock)
    liveness.beat(rebalancing=False)
    clock.now = 60.0
    assert liveness.stuck() is None
    clock.now = 61.0
    assert liveness.stuck() == "its event loop has not run for 61 s"


def test_one_rebalance_longer_than_the_limit_is_stuck() -> None:
    clock = Clock()
    liveness = Liveness(60.0, clock)
    for second in range(10, 72):
        clock.now = float(second)
        liveness.beat(rebalancing=True)
    assert liveness.stuck() == "it has been in one rebalance for 61 s"
    liveness.beat(rebalancing=False)
    assert liveness.stuck() is None


def test_the_watch_calls_back_once_with_the_reason() -> None:
    clock = Clock()
    liveness = Liveness(1.0, clock)
    reasons: list[str] = []
    called = threading.Event()

    def on_stuck(reason: str) -> None:
        reasons.append(reason)
        called.set()

    watch(liveness, on_stuck, every=0.01)
    clock.now = 5.0
    assert called.wait(5.0)
    clock.now = 50.0
    threading.Event().wait(0.1)
    assert reasons == ["its event loop has not run for 5 s"]
