"""Apache Kafka of the local stack: one combined broker+controller node (KRaft) on loopback."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from creditflow.admin import admin_client
from creditflow.errors import StackError
from creditflow.settings import Settings

from . import process
from .config import (
    kafka_command,
    kafka_format_command,
    new_cluster_id,
    render_log4j2_yaml,
    render_server_properties,
)
from .jars import kafka_libs
from .paths import StackPaths, shown
from .security import broker_properties, format_arguments
from .service import Port, Service

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = 2.0


class KafkaService(Service):
    name = "kafka"
    title = "Kafka"
    # A controlled shutdown of the combined node usually takes a few seconds.
    stop_timeout = 45.0
    external_setting = "CREDITFLOW_KAFKA_BOOTSTRAP"

    def __init__(self, settings: Settings, paths: StackPaths) -> None:
        super().__init__(settings, paths)
        # Made once the port accepts connections, then reused by every probe of a wait.
        self._admin: AdminClient | None = None

    @property
    def external(self) -> bool:
        return self.settings.kafka_bootstrap is not None

    @property
    def address(self) -> str:
        return self.settings.bootstrap_servers

    @property
    def pid_file(self) -> Path:
        return self.paths.kafka_pid

    @property
    def log_file(self) -> Path:
        return self.paths.kafka_log

    @property
    def out_file(self) -> Path:
        return self.paths.kafka_out

    def ports(self) -> list[Port]:
        return [
            Port(self.settings.kafka_port, "CREDITFLOW_KAFKA_PORT"),
            Port(self.settings.kafka_controller_port, "CREDITFLOW_KAFKA_CONTROLLER_PORT"),
        ]

    def is_ours(self, cmdline: str) -> bool:
        # The config path ties the process to this stack directory, not just to any Kafka.
        return "kafka.Kafka" in cmdline and str(self.paths.kafka_config) in cmdline

    def answers(self) -> bool:
        # A refused TCP connection is answered at once; only then is a metadata request worth
        # it (and librdkafka does not log connection errors for a port nobody listens on).
        if not any(process.accepts(host, port) for host, port in _hosts(self.address)):
            return False
        if self._admin is None:
            self._admin = admin_client(self.settings)
        try:
            self._admin.list_topics(timeout=PROBE_TIMEOUT)
        except KafkaException as exc:
            logger.debug("kafka not answering yet: %s", exc)
            return False
        return True

    def prepare(self) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise StackError(
                "java not found on PATH: Kafka needs a JDK 17 or newer "
                "(apt-get install openjdk-17-jre-headless)"
            )
        libs = kafka_libs(self.settings, self.paths)
        paths = self.paths
        admin_password = self._admin_password()
        extra = None if admin_password is None else broker_properties(self.settings, admin_password)
        # Owner-only before anything is written: in secured mode it holds the admin's password.
        paths.kafka_config.touch(mode=0o600)
        paths.kafka_config.chmod(0o600)
        paths.kafka_config.write_text(
            render_server_properties(self.settings, paths, extra), encoding="utf-8"
        )
        paths.kafka_log4j.write_text(render_log4j2_yaml(paths.kafka_log), encoding="utf-8")
        secured_marker = paths.kafka_dir / "scram-formatted"
        if not (paths.kafka_data / "meta.properties").exists():
            args = [] if admin_password is None else format_arguments(admin_password)
            self._format(java, libs, args)
            if admin_password is not None:
                secured_marker.touch()
        elif admin_password is not None and not secured_marker.exists():
            raise StackError(
                f"the Kafka data in {shown(paths.kafka_data)} was formatted without SCRAM users, "
                "so nobody could log in to the secured broker; use another "
                "CREDITFLOW_DEVSTACK_DIR for CREDITFLOW_KAFKA_SECURITY=sasl"
            )
        return kafka_command(java, self.settings, paths, libs)

    def _admin_password(self) -> str | None:
        """The admin's password in secured mode (the stack runs with the admin's settings)."""
        if self.settings.kafka_security != "sasl":
            return None
        if self.settings.sasl_password is None:
            raise StackError("secured mode needs the admin's password: use security.as_admin")
        return self.settings.sasl_password.get_secret_value()

    def _format(self, java: str, libs: Path, extra: list[str]) -> None:
        """Format the empty data dir once; the cluster id is kept so data survives down+up."""
        cluster_id_file = self.paths.kafka_cluster_id
        if cluster_id_file.exists():
            cluster_id = cluster_id_file.read_text(encoding="ascii").strip()
        else:
            cluster_id = new_cluster_id()
            cluster_id_file.write_text(cluster_id + "\n", encoding="ascii")
        command = kafka_format_command(java, libs, cluster_id, self.paths.kafka_config, extra)
        with self.out_file.open("ab") as out:
            result = subprocess.run(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, check=False
            )
        if result.returncode != 0:
            raise StackError(
                f"formatting Kafka's storage failed (exit code {result.returncode}); "
                f"read {shown(self.out_file)}"
            )


def _hosts(bootstrap: str) -> list[tuple[str, int]]:
    hosts = []
    for server in bootstrap.split(","):
        # librdkafka accepts an optional "PLAINTEXT://" style prefix.
        host, _, port = server.strip().rpartition("://")[2].rpartition(":")
        if host and port.isdigit():
            hosts.append((host.strip("[]"), int(port)))
    return hosts
