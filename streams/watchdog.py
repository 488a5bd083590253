"""Where a worker is stuck, said in its log.

A worker that stops making progress without an error is the hardest fault to diagnose after
the fact. These reports say where it stands, each one log record:

- an event loop that has not turned for ``blocked_after`` seconds (something synchronous holds
  its thread): the Python stack of every thread, the loop's own first, from a watching thread;
- a step that has held the intake for ``busy_after`` seconds: the await chain of the task that
  holds it (which coroutine waits on which, down to the future it waits for), and the stack of
  every thread, from a timer on the worker's loop;
- a consumer that delivers nothing (``consumer_state``, asked for by the intake): faust's and
  aiokafka's flags and what each holds of the partitions concerned;
- a worker that faust has not started (``StartWatch``, a thread of its own): faust starts the
  application's timers and tasks, and with them every report above that runs on the worker's
  loop, only once its recovery after the first assignment has completed.

None of them changes what the worker does, except that a worker faust has not started long
after its partitions were assigned is ended (``StartWatch``): it consumes nothing while it holds
them, and nothing in the process would ever give them back.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)

#: How deep an await chain or a thread's stack is followed.
DEPTH = 40
#: How many of a loop's tasks ``loop_tasks`` names.
TASKS_SHOWN = 80
#: The exit status of a worker ended because faust did not start it (EX_SOFTWARE).
EXIT_NOT_STARTED = 70


def _where(filename: str, lineno: int | None, name: str) -> str:
    path = filename.replace("\\", "/").split("/")
    return f"{'/'.join(path[-2:])}:{lineno} {name}"


def _frame_of(awaitable: Any) -> FrameType | None:
    for attribute in ("cr_frame", "gi_frame", "ag_frame"):
        frame = getattr(awaitable, attribute, None)
        if frame is not None:
            return frame  # type: ignore[no-any-return]
    return None


def _awaited_by(awaitable: Any) -> Any:
    for attribute in ("cr_await", "gi_yieldfrom", "ag_await"):
        inner = getattr(awaitable, attribute, None)
        if inner is not None:
            return inner
    return None


def await_chain(task: asyncio.Task[Any]) -> str:
    """What ``task`` waits on: each coroutine's file, line and function, outermost first, then
    the future at the bottom (a task awaited is followed into; of a gather, its first child
    still pending)."""
    parts: list[str] = []
    current: asyncio.Future[Any] | None = task
    for _ in range(DEPTH):
        if isinstance(current, asyncio.Task):
            parts.append(f"task {current.get_name()}")
            parts += _coroutines(current.get_coro())
            inner = _wait_for_inner(current.get_coro())
            # The future the task's innermost coroutine waits for (asyncio keeps it there);
            # asyncio.wait_for waits for its own future, not for the task it runs.
            current = inner or getattr(current, "_fut_waiter", None)
            continue
        if current is None:
            break
        children = [c for c in getattr(current, "_children", ()) if not c.done()]
        if children:
            parts.append(f"gather ({len(children)} pending)")
            current = children[0]
            continue
        parts.append(_future(current))
        break
    return " → ".join(parts)


def _frames(coroutine: Any) -> list[FrameType]:
    """The frames of ``coroutine`` and of what it awaits, outermost first."""
    frames = []
    for _ in range(DEPTH):
        frame = _frame_of(coroutine)
        if frame is None:
            break
        frames.append(frame)
        coroutine = _awaited_by(coroutine)
    return frames


def _coroutines(coroutine: Any) -> list[str]:
    return [_where(f.f_code.co_filename, f.f_lineno, f.f_code.co_name) for f in _frames(coroutine)]


def _wait_for_inner(coroutine: Any) -> asyncio.Future[Any] | None:
    frames = _frames(coroutine)
    if not frames or frames[-1].f_code is not asyncio.wait_for.__code__:
        return None
    inner = frames[-1].f_locals.get("fut")
    return inner if isinstance(inner, asyncio.Future) and not inner.done() else None


def _future(future: asyncio.Future[Any]) -> str:
    text = repr(future)
    return text if len(text) <= 200 else text[:197] + "..."


def thread_stacks(first: int | None = None) -> str:
    """Every thread's Python stack, innermost call last, one line each; thread ``first`` (an
    ident) first."""
    names = {t.ident: t.name for t in threading.enumerate()}
    frames = sys._current_frames()
    order = sorted(frames, key=lambda ident: (ident != first, names.get(ident, "")))
    lines = []
    for ident in order:
        stack = traceback.extract_stack(frames[ident])[-DEPTH:]
        calls = " → ".join(_where(f.filename, f.lineno, f.name) for f in stack)
        lines.append(f"  thread {names.get(ident, ident)}: {calls}")
    return "\n".join(lines)


def loop_tasks(loop: asyncio.AbstractEventLoop) -> str:
    """What each pending task of ``loop`` waits on (``await_chain``), one line each, by name.
    Safe to ask from another thread for a diagnostic: each chain is read as found."""
    try:
        tasks = sorted(asyncio.all_tasks(loop), key=lambda t: t.get_name())
    except RuntimeError as exc:  # the loop's task set changed while it was read
        return f"  (the tasks could not be read: {exc})"
    lines = []
    for task in tasks[:TASKS_SHOWN]:
        try:
            lines.append("  " + await_chain(task))
        except Exception as exc:  # a diagnostic: whatever it finds
            lines.append(f"  task {task.get_name()}: {exc!r}")
    if len(tasks) > TASKS_SHOWN:
        lines.append(f"  ... and {len(tasks) - TASKS_SHOWN} more")
    return "\n".join(lines)


def exit_not_started(message: str) -> None:
    """End the process at once, without the shutdown of a service that never started: its
    group membership lapses with its session, and the partitions go to another worker."""
    logger.error("%s", message)
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):  # ending regardless
            handler.flush()
    os._exit(EXIT_NOT_STARTED)


class StartWatch:
    """A thread that watches a worker until faust has started it (``started`` is set).

    While it has not: every ``report_after`` seconds, a report of what the consumer holds and
    where each task of the worker's loop waits (``state``); and once ``give_up_after`` seconds
    have passed since partitions were last assigned to it (``generation``, the consumer group
    generation of that assignment, changed) without faust starting it, ``give_up`` with why:
    by default the process ends (``exit_not_started``), so that the group gives those
    partitions to another worker and a supervisor starts this one again. Until a first
    assignment a worker waits for the group, which a broker outage can hold for long: that is
    only reported."""

    def __init__(
        self,
        *,
        started: threading.Event,
        generation: Callable[[], int],
        state: Callable[[], str],
        give_up: Callable[[str], None] = exit_not_started,
        report_after: float = 45.0,
        give_up_after: float = 100.0,
        interval: float = 1.0,
    ) -> None:
        self.started = started
        self.generation = generation
        self.state = state
        self.give_up = give_up
        self.report_after = report_after
        self.give_up_after = give_up_after
        self.interval = interval
        self.reports = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="start-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.interval * 2)

    def _generation(self) -> int:
        try:
            return int(self.generation())
        except Exception:  # read from another thread's objects: taken as unchanged
            return -1

    def _watch(self) -> None:
        began = since = told = time.monotonic()
        generation = self._generation()
        while not self._stop.wait(self.interval):
            if self.started.is_set():
                return
            now = time.monotonic()
            current = self._generation()
            if current not in (-1, generation):
                generation, since = current, now
            assigned = generation > 0
            waited = now - since
            if assigned and waited >= self.give_up_after:
                self.give_up(
                    f"faust has not started this worker {waited:.0f} s after the consumer group "
                    f"assigned it partitions (generation {generation}; the worker began "
                    f"{now - began:.0f} s ago): it would hold them and consume nothing, so it "
                    f"ends, and the group gives them to another worker; where it stood:\n"
                    f"{self._state()}"
                )
                return
            if now - told >= self.report_after:
                told = now
                self.reports += 1
                what = (
                    f"{waited:.0f} s after the consumer group assigned it partitions "
                    f"(generation {generation})"
                    if assigned
                    else f"{waited:.0f} s after it began, and the consumer group has not "
                    "assigned it partitions yet"
                )
                logger.warning("faust has not started this worker %s:\n%s", what, self._state())

    def _state(self) -> str:
        try:
            return self.state()
        except Exception as exc:  # a diagnostic: the report goes out regardless
            return f"  (the state could not be read: {exc!r})"


class LoopWatch:
    """A thread that reports an event loop that has not turned for ``blocked_after`` seconds,
    once per such block, and says when it turns again."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        name: str,
        *,
        blocked_after: float = 20.0,
        interval: float = 1.0,
        frozen_after: float | None = None,
    ) -> None:
        self.loop = loop
        self.name = name
        self.blocked_after = blocked_after
        # The watching thread needs the GIL to report: a process where no Python thread runs
        # any more (a C call holding the GIL, a deadlock in logging) would say nothing. With
        # ``frozen_after``, faulthandler's own C thread writes every thread's Python stack to
        # stderr if the loop has not turned for that long (one such timer per process).
        self.frozen_after = frozen_after
        self.interval = interval
        self.reports = 0
        self._beat = time.monotonic()
        self._loop_thread: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._beat = time.monotonic()
        self.loop.call_soon_threadsafe(self._turned)
        self._thread = threading.Thread(
            target=self._watch, name=f"loop-watch-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.frozen_after is not None:
            faulthandler.cancel_dump_traceback_later()
        if self._thread is not None:
            self._thread.join(self.interval * 2)

    def _turned(self) -> None:
        self._beat = time.monotonic()
        self._loop_thread = threading.get_ident()
        if self._stop.is_set() or self.loop.is_closed():
            return
        self.loop.call_later(self.interval / 2, self._turned)
        if self.frozen_after is not None:  # armed again: it fires only if the loop stops
            self._arm_faulthandler(self.frozen_after)

    def _arm_faulthandler(self, after: float) -> None:
        # The process's own stderr: a worker's ``sys.stderr`` is replaced by a logging proxy
        # (mode's) that has no file descriptor for faulthandler to write to.
        try:
            if sys.__stderr__ is None:
                raise ValueError("the process has no stderr")
            faulthandler.dump_traceback_later(after, file=sys.__stderr__)
        except (AttributeError, OSError, ValueError, RuntimeError) as exc:
            self.frozen_after = None
            logger.warning("a frozen %s loop cannot be written out: %r", self.name, exc)

    def _watch(self) -> None:
        blocked_since: float | None = None
        while not self._stop.wait(self.interval):
            if not self.loop.is_running():  # stopped or not started: not blocked
                self._beat = time.monotonic()
                continue
            quiet = time.monotonic() - self._beat
            if quiet >= self.blocked_after and blocked_since is None:
                blocked_since = self._beat
                self.reports += 1
                logger.warning(
                    "the %s event loop has not turned for %.0f s; the threads' stacks:\n%s",
                    self.name,
                    quiet,
                    thread_stacks(self._loop_thread),
                )
            elif blocked_since is not None and quiet < self.blocked_after:
                logger.warning(
                    "the %s event loop turns again after %.0f s",
                    self.name,
                    self._beat - blocked_since,
                )
                blocked_since = None


class BusyWatch:
    """Reports a step that has held something (the intake) for ``busy_after`` seconds, with the
    await chain of the task holding it; again every ``busy_after`` seconds while it holds."""

    def __init__(self, what: str, busy_after: float = 60.0) -> None:
        self.what = what
        self.busy_after = busy_after
        self.reports = 0
        self._holder: asyncio.Task[Any] | None = None
        self._since = 0.0
        self._told = 0.0

    def held(self) -> None:
        """Called by the task that takes hold."""
        self._holder = asyncio.current_task()
        self._since = self._told = time.monotonic()

    def released(self) -> None:
        self._holder = None

    def check(self) -> None:
        holder = self._holder
        now = time.monotonic()
        if holder is None or now - self._told < self.busy_after:
            return
        self._told = now
        self.reports += 1
        logger.warning(
            "%s has been busy for %.0f s, waiting at: %s\nthe threads' stacks:\n%s",
            self.what,
            now - self._since,
            await_chain(holder),
            thread_stacks(threading.get_ident()),
        )


def _get(obj: Any, *path: str) -> Any:
    for name in path:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def _call(obj: Any, *path: str) -> Any:
    method = _get(obj, *path)
    return method() if callable(method) else None


def consumer_state(app: Any, partitions: Iterable[tuple[str, int]]) -> str:
    """Why faust's consumer may deliver nothing: its rebalance, flow control and recovery flags,
    and for each of ``partitions`` what faust and aiokafka hold of it (paused, position,
    highwater, when last fetched). Read from another thread's objects without a lock: a
    diagnostic, each part said as found, never relied on."""
    consumer = getattr(app, "consumer", None)
    kafka = _get(consumer, "_thread", "_consumer")
    flags = {
        "rebalancing": getattr(app, "rebalancing", None),
        "generation": getattr(app, "consumer_generation_id", None),
        "flow control active": _call(app, "flow_control", "is_active"),
        "consumer flow active": getattr(consumer, "flow_active", None),
        "recovery completed": _call(app, "tables", "recovery", "completed", "is_set"),
        "fetcher started": _call(app, "_fetcher", "_started", "is_set"),
        "fetcher stopping": _get(app, "_fetcher", "should_stop"),
        "aiokafka fetch task done": _call(kafka, "_fetcher", "_fetch_task", "done"),
        "aiokafka coordination task done": _call(
            kafka, "_coordinator", "_coordination_task", "done"
        ),
        "aiokafka rejoin needed": _call(kafka, "_coordinator", "_rejoin_needed_fut", "done"),
    }
    lines = ["  " + ", ".join(f"{k}: {v}" for k, v in flags.items())]
    active = getattr(consumer, "_active_partitions", None)
    paused = getattr(consumer, "_paused_partitions", None) or set()
    buffered = getattr(consumer, "_buffered_partitions", None) or set()
    assignment = _get(kafka, "_subscription", "subscription", "assignment")
    for topic, partition in sorted(partitions):
        tp = (topic, partition)  # equal to faust's and aiokafka's TP named tuples
        lines.append(
            f"  {topic}|{partition}: faust active {active is None or tp in active}, "
            f"paused {tp in paused}, buffer full {tp in buffered}; "
            + _aiokafka_state(assignment, topic, partition)
        )
    return "\n".join(lines)


def _aiokafka_state(assignment: Any, topic: str, partition: int) -> str:
    if assignment is None:
        return "aiokafka: no assignment"
    try:  # a plain tuple finds aiokafka's TopicPartition key
        state = assignment.state_value((topic, partition))
    except Exception:  # a diagnostic: whatever it finds
        state = None
    if state is None:
        return "aiokafka: not assigned"
    fetched = getattr(state, "timestamp", None)  # wall-clock ms of the last fetch response
    when = f"{time.time() - fetched / 1000:.0f} s ago" if fetched else "never"
    return (
        f"aiokafka: status {getattr(state, '_status', '?')}, position "
        f"{getattr(state, '_position', '?')}, highwater {getattr(state, 'highwater', '?')}, "
        f"paused {getattr(state, 'paused', '?')}, last fetched {when}"
    )
