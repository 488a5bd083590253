"""The demo's platform workers: ``python -m creditflow worker`` subprocesses in its namespace."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from confluent_kafka import KafkaException

from creditflow.admin import admin_client
from creditflow.demo.errors import DemoError
from creditflow.demo.space import Space

logger = logging.getLogger(__name__)

FIRST_PORT = 6071
STOP_TIMEOUT = 20.0


def free_port(start: int) -> int:
    """The first port from ``start`` that nothing listens on, so several demos can coexist."""
    for port in range(start, start + 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise DemoError(f"no free port in {start}..{start + 199} for a worker")


class Worker:
    """One worker process with its own web port, log file and Redis-controlled clock."""

    def __init__(self, space: Space, name: str, port: int, log: Path) -> None:
        self.name = name
        self.port = port
        self.log = log
        s = space.settings
        # Where Kafka and Redis are, and how to log in, come from the environment as for any
        # worker; only the namespace, the clock and the port are the demo's.
        env = {
            **os.environ,
            "CREDITFLOW_TOPIC_PREFIX": s.topic_prefix,
            "CREDITFLOW_REDIS_PREFIX": s.redis_prefix,
            "CREDITFLOW_APP_ID": s.app_id,
            "CREDITFLOW_CLOCK": "redis",
            "CREDITFLOW_DUE_INTERVAL": str(s.due_interval),
            "CREDITFLOW_BATCH_WITHIN": str(s.batch_within),
            "CREDITFLOW_SESSION_TIMEOUT": str(s.session_timeout),
            "CREDITFLOW_DEVSTACK_DIR": str(s.devstack_dir.resolve()),
            "CREDITFLOW_WEB_PORT": str(port),
            "CREDITFLOW_WORKER_ID": name,
        }
        log.parent.mkdir(parents=True, exist_ok=True)
        self._out: IO[bytes] = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "creditflow", "worker", "--loglevel", "warning"],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def terminate(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not stopped in time."""
        if self.alive():
            self.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                logger.warning("worker %s ignored SIGTERM; killing it", self.name)
                self.process.kill()
                self.process.wait(10)
        self._out.close()

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def start_workers(space: Space, count: int, log_dir: Path) -> list[Worker]:
    workers: list[Worker] = []
    port = FIRST_PORT
    name = space.settings.topic_prefix.rstrip(".")
    for index in range(1, count + 1):
        port = free_port(port)
        worker_name = f"{name}-w{index}"
        workers.append(Worker(space, worker_name, port, log_dir / f"{worker_name}.log"))
        port += 1
    return workers


def stop_workers(workers: list[Worker]) -> None:
    """Ask every worker to stop at once (they leave the group together), then wait for each."""
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.stop()


def wait_assigned(space: Space, workers: list[Worker], timeout: float = 90.0) -> None:
    """Until the group is stable with every worker in it and every input partition assigned."""
    admin = admin_client(space.settings)
    wanted = len(space.settings.topics.inputs) * space.settings.topic_partitions
    deadline = time.monotonic() + timeout
    while True:
        for worker in workers:
            if not worker.alive():
                raise DemoError(f"worker {worker.name} exited:\n{worker.tail()}")
        try:
            description = admin.describe_consumer_groups([space.group])[space.group].result(10)
            assigned = sum(len(m.assignment.topic_partitions) for m in description.members)
            if (
                str(description.state).endswith("STABLE")
                and len(description.members) == len(workers)
                and assigned == wanted
            ):
                return
        except KafkaException as exc:
            logger.debug("group %s not described yet: %s", space.group, exc)
        if time.monotonic() > deadline:
            raise DemoError(f"the workers did not join the group {space.group} in {timeout:g} s")
        time.sleep(0.3)
