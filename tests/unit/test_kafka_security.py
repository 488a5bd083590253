"""The secured mode's configuration, read without a broker: properties, ACLs, compose."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from confluent_kafka.admin import AclOperation, ResourceType  # type: ignore[attr-defined]

from creditflow.devstack import security
from creditflow.devstack.config import render_server_properties
from creditflow.devstack.paths import StackPaths
from creditflow.settings import Settings
from creditflow.topics import TopicNames

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def test_the_secured_broker_has_scram_and_the_standard_authorizer(tmp_path: Path) -> None:
    settings = Settings(devstack_dir=tmp_path, kafka_security="sasl")
    extra = security.broker_properties(settings, "pw")
    text = render_server_properties(settings, StackPaths.from_settings(settings), extra)
    props = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    assert props["listeners"].startswith("SASL_PLAINTEXT://127.0.0.1:")
    assert "CONTROLLER:PLAINTEXT" in props["listener.security.protocol.map"]
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert "User:admin" in props["super.users"]
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert security.format_arguments("pw") == [
        "--add-scram",
        "SCRAM-SHA-256=[name=admin,password=pw]",
    ]


def test_a_department_reads_only_its_own_notice_topic() -> None:
    topics = TopicNames("t.")
    rules = security.acls(topics, "creditflow", ["finance", "court"])
    finance_reads = {
        name
        for kind, name, _, who, op in rules
        if who == "User:finance" and kind == ResourceType.TOPIC and op == AclOperation.READ
    }
    assert finance_reads == {topics.notice("finance")}
    finance_writes = {
        name for _, name, _, who, op in rules if who == "User:finance" and op == AclOperation.WRITE
    }
    assert finance_writes == {*topics.inputs, topics.deadletter}


def test_passwords_are_generated_per_install_and_owner_only(tmp_path: Path) -> None:
    settings = Settings(devstack_dir=tmp_path, kafka_security="sasl")
    first = security.passwords(settings, ["finance"])
    assert first == security.passwords(settings, ["finance"])
    assert len(set(first.values())) == 2
    assert (tmp_path / "secrets" / "kafka-users.yaml").stat().st_mode & 0o077 == 0
    platform = Settings(devstack_dir=tmp_path, kafka_security="sasl").kafka_client_config()
    assert platform["sasl.username"] == "platform"
    assert platform["sasl.password"] == first["platform"]


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_compose_override_secures_kafka_without_a_password_in_the_repo() -> None:
    override = _load(DOCKER / "compose.sasl.yaml")
    kafka = override["services"]["kafka"]["environment"]
    assert kafka["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    protocols = dict(p.split(":") for p in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert protocols == {
        "CONTROLLER": "PLAINTEXT",
        "INTERNAL": "SASL_PLAINTEXT",
        "EXTERNAL": "SASL_PLAINTEXT",
    }
    for name, value in kafka.items():
        if "JAAS" in name or "PASSWORD" in name:
            assert "${KAFKA_ADMIN_PASSWORD:?" in value, name
    for script in override["services"]["kafka"]["volumes"]:
        assert (DOCKER / script.split(":")[0]).is_file()
    worker = override["services"]["worker"]
    assert worker["environment"]["CREDITFLOW_KAFKA_SECURITY"] == "sasl"
    assert "kafka-users" in worker["depends_on"]
    assert override["services"]["kafka-users"]["command"] == ["kafka", "provision"]
