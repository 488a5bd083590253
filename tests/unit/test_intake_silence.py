"""A worker's intake seeks again an input partition that is behind and stays silent
(``streams.app._Intake``), with the consumer, the clock and the recorded positions stood in for."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from faust.types import TP

from creditflow.settings import Settings
from streams import app as app_module
from streams.app import _Intake
from streams.metrics import Metrics
from streams.ordering import Partition, Reorder, WaitingClock

PENALTY, REPAIR = ("credit.penalty.v1", 0), ("credit.repair.v1", 0)


class Consumer:
    """What the intake asks of faust's consumer."""

    def __init__(self, highwater: dict[Partition, int]) -> None:
        self._highwater = highwater
        self.sought: list[dict[TP, int]] = []
        self.fetchable: list[TP] = []

    def assignment(self) -> set[TP]:
        return {TP(*p) for p in self._highwater}

    def highwater(self, tp: TP) -> int:
        return self._highwater[(tp.topic, tp.partition)]

    def resume_partitions(self, tps: list[TP]) -> None:
        self.fetchable += tps

    def on_buffer_drop(self, tp: TP) -> None:
        pass

    async def seek_wait(self, offsets: dict[TP, int]) -> None:
        self.sought.append(dict(offsets))


class App:
    rebalancing = False

    def __init__(self, consumer: Consumer) -> None:
        self.consumer = consumer


class Positions:
    def __init__(self, positions: dict[Partition, int]) -> None:
        self._positions = positions

    def position(self, partition: Partition) -> int:
        return self._positions[partition]


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def intake(consumer: Consumer, positions: dict[Partition, int], clock: Clock) -> _Intake:
    settings = Settings(order_idle=10.0)
    app: Any = App(consumer)
    recovery: Any = Positions(positions)
    taken = _Intake(app, settings, recovery, Metrics(), {PENALTY[0], REPAIR[0]})
    taken.clock = WaitingClock(clock)
    taken.reorder = Reorder(settings.order_capacity, settings.order_idle, taken.clock)
    taken.reorder.assign([PENALTY, REPAIR])
    return taken


def test_a_partition_behind_and_silent_for_half_the_idle_time_is_sought_again_once() -> None:
    clock = Clock()
    consumer = Consumer({PENALTY: 120, REPAIR: 40})
    worker = intake(consumer, {PENALTY: 100, REPAIR: 40}, clock)  # the repair topic caught up
    clock.now = 4.0
    assert worker.silent() == []
    clock.now = 5.0
    assert worker.silent() == [PENALTY]
    asyncio.run(worker._refetch_silent())
    assert consumer.sought == [{TP(*PENALTY): 100}]  # from where the worker is
    assert consumer.fetchable == [TP(*PENALTY)]
    clock.now = 9.0
    assert worker.silent() == []  # sought just now
    clock.now = 10.0
    assert worker.silent() == [PENALTY]


def test_time_spent_processing_is_no_silence() -> None:
    clock = Clock()
    worker = intake(Consumer({PENALTY: 120, REPAIR: 40}), {PENALTY: 100, REPAIR: 40}, clock)
    with worker.clock.stopped():
        clock.now = 60.0
    assert worker.silent() == []


class HeldConsumer(Consumer):
    """A consumer whose thread is held (a rebalance, a broker outage): a seek never finishes."""

    async def seek_wait(self, offsets: dict[TP, int]) -> None:
        self.sought.append(dict(offsets))
        await asyncio.Event().wait()


def test_a_seek_that_never_finishes_does_not_hold_the_intake(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app_module, "SEEK_TIMEOUT", 0.05)
    clock = Clock()
    consumer = HeldConsumer({PENALTY: 120, REPAIR: 40})
    worker = intake(consumer, {PENALTY: 100, REPAIR: 40}, clock)
    clock.now = 5.0

    async def refetch() -> None:
        await asyncio.wait_for(worker._refetch_silent(), timeout=5.0)

    asyncio.run(refetch())  # returns: TimeoutError here would mean the intake waited on
    assert consumer.sought == [{TP(*PENALTY): 100}]


def test_a_partition_assigned_that_never_delivered_counts_as_silent() -> None:
    # A worker that joined and was given partitions, but never any of their messages: no
    # delivery ever told the intake of them, so only the assignment does.
    clock = Clock()
    consumer = Consumer({PENALTY: 120, REPAIR: 40})
    worker = intake(consumer, {PENALTY: 100, REPAIR: 40}, clock)
    worker.reorder = Reorder(10, 10.0, worker.clock)  # nothing known of any partition
    clock.now = 30.0
    assert worker.silent() == []
    worker.note_assigned()
    clock.now = 34.0
    assert worker.silent() == []
    clock.now = 35.0
    assert worker.silent() == [PENALTY]


def test_assignment_is_not_noted_during_a_rebalance() -> None:
    clock = Clock()
    consumer = Consumer({PENALTY: 120, REPAIR: 40})
    worker = intake(consumer, {PENALTY: 100, REPAIR: 40}, clock)
    worker.reorder = Reorder(10, 10.0, worker.clock)
    worker.app.rebalancing = True
    worker.note_assigned()
    clock.now = 60.0
    assert worker.silent() == []


def test_a_partition_sought_twice_and_still_silent_has_the_consumer_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    consumer = Consumer({PENALTY: 120, REPAIR: 40})
    worker = intake(consumer, {PENALTY: 100, REPAIR: 40}, clock)
    clock.now = 5.0
    asyncio.run(worker._refetch_silent())
    assert "the consumer:" not in caplog.text  # sought once: no report yet
    clock.now = 10.0
    asyncio.run(worker._refetch_silent())
    assert "input partitions sought again and still silent (1); the consumer:" in caplog.text
    assert "credit.penalty.v1|0: faust active" in caplog.text
    caplog.clear()
    clock.now = 15.0
    asyncio.run(worker._refetch_silent())
    assert "the consumer:" not in caplog.text  # reported at most once a minute
