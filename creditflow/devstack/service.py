"""What the stack knows about one service, and how a local one is started, awaited and stopped."""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from creditflow.errors import StackError
from creditflow.settings import Settings

from . import process
from .config import LOOPBACK
from .paths import StackPaths, shown

logger = logging.getLogger(__name__)

# absent: an optional program that is not installed; the stack goes on without it.
State = Literal["running", "stopped", "external", "absent"]


@dataclass(frozen=True)
class Port:
    """A port the local service binds, and the setting that chooses it."""

    number: int
    setting: str


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    state: State
    address: str
    answers: bool
    pid: int | None = None
    log: Path | None = None
    note: str = ""


class Service(ABC):
    """A service of the stack: either external (configured) or a local process we own."""

    name: ClassVar[str]
    title: ClassVar[str]
    #: Seconds between SIGTERM and SIGKILL.
    stop_timeout: ClassVar[float]
    #: The setting that points at an external instance instead.
    external_setting: ClassVar[str]

    def __init__(self, settings: Settings, paths: StackPaths) -> None:
        self.settings = settings
        self.paths = paths

    @property
    @abstractmethod
    def external(self) -> bool: ...

    @property
    @abstractmethod
    def address(self) -> str: ...

    @property
    @abstractmethod
    def pid_file(self) -> Path: ...

    @property
    @abstractmethod
    def log_file(self) -> Path: ...

    @property
    @abstractmethod
    def out_file(self) -> Path: ...

    @abstractmethod
    def ports(self) -> list[Port]: ...

    @abstractmethod
    def is_ours(self, cmdline: str) -> bool:
        """Whether a process command line is this service as the stack starts it."""

    @abstractmethod
    def answers(self) -> bool:
        """Whether the service answers a request now (a short probe, no retries)."""

    @abstractmethod
    def prepare(self) -> list[str]:
        """Install or fetch what is missing and write the config; the command to start."""

    def absence(self) -> str | None:
        """Why the stack runs without this service (an optional program that is not installed),
        or None when it is needed."""
        return None

    def pid(self) -> int | None:
        return process.owned_pid(self.pid_file, self.is_ours)

    def status(self) -> ServiceStatus:
        why = self.absence()
        if why is not None:
            return self.describe("absent", False, note=why)
        if self.external:
            return self.describe("external", self.answers())
        pid = self.pid()
        if pid is None:
            return self.describe("stopped", False)
        return self.describe("running", self.answers(), pid)

    def describe(
        self, state: State, answers: bool, pid: int | None = None, note: str = ""
    ) -> ServiceStatus:
        log = None if state in ("external", "absent") else self.log_file
        return ServiceStatus(self.name, state, self.address, answers, pid, log, note)

    def check_external(self) -> ServiceStatus:
        if not self.answers():
            raise StackError(
                f"{self.title} at {self.address} ({self.external_setting}) does not answer; "
                f"start it or unset {self.external_setting} to run the local one"
            )
        return self.describe("external", True, note="external, answers")

    def check_ports(self) -> None:
        """Fail at once if another program holds one of our ports: it would only fail later."""
        for port in self.ports():
            if process.port_in_use(LOOPBACK, port.number):
                raise StackError(
                    f"port {port.number} on {LOOPBACK} for {self.title} is already in use by "
                    f"another program; stop it or set {port.setting} to a free port"
                )

    def start(self) -> subprocess.Popen[bytes]:
        process.remove_pid(self.pid_file)
        command = self.prepare()
        proc = process.spawn_detached(command, self.out_file, cwd=self.paths.root)
        process.write_pid(self.pid_file, proc.pid)
        logger.info("started %s, pid %s", self.name, proc.pid)
        return proc

    def await_started(self, proc: subprocess.Popen[bytes]) -> ServiceStatus:
        """Wait for a process we just started to answer."""
        outcome = process.wait_until(
            self.answers, lambda: proc.poll() is None, self.settings.stack_timeout
        )
        if outcome is process.Wait.DIED:
            process.remove_pid(self.pid_file)
            raise StackError(
                f"{self.title} exited during start (exit code {proc.returncode}); "
                f"read {shown(self.log_file)} and {shown(self.out_file)}"
            )
        self._raise_on_timeout(outcome)
        return self.describe("running", True, proc.pid, "started")

    def await_running(self, pid: int) -> ServiceStatus:
        """Wait for a process of ours that runs but does not answer yet (still starting)."""
        outcome = process.wait_until(
            self.answers, lambda: process.is_alive(pid), self.settings.stack_timeout
        )
        if outcome is process.Wait.DIED:
            process.remove_pid(self.pid_file)
            raise StackError(f"{self.title} (pid {pid}) exited; read {shown(self.log_file)}")
        self._raise_on_timeout(outcome)
        return self.describe("running", True, pid, "was starting, answers now")

    def _raise_on_timeout(self, outcome: process.Wait) -> None:
        if outcome is process.Wait.TIMEOUT:
            raise StackError(
                f"{self.title} did not answer on {self.address} within "
                f"{self.settings.stack_timeout:g} s; read {shown(self.log_file)}"
            )

    def stop(self, pid: int) -> str:
        """SIGTERM, then SIGKILL after ``stop_timeout``; what happened, for the user."""
        process.signal_pid(pid, signal.SIGTERM)
        started = time.monotonic()
        if process.wait_gone(pid, self.stop_timeout):
            note = f"stopped in {time.monotonic() - started:.1f} s"
        else:
            logger.warning(
                "%s (pid %s) ignored SIGTERM for %s s; killing it",
                self.name,
                pid,
                self.stop_timeout,
            )
            process.signal_pid(pid, signal.SIGKILL)
            process.wait_gone(pid, 5.0)
            note = f"killed after {self.stop_timeout:g} s"
        process.remove_pid(self.pid_file)
        return note
