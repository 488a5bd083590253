"""What the long-running measuring commands (bench, chaos) share: a console wide enough for their
tables when the output is a file or a CI log, and progress lines stamped with the time elapsed."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from rich.console import Console

console = Console(highlight=False, width=None if sys.stdout.isatty() else 132)


def stopwatch() -> Callable[[str], None]:
    """A printer of progress lines, each with the seconds since the stopwatch was made."""
    began = time.monotonic()

    def say(line: str) -> None:
        console.print(f"[dim][{time.monotonic() - began:7.1f} s][/] {line}")

    return say
