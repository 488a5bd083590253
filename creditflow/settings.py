"""Settings, read once from the environment (prefix ``CREDITFLOW_``) and passed in."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

import yaml
from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from creditflow.topics import TopicNames

#: Under ``Settings.secrets_dir``: Kafka user → password, written by ``creditflow stack up``.
KAFKA_USERS_FILE = "kafka-users.yaml"


def local_secret(path: Path, name: str) -> str | None:
    """One entry of a YAML secrets file of the local stack, or None if there is none."""
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    value = entries.get(name) if isinstance(entries, dict) else None
    return value if isinstance(value, str) else None


class Settings(BaseSettings):
    """Every knob of creditflow; see the settings table of the README."""

    model_config = SettingsConfigDict(env_prefix="CREDITFLOW_", extra="ignore")

    departments_file: Path | None = Field(
        default=None, description="Department registry YAML; unset = the shipped one"
    )
    policy_file: Path | None = Field(
        default=None, description="Policy YAML (periods, score, measures); unset = the shipped one"
    )

    # Where the services are. Unset: the local stack of ``creditflow stack up``.
    kafka_bootstrap: str | None = Field(
        default=None, description="Kafka bootstrap servers; unset = the local stack's broker"
    )
    redis_url: str | None = Field(
        default=None, description="Redis URL; unset = the local stack's Redis"
    )

    # Local stack (``creditflow stack``).
    devstack_dir: Path = Field(
        default=Path(".devstack"), description="State of the local stack: data, logs, pids"
    )
    kafka_home: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("CREDITFLOW_KAFKA_HOME", "KAFKA_HOME"),
        description="An existing Kafka install (its libs/ is used instead of fetching jars)",
    )
    kafka_version: str = Field(
        default="4.1.1", description="Apache Kafka version of the local stack"
    )
    kafka_port: int = Field(default=9092, description="Local broker's client port")
    kafka_controller_port: int = Field(default=9093, description="Local KRaft controller port")
    kafka_heap: str = Field(default="768m", description="Local broker's Java heap (-Xmx)")
    redis_port: int = Field(default=6379, description="Local Redis port")
    prometheus_port: int = Field(default=9090, description="Local Prometheus' port")
    stack_timeout: float = Field(
        default=90.0, description="Seconds to wait for a local service to answer"
    )

    # Workers.
    app_id: str = Field(default="creditflow", description="Consumer group of the workers")
    worker_id: str | None = Field(
        default=None, description="This worker's name (logs, outbox relay); unset = host:port"
    )
    web_port: int = Field(default=6066, description="Worker's HTTP port (API, /metrics)")
    web_bind: str = Field(default="127.0.0.1", description="Worker's HTTP bind address")
    batch_size: int = Field(default=500, ge=1, description="Events per processing batch")
    batch_within: float = Field(
        default=0.005,
        gt=0,
        description="Seconds to wait to fill a batch (a backlog fills it at once: this only "
        "delays events that come one by one)",
    )
    order_idle: float = Field(
        default=10.0,
        ge=0,
        description="Seconds a worker waits for a silent input partition before it processes "
        "later messages of the others; time spent processing does not count (streams.ordering)",
    )
    order_capacity: int = Field(
        default=50_000,
        ge=1,
        description="Messages a worker holds at most while it puts them in publishing order",
    )
    event_dictionary_records: int = Field(
        default=500,
        ge=1,
        le=100_000,
        description="Records the deployment's event dictionary is made of, by the first worker "
        "(or rebuild) that has taken in as many, when there is none (streams.store.eventpacking)",
    )
    fetch_partition_bytes: int = Field(
        default=128 * 1024,
        ge=1024,
        description="Bytes a worker fetches per input partition and request: small, so that "
        "while it catches up every partition delivers in turn, soon (streams.ordering)",
    )
    fetch_max_wait: float = Field(
        default=0.2,
        gt=0,
        le=10,
        description="Seconds the broker may hold a worker's fetch request for input that has not "
        "arrived: short, so that a request for quiet partitions does not hold back the busy "
        "ones (streams.transport); shorter costs backlog throughput",
    )
    redis_prefix: str = Field(default="cf:", description="Prefix of every Redis key")
    clock: Literal["system", "redis"] = Field(
        default="system", description="system, or redis: time set in Redis (tests, demo)"
    )
    due_interval: float = Field(default=1.0, gt=0, description="Seconds between due-time scans")
    session_timeout: float = Field(default=30.0, gt=0, description="Kafka consumer session timeout")
    metrics_interval: float = Field(
        default=5.0, gt=0, description="Seconds between refreshes of the gauges (Redis, lag)"
    )
    scrape_targets_dir: Path | None = Field(
        default=None,
        description="Where workers register for the local Prometheus; unset = <devstack>/",
    )

    # Kafka clients.
    kafka_security: Literal["plaintext", "sasl"] = Field(
        default="plaintext",
        description="sasl: SCRAM-SHA-256 logins and ACLs (local stack, clients); or plaintext",
    )
    security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT"] = "PLAINTEXT"
    sasl_username: str | None = Field(
        default=None, description="Kafka user (sasl); unset = platform"
    )
    sasl_password: SecretStr | None = Field(
        default=None, description="Its password; unset = the local stack's generated one"
    )

    # Credit-check API and personal information.
    api_tokens_file: Path | None = Field(
        default=None, description="Departments' API token hashes (YAML); unset = <devstack>/"
    )
    api_url: str | None = Field(
        default=None, description="API base URL for `creditflow check`; unset = local worker"
    )
    api_token: SecretStr | None = Field(default=None, description="Token `creditflow check` sends")
    api_secret: SecretStr | None = Field(
        default=None, description="Key of the API's opaque cursors; unset = the local stack's"
    )
    audit_timeout: float = Field(
        default=5.0, gt=0, description="Seconds Kafka has to acknowledge an audit record"
    )
    deadletter_public_key: str | None = Field(
        default=None, description="X25519 key dead letters of persons are sealed to (base64)"
    )
    deadletter_private_key: SecretStr | None = Field(
        default=None, description="Operators' key that opens sealed dead letters (base64)"
    )
    topic_prefix: str = Field(
        default="", description="Prefix of every topic name (a test's or a tenant's own set)"
    )
    topic_partitions: int = Field(default=6, ge=1, description="Partitions of every topic")
    topic_replication: int = Field(default=1, ge=1, description="Replication factor of topics")

    @property
    def topics(self) -> TopicNames:
        return TopicNames(self.topic_prefix)

    @property
    def worker_name(self) -> str:
        return self.worker_id or f"{socket.gethostname()}:{self.web_port}"

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka_bootstrap or f"127.0.0.1:{self.kafka_port}"

    @property
    def redis_dsn(self) -> str:
        return self.redis_url or f"redis://127.0.0.1:{self.redis_port}/0"

    @model_validator(mode="after")
    def _sasl_defaults(self) -> Settings:
        # In sasl mode a client of the local stack logs in as the platform unless told otherwise,
        # with the password the stack generated for that user (never one from the repo).
        if self.kafka_security == "sasl":
            self.security_protocol = "SASL_PLAINTEXT"
            self.sasl_username = self.sasl_username or "platform"
            if self.sasl_password is None:
                password = local_secret(self.secrets_dir / KAFKA_USERS_FILE, self.sasl_username)
                self.sasl_password = SecretStr(password) if password else None
        return self

    @property
    def secrets_dir(self) -> Path:
        """Passwords and keys generated for this install of the local stack (git-ignored)."""
        return self.devstack_dir / "secrets"

    @property
    def scrape_targets(self) -> Path:
        """The file_sd directory of the local Prometheus: a worker registers only if it exists."""
        return self.scrape_targets_dir or self.devstack_dir / "prometheus" / "targets"

    @property
    def tokens_path(self) -> Path:
        return self.api_tokens_file or self.devstack_dir / "api-tokens.yaml"

    @property
    def api_base_url(self) -> str:
        return (self.api_url or f"http://127.0.0.1:{self.web_port}").rstrip("/")

    def kafka_client_config(self) -> dict[str, str]:
        """The librdkafka settings every creditflow client starts from."""
        config = {"bootstrap.servers": self.bootstrap_servers}
        if self.security_protocol != "PLAINTEXT":
            config["security.protocol"] = self.security_protocol
            config["sasl.mechanism"] = "SCRAM-SHA-256"
            if self.sasl_username:
                config["sasl.username"] = self.sasl_username
            if self.sasl_password:
                config["sasl.password"] = self.sasl_password.get_secret_value()
        return config
