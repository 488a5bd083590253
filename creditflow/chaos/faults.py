"""Applying one fault of the schedule to the running platform, and what happened."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

from creditflow.chaos.fleet import Fleet
from creditflow.chaos.schedule import Fault, FaultKind
from creditflow.devstack import stack
from creditflow.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Injected:
    """A fault as it happened."""

    kind: str
    planned_progress: float  # the schedule's share of the workload processed
    progress: float  # the share processed when it fired
    at_seconds: float  # since the chaos run started
    seconds: float  # how long it took (a restart: until the service answered again)
    detail: str

    def report(self) -> dict[str, Any]:
        row = asdict(self)
        for name in ("planned_progress", "progress", "at_seconds", "seconds"):
            row[name] = round(row[name], 3)
        return row


RESTART_TIMEOUT = 300.0


class Injector:
    def __init__(self, settings: Settings, fleet: Fleet, began: float) -> None:
        # A broker killed mid-write recovers every partition's log before it answers: with the
        # many partitions a test stack accumulates that takes minutes, not the stack's usual wait.
        self.settings = settings.model_copy(
            update={"stack_timeout": max(settings.stack_timeout, RESTART_TIMEOUT)}
        )
        self.fleet = fleet
        self.began = began

    def apply(self, fault: Fault, progress: float) -> Injected:
        at = time.monotonic()
        detail = self._do(fault)
        logger.info("fault %s at %.3f: %s", fault.kind, progress, detail)
        return Injected(
            str(fault.kind),
            fault.progress,
            progress,
            at - self.began,
            time.monotonic() - at,
            detail,
        )

    def _do(self, fault: Fault) -> str:
        if fault.kind in (FaultKind.GROW, FaultKind.SHRINK):
            before = len(self.fleet.running)
            names = self.fleet.scale(fault.workers)
            return f"{before} → {fault.workers} workers ({', '.join(names)})"
        if fault.kind is FaultKind.KILL_WORKER:
            killed, replacement = self.fleet.kill(fault.victim)
            return (
                f"SIGKILL {killed.name} (pid {killed.process.pid}); replaced by {replacement.name}"
            )
        service = "kafka" if fault.kind is FaultKind.RESTART_BROKER else "redis"
        status = stack.restart(self.settings, service, kill=True, down_for=fault.down_for)
        return f"SIGKILL {service}, down {fault.down_for:g} s, restarted as pid {status.pid}"
