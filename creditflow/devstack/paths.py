"""Where the local stack keeps its jars, data, logs and pid files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from creditflow.settings import Settings


@dataclass(frozen=True)
class StackPaths:
    """Every path of the local stack, absolute, under one root directory."""

    root: Path
    kafka_version: str

    @classmethod
    def from_settings(cls, settings: Settings) -> StackPaths:
        # Resolved once so that pid checks and the processes' own config agree on one path,
        # whatever the current directory of a later command.
        return cls(
            root=settings.devstack_dir.expanduser().resolve(), kafka_version=settings.kafka_version
        )

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def kafka_dir(self) -> Path:
        return self.root / "kafka"

    @property
    def kafka_libs(self) -> Path:
        return self.kafka_dir / self.kafka_version / "libs"

    @property
    def kafka_data(self) -> Path:
        return self.kafka_dir / "data"

    @property
    def kafka_config(self) -> Path:
        return self.kafka_dir / "server.properties"

    @property
    def kafka_log4j(self) -> Path:
        return self.kafka_dir / "log4j2.yaml"

    @property
    def kafka_cluster_id(self) -> Path:
        return self.kafka_dir / "cluster.id"

    @property
    def kafka_log(self) -> Path:
        return self.logs_dir / "kafka.log"

    @property
    def kafka_out(self) -> Path:
        return self.logs_dir / "kafka.out"

    @property
    def kafka_pid(self) -> Path:
        return self.run_dir / "kafka.pid"

    @property
    def redis_data(self) -> Path:
        return self.root / "redis"

    @property
    def redis_log(self) -> Path:
        return self.logs_dir / "redis.log"

    @property
    def redis_out(self) -> Path:
        return self.logs_dir / "redis.out"

    @property
    def redis_pid(self) -> Path:
        return self.run_dir / "redis.pid"

    @property
    def prometheus_dir(self) -> Path:
        return self.root / "prometheus"

    @property
    def prometheus_data(self) -> Path:
        return self.prometheus_dir / "data"

    @property
    def prometheus_config(self) -> Path:
        return self.prometheus_dir / "prometheus.yml"

    @property
    def prometheus_log(self) -> Path:
        # Prometheus logs to stderr only: its output is its log.
        return self.logs_dir / "prometheus.log"

    @property
    def prometheus_pid(self) -> Path:
        return self.run_dir / "prometheus.pid"

    @property
    def mvn_log(self) -> Path:
        return self.logs_dir / "mvn.log"

    @property
    def apt_log(self) -> Path:
        return self.logs_dir / "apt.log"

    def make_dirs(self) -> None:
        for directory in (self.run_dir, self.logs_dir, self.kafka_data, self.redis_data):
            directory.mkdir(parents=True, exist_ok=True)


def shown(path: Path) -> str:
    """A path as the user should read it: relative to the current directory where possible."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
