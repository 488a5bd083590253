"""The configuration files and command lines of the local stack, rendered without any I/O."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from creditflow.settings import Settings

from .paths import StackPaths

LOOPBACK = "127.0.0.1"
POM_PLACEHOLDER = "@KAFKA_VERSION@"


def render_pom(template: str, kafka_version: str) -> str:
    """The Maven pom that fetches the jars of ``kafka_version``."""
    return template.replace(POM_PLACEHOLDER, kafka_version)


def kafka_properties(settings: Settings, paths: StackPaths) -> dict[str, str]:
    """A single combined broker+controller node (KRaft) on loopback."""
    port, cport = settings.kafka_port, settings.kafka_controller_port
    return {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{LOOPBACK}:{cport}",
        "listeners": f"PLAINTEXT://{LOOPBACK}:{port},CONTROLLER://{LOOPBACK}:{cport}",
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(paths.kafka_data),
        "num.partitions": str(settings.topic_partitions),
        # After a crash every partition's log is checked before the broker answers: in parallel.
        "num.recovery.threads.per.data.dir": "4",
        # Topics come from `creditflow topics init`; auto-created ones get the wrong partitions.
        "auto.create.topics.enable": "false",
        # One node: internal topics cannot have more replicas than that.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # A single member need not wait for others: consumers in tests join at once.
        "group.initial.rebalance.delay.ms": "0",
    }


def render_server_properties(
    settings: Settings, paths: StackPaths, extra: Mapping[str, str] | None = None
) -> str:
    """``extra`` adds or overrides properties (the secured mode's listeners and authorizer)."""
    lines = ["# Written by `creditflow stack up`; rewritten on every start."]
    properties = {**kafka_properties(settings, paths), **(extra or {})}
    lines += [f"{key}={value}" for key, value in properties.items()]
    return "\n".join(lines) + "\n"


def log4j2_config(log_file: Path) -> dict[str, Any]:
    """Kafka's log4j2 configuration: everything into one rolling file, nothing on the console."""
    return {
        "Configuration": {
            "name": "creditflow-devstack",
            "Appenders": {
                "RollingFile": {
                    "name": "FILE",
                    "fileName": str(log_file),
                    "filePattern": f"{log_file}.%i",
                    "PatternLayout": {"pattern": "[%d] %p %m (%c)%n"},
                    "SizeBasedTriggeringPolicy": {"size": "50 MB"},
                    "DefaultRolloverStrategy": {"max": 3},
                }
            },
            "Loggers": {
                "Root": {"level": "INFO", "AppenderRef": [{"ref": "FILE"}]},
                # The state-change and request loggers are noisy at INFO.
                "Logger": [
                    {"name": "kafka.request.logger", "level": "WARN"},
                    {"name": "state.change.logger", "level": "WARN"},
                ],
            },
        }
    }


def render_log4j2_yaml(log_file: Path) -> str:
    return yaml.safe_dump(log4j2_config(log_file), sort_keys=False)


def new_cluster_id() -> str:
    """A KRaft cluster id: a random UUID, URL-safe base64 without padding, as Kafka writes them.

    Kafka's own generator also avoids ids starting with '-' (they read as command-line options).
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if not cluster_id.startswith("-"):
            return cluster_id


def java_classpath(libs: Path) -> str:
    return f"{libs}/*"


def kafka_format_command(
    java: str, libs: Path, cluster_id: str, config: Path, extra: Sequence[str] = ()
) -> list[str]:
    # No --standalone: it is refused together with controller.quorum.voters.
    return [
        java,
        "-cp",
        java_classpath(libs),
        "kafka.tools.StorageTool",
        "format",
        "-t",
        cluster_id,
        "-c",
        str(config),
        *extra,
    ]


def kafka_command(java: str, settings: Settings, paths: StackPaths, libs: Path) -> list[str]:
    return [
        java,
        f"-Xmx{settings.kafka_heap}",
        f"-Dlog4j2.configurationFile={paths.kafka_log4j}",
        "-cp",
        java_classpath(libs),
        "kafka.Kafka",
        str(paths.kafka_config),
    ]


#: Bytes a hash's value may have for Redis to keep the hash as a listpack.
HASH_MAX_LISTPACK_VALUE = 8192


def redis_command(redis_server: str, settings: Settings, paths: StackPaths) -> list[str]:
    """Redis on loopback, persisted to an append-only file under the stack's directory."""
    return [
        redis_server,
        "--bind",
        LOOPBACK,
        "--port",
        str(settings.redis_port),
        "--dir",
        str(paths.redis_data),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        # No RDB snapshots: the append-only file is the persistence of the local stack.
        "--save",
        "",
        # A subject's hashes (state, events, notices) hold values of a few hundred bytes to a
        # few KB: kept as listpacks up to 8 KB a value, they take an eighth less memory than
        # as hash tables (README, Performance).
        "--hash-max-listpack-value",
        str(HASH_MAX_LISTPACK_VALUE),
        "--daemonize",
        "no",
        "--logfile",
        str(paths.redis_log),
    ]
