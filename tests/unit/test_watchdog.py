"""A stuck worker says where it is stuck (streams.watchdog)."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest
from aiokafka.consumer.subscription_state import SubscriptionState  # type: ignore[import-untyped]
from aiokafka.structs import TopicPartition  # type: ignore[import-untyped]

from streams.watchdog import (
    EXIT_NOT_STARTED,
    BusyWatch,
    LoopWatch,
    StartWatch,
    await_chain,
    consumer_state,
    loop_tasks,
    thread_stacks,
)


async def _innermost(never: asyncio.Future[None]) -> None:
    await never


async def _middle(never: asyncio.Future[None]) -> None:
    await _innermost(never)


async def _in_a_gather(never: asyncio.Future[None]) -> None:
    await asyncio.gather(asyncio.sleep(0), _middle(never))


def test_an_await_chain_names_each_coroutine_down_to_the_future() -> None:
    async def main() -> str:
        never = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(_middle(never), name="held")
        await asyncio.sleep(0)
        chain = await_chain(task)
        task.cancel()
        return chain

    chain = asyncio.run(main())
    assert chain.startswith("task held → ")
    assert chain.index("_middle") < chain.index("_innermost") < chain.index("<Future pending")
    assert "test_watchdog.py:" in chain


def test_an_await_chain_follows_a_gather_into_its_pending_child() -> None:
    async def main() -> str:
        never = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(_in_a_gather(never), name="gathering")
        for _ in range(3):
            await asyncio.sleep(0)
        chain = await_chain(task)
        task.cancel()
        return chain

    chain = asyncio.run(main())
    assert "gather (1 pending)" in chain
    assert chain.index("_in_a_gather") < chain.index("_innermost")


def test_thread_stacks_show_a_thread_where_it_waits() -> None:
    release = threading.Event()

    def waiting_in_here() -> None:
        release.wait(10)

    thread = threading.Thread(target=waiting_in_here, name="the-waiter")
    thread.start()
    try:
        stacks = thread_stacks(threading.get_ident())
    finally:
        release.set()
        thread.join()
    first = stacks.splitlines()[0]
    assert threading.current_thread().name in first
    assert "test_thread_stacks_show_a_thread_where_it_waits" in first
    waiter = next(line for line in stacks.splitlines() if "the-waiter" in line)
    assert "waiting_in_here" in waiter


def test_a_blocked_loop_is_reported_with_the_blocking_call_then_its_turning_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def blocking_call() -> None:
        time.sleep(1.0)

    async def main(watch: list[LoopWatch]) -> None:
        watch.append(
            LoopWatch(asyncio.get_running_loop(), "test", blocked_after=0.3, interval=0.05)
        )
        watch[0].start()
        await asyncio.sleep(0.2)  # turning: not reported
        assert watch[0].reports == 0
        blocking_call()
        await asyncio.sleep(0.3)

    watch: list[LoopWatch] = []
    with caplog.at_level(logging.WARNING, logger="streams.watchdog"):
        asyncio.run(main(watch))
    watch[0].stop()
    assert watch[0].reports == 1
    blocked = [r.getMessage() for r in caplog.records if "has not turned" in r.getMessage()]
    assert len(blocked) == 1
    assert "the test event loop" in blocked[0]
    assert "blocking_call" in blocked[0].splitlines()[1]  # the loop's thread comes first
    assert any("turns again" in r.getMessage() for r in caplog.records)


def test_a_step_holding_on_is_reported_with_its_await_chain_once_per_period(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> BusyWatch:
        watch = BusyWatch("the step", busy_after=0.2)
        never = asyncio.get_running_loop().create_future()

        async def step() -> None:
            watch.held()
            try:
                await _middle(never)
            finally:
                watch.released()

        task = asyncio.create_task(step())
        await asyncio.sleep(0.05)
        watch.check()  # not yet for long
        assert watch.reports == 0
        await asyncio.sleep(0.2)
        watch.check()
        watch.check()  # once per period
        assert watch.reports == 1
        never.set_result(None)
        await task
        await asyncio.sleep(0.25)
        watch.check()  # released: nothing to report
        return watch

    with caplog.at_level(logging.WARNING, logger="streams.watchdog"):
        watch = asyncio.run(main())
    assert watch.reports == 1
    (message,) = [r.getMessage() for r in caplog.records]
    assert message.startswith("the step has been busy for 0 s, waiting at: task ")
    assert message.index("_middle") < message.index("_innermost")
    assert "the threads' stacks:" in message


def test_an_await_chain_follows_wait_for_into_the_task_it_runs() -> None:
    async def main() -> str:
        never = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(asyncio.wait_for(_middle(never), 10), name="bounded")
        await asyncio.sleep(0.01)
        chain = await_chain(task)
        task.cancel()
        return chain

    chain = asyncio.run(main())
    assert chain.index("wait_for") < chain.index("_middle") < chain.index("_innermost")


FROZEN = """
import asyncio, sys, time
from streams.watchdog import LoopWatch

