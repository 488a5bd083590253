"""The fault schedule: which faults, in what order, at what share of the workload processed.

Pure and seeded: the same seed and counts give the same schedule. Faults are placed by progress
(the share of the workload the consumer group has committed), not by wall time, so that they land
while there is work in flight whatever the speed of the machine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    GROW = "grow"  # start workers up to a count: partitions move to the new ones
    SHRINK = "shrink"  # stop workers (SIGTERM) down to a count: partitions move back
    KILL_WORKER = "kill-worker"  # SIGKILL one worker, then start a replacement
    RESTART_BROKER = "restart-broker"  # SIGKILL the Kafka broker, then start it again
    KILL_REDIS = "kill-redis"  # SIGKILL Redis (append-only, fsync every second), then start it


@dataclass(frozen=True, slots=True)
class Fault:
    progress: float  # share of the workload processed when it fires, in [0, 1)
    kind: FaultKind
    victim: int = 0  # kill-worker: index into the running workers (modulo their number)
    down_for: float = 0.0  # broker and Redis: seconds between the kill and the restart
    workers: int = 0  # grow and shrink: the number of workers afterwards


@dataclass(frozen=True, slots=True)
class Plan:
    """How many of each fault; the worker counts the run goes through (start → peak → end)."""

    kills: int = 6
    broker_restarts: int = 2
    redis_kills: int = 2
    start_workers: int = 1
    peak_workers: int = 3
    end_workers: int = 2

    def __post_init__(self) -> None:
        if min(self.kills, self.broker_restarts, self.redis_kills) < 0:
            raise ValueError("fault counts cannot be negative")
        if min(self.start_workers, self.peak_workers, self.end_workers) < 1:
            raise ValueError("every phase needs at least one worker")


#: Faults are placed in this window of progress: after the first batches, before the tail.
FIRST, LAST = 0.05, 0.9
#: The group grows early and shrinks late, so that most faults meet the peak worker count.
GROW_WINDOW, SHRINK_WINDOW = (0.05, 0.2), (0.65, 0.8)
#: Seconds a killed broker or Redis stays down before it is started again.
MAX_DOWN = 3.0


def schedule(seed: int, plan: Plan) -> list[Fault]:
    """The faults of ``plan`` in firing order, placed by a generator seeded with ``seed``."""
    rng = random.Random(f"chaos-schedule-{seed}")
    faults: list[Fault] = []
    if plan.peak_workers != plan.start_workers:
        kind = FaultKind.GROW if plan.peak_workers > plan.start_workers else FaultKind.SHRINK
        faults.append(Fault(rng.uniform(*GROW_WINDOW), kind, workers=plan.peak_workers))
    if plan.end_workers != plan.peak_workers:
        kind = FaultKind.SHRINK if plan.end_workers < plan.peak_workers else FaultKind.GROW
        faults.append(Fault(rng.uniform(*SHRINK_WINDOW), kind, workers=plan.end_workers))
    for _ in range(plan.kills):
        victim = rng.randrange(max(plan.start_workers, plan.peak_workers, plan.end_workers))
        faults.append(Fault(rng.uniform(FIRST, LAST), FaultKind.KILL_WORKER, victim=victim))
    for kind, count in (
        (FaultKind.RESTART_BROKER, plan.broker_restarts),
        (FaultKind.KILL_REDIS, plan.redis_kills),
    ):
        for _ in range(count):
            down = round(rng.uniform(0.0, MAX_DOWN), 2)
            faults.append(Fault(rng.uniform(FIRST, LAST), kind, down_for=down))
    # The kind breaks ties so that the order never depends on the insertion order.
    return sorted(faults, key=lambda f: (f.progress, str(f.kind)))


def injected(faults: list[Fault]) -> int:
    """Faults proper: kills and restarts, not the resizing of the group."""
    return sum(f.kind not in (FaultKind.GROW, FaultKind.SHRINK) for f in faults)
