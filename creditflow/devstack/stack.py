"""``up``, ``down`` and ``status`` of the whole local stack (Kafka, Redis, then Prometheus)."""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass

from creditflow.departments import load_departments
from creditflow.settings import Settings

from . import security
from .kafka import KafkaService
from .paths import StackPaths
from .prometheus import PrometheusService
from .redis import RedisService
from .service import Service, ServiceStatus

logger = logging.getLogger(__name__)


def services(settings: Settings) -> list[Service]:
    paths = StackPaths.from_settings(settings)
    return [
        KafkaService(security.as_admin(settings), paths),
        RedisService(settings, paths),
        PrometheusService(settings, paths),
    ]


@dataclass
class _Plan:
    """What ``up`` does for each service, decided before anything starts."""

    done: dict[str, ServiceStatus]
    starting: dict[str, int]
    to_start: list[Service]


def up(settings: Settings) -> list[ServiceStatus]:
    """Start what is not running, wait until everything answers; idempotent."""
    stack = services(settings)
    StackPaths.from_settings(settings).make_dirs()
    plan = _plan(stack)
    # Start every process before waiting for any, so their start-up times overlap.
    spawned: dict[str, subprocess.Popen[bytes]] = {s.name: s.start() for s in plan.to_start}
    results = dict(plan.done)
    for service in stack:
        if service.name in spawned:
            results[service.name] = service.await_started(spawned[service.name])
        elif service.name in plan.starting:
            results[service.name] = service.await_running(plan.starting[service.name])
    if settings.kafka_security == "sasl" and settings.kafka_bootstrap is None:
        security.provision(settings, load_departments(settings.departments_file).ids())
    return [results[s.name] for s in stack]


def _plan(stack: list[Service]) -> _Plan:
    # Every check that can fail at once runs before anything is fetched or started.
    plan = _Plan(done={}, starting={}, to_start=[])
    for service in stack:
        why = service.absence()
        if why is not None:
            plan.done[service.name] = service.describe("absent", False, note=why)
            continue
        if service.external:
            plan.done[service.name] = service.check_external()
            continue
        pid = service.pid()
        if pid is None:
            service.check_ports()
            plan.to_start.append(service)
        elif service.answers():
            plan.done[service.name] = service.describe("running", True, pid, "already running")
        else:
            plan.starting[service.name] = pid
    return plan


def down(settings: Settings) -> list[ServiceStatus]:
    """Stop the processes this stack started (never anything else); data stays."""
    results = []
    for service in services(settings):
        if service.external:
            results.append(service.describe("external", False, note="left alone"))
            continue
        pid = service.pid()
        if pid is None:
            # A stale pid file (process gone, or the pid reused by another program) goes too.
            service.pid_file.unlink(missing_ok=True)
            note = "not running"
        else:
            note = service.stop(pid)
        results.append(service.describe("stopped", False, pid, note))
    return results


def status(settings: Settings) -> list[ServiceStatus]:
    return [service.status() for service in services(settings)]
