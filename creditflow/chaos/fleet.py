"""The chaos run's workers: started, grown, shrunk, SIGKILLed and replaced, and watched for
exits nobody asked for (each is recorded and replaced, as a supervisor would)."""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass
from pathlib import Path

from creditflow.demo.space import Space
from creditflow.demo.workers import FIRST_PORT, Worker, free_port, stop_workers
from streams.scrape_target import deregister, target_file

logger = logging.getLogger(__name__)

KILL_WAIT = 10.0


@dataclass(frozen=True, slots=True)
class Exit:
    """A worker that exited by itself."""

    worker: str
    code: int | None
    tail: str


class Fleet:
    def __init__(self, space: Space, log_dir: Path) -> None:
        self.space = space
        self.log_dir = log_dir
        self.running: list[Worker] = []
        self.gone: list[Worker] = []  # stopped, killed or exited: their logs stay
        self.exits: list[Exit] = []
        self._started = 0
        self._port = FIRST_PORT

    @property
    def started(self) -> int:
        return self._started

    def start(self) -> Worker:
        self._started += 1
        self._port = free_port(self._port)
        name = f"{self.space.settings.topic_prefix.rstrip('.')}-w{self._started}"
        worker = Worker(self.space, name, self._port, self.log_dir / f"{name}.log")
        self._port += 1
        self.running.append(worker)
        logger.info("started worker %s (pid %s)", name, worker.process.pid)
        return worker

    def scale(self, count: int) -> list[str]:
        """Start or stop (SIGTERM, the newest first) workers until ``count`` run; their names."""
        changed: list[str] = []
        while len(self.running) < count:
            changed.append(self.start().name)
        surplus = self.running[count:]
        if surplus:
            stop_workers(surplus)
            self.running = self.running[:count]
            self.gone += surplus
            changed += [w.name for w in surplus]
        return changed

    def kill(self, victim: int) -> tuple[Worker, Worker]:
        """SIGKILL the running worker ``victim`` (modulo their number), start a replacement."""
        worker = self.running[victim % len(self.running)]
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(KILL_WAIT)
        worker.stop()  # closes its log
        # A killed worker leaves its scrape target behind; it will not come back.
        deregister(target_file(self.space.settings.scrape_targets, worker.name))
        self.running.remove(worker)
        self.gone.append(worker)
        return worker, self.start()

    def replace_exited(self) -> list[Exit]:
        """Workers that exited since the last look, each recorded and replaced."""
        found = []
        for worker in [w for w in self.running if not w.alive()]:
            worker.stop()
            exit_ = Exit(worker.name, worker.process.returncode, worker.tail(40))
            logger.error("worker %s exited by itself (code %s)", worker.name, exit_.code)
            self.running.remove(worker)
            self.gone.append(worker)
            self.exits.append(exit_)
            found.append(exit_)
            self.start()
        return found

    def stop(self) -> None:
        stop_workers(self.running)
        self.gone += self.running
        self.running = []

    def tails(self, lines: int = 20) -> dict[str, str]:
        return {w.name: w.tail(lines) for w in [*self.gone, *self.running] if w.log.exists()}
