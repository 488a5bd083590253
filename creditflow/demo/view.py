"""The live terminal view of a demo run (rich.live), or a line every few seconds off a terminal."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from types import TracebackType
from typing import Self

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

REFRESH = 0.5  # seconds between two readings of Redis for the view
LINE_EVERY = 10.0  # seconds between two progress lines when not on a terminal


@dataclass(frozen=True, slots=True)
class Snapshot:
    day: date
    phase: str
    elapsed: float
    rate: float
    sent: int
    planned: int
    stored: int
    dead_letters: int
    lists: dict[str, int]
    notices: dict[str, Counter[str]]  # department → pending/overdue/answered (Redis)
    received: dict[str, int]  # department → notices its subscriber received
    status: str = ""


class Rate:
    """Events per second over the last few seconds."""

    def __init__(self, window: float = 5.0) -> None:
        self._window = window
        self._points: list[tuple[float, int]] = []

    def update(self, total: int, now: float) -> float:
        self._points = [(t, n) for t, n in self._points if now - t < self._window]
        self._points.append((now, total))
        (t0, n0), (t1, n1) = self._points[0], self._points[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0


def render(s: Snapshot) -> RenderableType:
    minutes, seconds = divmod(int(s.elapsed), 60)
    head = (
        f"[bold]simulated day {s.day}[/] · {s.phase} · {minutes:02d}:{seconds:02d} elapsed · "
        f"{s.rate:,.0f} events/s"
    )
    totals = Table.grid(padding=(0, 2))
    totals.add_row(
        "events in", f"{s.sent:,} of {s.planned:,}", "black list", f"{s.lists['BLACK']:,}"
    )
    totals.add_row("applied (stored)", f"{s.stored:,}", "red list", f"{s.lists['RED']:,}")
    totals.add_row(
        "rejected (dead letters)",
        f"{s.dead_letters:,}",
        "three years clean",
        f"{s.lists['THREE_YEAR_CLEAN']:,}",
    )
    departments = Table(
        "department", "notices sent", "received", "answered", "overdue", "pending", box=None
    )
    for department, counts in s.notices.items():
        sent = sum(counts.values())
        if not sent and not s.received.get(department):
            continue
        departments.add_row(
            department,
            f"{sent:,}",
            f"{s.received.get(department, 0):,}",
            f"{counts['answered']:,}",
            f"[red]{counts['overdue']:,}[/]" if counts["overdue"] else "0",
            f"{counts['pending']:,}",
        )
    parts: list[RenderableType] = [head, totals, departments]
    if s.status:
        parts.append(f"[dim]{s.status}[/]")
    return Panel(Group(*parts), title="creditflow demo", border_style="blue")


def line(s: Snapshot) -> str:
    return (
        f"[{s.elapsed:6.1f} s] {s.day} {s.phase}: in {s.sent}/{s.planned}, stored {s.stored}, "
        f"dead letters {s.dead_letters}, black {s.lists['BLACK']}, red {s.lists['RED']}"
        + (f" · {s.status}" if s.status else "")
    )


@dataclass
class LiveView:
    """Shows snapshots; reads one only every ``REFRESH`` seconds (they cost Redis round trips)."""

    console: Console
    live: bool
    _display: Live | None = None
    _shown: float = 0.0
    _lined: float = field(default_factory=time.monotonic)

    def __enter__(self) -> Self:
        if self.live:
            self._display = Live(console=self.console, refresh_per_second=4, transient=False)
            self._display.start()
        return self

    def update(self, snapshot: Callable[[], Snapshot], *, force: bool = False) -> None:
        now = time.monotonic()
        if now - self._shown < REFRESH and not force:
            return
        self._shown = now
        if self._display is not None:
            self._display.update(render(snapshot()))
        elif now - self._lined >= LINE_EVERY:
            self._lined = now
            self.console.print(line(snapshot()), highlight=False, soft_wrap=True)

    def stop(self) -> None:
        if self._display is not None:
            self._display.stop()
            self._display = None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
