"""``up``, ``down`` and ``status`` of the whole local stack (Kafka, Redis, then Prometheus), and
``restart`` of one of its services (fault injection)."""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from dataclasses import dataclass

from creditflow.departments import load_departments
from creditflow.errors import StackError
from creditflow.settings import Settings

from . import process, security
from .kafka import KafkaService
from .paths import StackPaths
from .prometheus import PrometheusService
from .redis import RedisService
from .service import Service, ServiceStatus

logger = logging.getLogger(__name__)

#: Seconds a SIGKILLed service may take to be gone (the kernel frees a large heap first).
KILL_TIMEOUT = 10.0


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


def service(settings: Settings, name: str) -> Service:
    """The stack's service called ``name`` (kafka, redis, prometheus)."""
    for candidate in services(settings):
        if candidate.name == name:
            return candidate
    known = ", ".join(s.name for s in services(settings))
    raise StackError(f"the local stack has no service {name!r} (it has {known})")


def restart(
    settings: Settings, name: str, *, kill: bool = True, down_for: float = 0.0
) -> ServiceStatus:
    """Stop a service of the local stack and start it again; returns once it answers.

    ``kill`` stops it with SIGKILL, as a crash would (no shutdown, no flush), else as ``down``
    does. ``down_for`` seconds pass between the stop and the start. Fault injection uses it: a
    service this stack did not start (external, or not running) is refused, never touched.
    """
    target = service(settings, name)
    if target.external:
        raise StackError(
            f"{target.title} at {target.address} is external ({target.external_setting}): "
            "only a service of the local stack can be restarted; unset it to use the local one"
        )
    pid = target.pid()
    if pid is None:
        raise StackError(f"{target.title} of the local stack is not running: `creditflow stack up`")
    if kill:
        process.signal_pid(pid, signal.SIGKILL)
        if not process.wait_gone(pid, KILL_TIMEOUT):
            raise StackError(f"{target.title} (pid {pid}) survived SIGKILL for {KILL_TIMEOUT:g} s")
        process.remove_pid(target.pid_file)
        logger.info("killed %s, pid %s", name, pid)
    else:
        target.stop(pid)
    time.sleep(down_for)
    return target.await_started(target.start())