class NoFileno:  # what a faust worker's sys.stderr is: a logging proxy without a descriptor
    def write(self, text): return len(text)
    def flush(self): pass
    def fileno(self): raise NotImplementedError()

sys.stderr = NoFileno()

def stuck_in_here():
    time.sleep(2.0)

async def main():
    LoopWatch(asyncio.get_running_loop(), "test", blocked_after=60, frozen_after=0.5).start()
    await asyncio.sleep(0.3)  # turning: nothing written
    print("turned", flush=True)
    stuck_in_here()

asyncio.run(main())
"""


def test_a_frozen_loop_has_every_thread_written_out_by_faulthandler() -> None:
    # In a process of its own: faulthandler's timer is one per process, and it writes to the
    # process's stderr.
    done = subprocess.run(
        [sys.executable, "-c", FROZEN], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == "turned\n"
    assert "Timeout (0:00:00.500000)!" in done.stderr
    assert "stuck_in_here" in done.stderr
    assert done.stderr.count("Timeout") == 1  # written once, not while the loop turned


def test_the_consumer_report_says_what_faust_and_aiokafka_hold_of_each_partition() -> None:
    async def main() -> str:
        subscription = SubscriptionState()
        subscription.assign_from_user({TopicPartition("t", 0), TopicPartition("t", 1)})
        fetched = subscription.subscription.assignment.state_value(TopicPartition("t", 0))
        fetched.seek(42)
        fetched.highwater = 50
        fetched.timestamp = int(time.time() * 1000) - 3000
        subscription.pause(TopicPartition("t", 1))
        consumer = SimpleNamespace(
            _thread=SimpleNamespace(_consumer=SimpleNamespace(_subscription=subscription)),
            flow_active=True,
            _active_partitions={("t", 0)},
            _paused_partitions={("t", 1)},
            _buffered_partitions=set(),
        )
        app = SimpleNamespace(rebalancing=False, consumer_generation_id=5, consumer=consumer)
        return consumer_state(app, [("t", 1), ("t", 0), ("t", 2)])

    report = asyncio.run(main()).splitlines()
    assert "rebalancing: False" in report[0]
    assert "generation: 5" in report[0]
    assert "consumer flow active: True" in report[0]
    assert "recovery completed: None" in report[0]  # what it could not find, said so
    assert report[1].startswith("  t|0: faust active True, paused False")
    assert "position 42, highwater 50, paused False, last fetched 3 s ago" in report[1]
    assert report[2].startswith("  t|1: faust active False, paused True")
    assert "paused True, last fetched never" in report[2]
    assert (
        report[3]
        == "  t|2: faust active False, paused False, buffer full False; aiokafka: not assigned"
    )


class _Group:
    """The generation a consumer group gave the watched worker, changed by the test."""

    def __init__(self) -> None:
        self.generation = 0

    def __call__(self) -> int:
        return self.generation


def _start_watch(
    group: _Group, started: threading.Event, given_up: list[str], **timing: float
) -> StartWatch:
    watch = StartWatch(
        started=started,
        generation=group,
        state=lambda: "  the state",
        give_up=given_up.append,
        interval=0.02,
        **timing,
    )
    watch.start()
    return watch


def _until(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)


def test_a_started_worker_is_neither_reported_nor_given_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    group, started, given_up = _Group(), threading.Event(), list[str]()
    with caplog.at_level(logging.WARNING, logger="streams.watchdog"):
        watch = _start_watch(group, started, given_up, report_after=0.2, give_up_after=0.3)
        group.generation = 3
        started.set()
        time.sleep(0.5)
        watch.stop()
    assert watch.reports == 0
    assert given_up == []
    assert caplog.records == []


def test_a_worker_never_assigned_partitions_is_reported_but_not_given_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    group, started, given_up = _Group(), threading.Event(), list[str]()
    with caplog.at_level(logging.WARNING, logger="streams.watchdog"):
        watch = _start_watch(group, started, given_up, report_after=0.1, give_up_after=0.2)
        _until(lambda: watch.reports >= 3)
        watch.stop()
    assert watch.reports >= 3
    assert given_up == []
    message = caplog.records[0].getMessage()
    assert "has not assigned it partitions yet" in message
    assert message.endswith("\n  the state")


def test_a_worker_not_started_after_its_assignment_is_given_up_once_with_its_state() -> None:
    group, started, given_up = _Group(), threading.Event(), list[str]()
    watch = _start_watch(group, started, given_up, report_after=10.0, give_up_after=0.3)
    time.sleep(0.4)  # not assigned yet: waiting for the group is not given up
    assert given_up == []
    group.generation = 7
    assigned = time.monotonic()
    _until(lambda: given_up)
    waited = time.monotonic() - assigned
    time.sleep(0.2)
    watch.stop()
    assert len(given_up) == 1
    assert waited >= 0.3  # counted from the assignment, not from the start
    assert "after the consumer group assigned it partitions (generation 7" in given_up[0]
    assert given_up[0].endswith("where it stood:\n  the state")


def test_a_new_assignment_restarts_the_wait() -> None:
    group, started, given_up = _Group(), threading.Event(), list[str]()
    watch = _start_watch(group, started, given_up, report_after=10.0, give_up_after=0.4)
    group.generation = 1
    for generation in (2, 3, 4, 5):  # a rebalance every 0.2 s: never 0.4 s on one
        time.sleep(0.2)
        group.generation = generation
    assert given_up == []
    _until(lambda: given_up)
    watch.stop()
    assert "(generation 5" in given_up[0]


def test_loop_tasks_say_where_each_task_of_a_loop_waits() -> None:
    async def main() -> str:
        never = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(_middle(never), name="held-task")
        await asyncio.sleep(0)
        tasks = await asyncio.to_thread(loop_tasks, asyncio.get_running_loop())
        task.cancel()
        return tasks

    tasks = asyncio.run(main())
    held = next(line for line in tasks.splitlines() if "task held-task" in line)
    assert held.index("_middle") < held.index("_innermost")
    assert any("task Task-" in line for line in tasks.splitlines())  # main itself


NOT_STARTED = """
import threading
from streams.watchdog import StartWatch

started = threading.Event()
watch = StartWatch(started=started, generation=lambda: 4, state=lambda: "  nothing consumed",
                   give_up_after=0.2, interval=0.05)
watch.start()
threading.Event().wait(10)
print("still running", flush=True)
"""


def test_a_worker_not_started_ends_with_its_own_exit_status() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NOT_STARTED],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == EXIT_NOT_STARTED
    assert done.stdout == ""
    assert "faust has not started this worker" in done.stderr
    assert "nothing consumed" in done.stderr
