"""Plain-process plumbing: pid files, liveness, ports, detached start, waiting, stopping."""

from __future__ import annotations

import contextlib
import enum
import errno
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

logger = logging.getLogger(__name__)


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        return None


def write_pid(pid_file: Path, pid: int) -> None:
    # Write then rename: a reader never sees a half-written pid.
    tmp = pid_file.with_suffix(".tmp")
    tmp.write_text(f"{pid}\n", encoding="ascii")
    tmp.replace(pid_file)


def remove_pid(pid_file: Path) -> None:
    pid_file.unlink(missing_ok=True)


def is_alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie (our init may not reap orphans)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return False
    # The state follows the parenthesised command name, which may itself hold spaces.
    state = stat.rpartition(")")[2].split()[0]
    return state not in ("Z", "X")


def cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def owned_pid(pid_file: Path, matches: Callable[[str], bool]) -> int | None:
    """The pid of the pid file if that process still runs and is still the program we started.

    Pids are reused: a live pid alone does not prove the process is ours.
    """
    pid = read_pid(pid_file)
    if pid is None or not is_alive(pid) or not matches(cmdline(pid)):
        return None
    return pid


def port_in_use(host: str, port: int) -> bool:
    """Whether binding ``host:port`` fails: some socket, listening or merely bound, holds it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR ignores TIME_WAIT leftovers of our own previous run, not live owners.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def accepts(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def spawn_detached(command: Sequence[str], out_file: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start a process in its own session so it outlives this command and its terminal."""
    logger.debug("starting %s", " ".join(command))
    with out_file.open("ab") as out:
        return subprocess.Popen(
            list(command),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )


class Wait(enum.Enum):
    READY = "ready"
    DIED = "died"
    TIMEOUT = "timeout"


def wait_until(
    ready: Callable[[], bool],
    alive: Callable[[], bool],
    timeout: float,
    interval: float = 0.2,
) -> Wait:
    """Poll ``ready`` until it holds, the process dies, or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if ready():
            return Wait.READY
        if not alive():
            return Wait.DIED
        if time.monotonic() >= deadline:
            return Wait.TIMEOUT
        time.sleep(interval)


def signal_pid(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for ``pid`` to exit; True if it did."""
    deadline = time.monotonic() + timeout
    while is_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True
