"""The rendered configuration of the local stack: server.properties, log4j2, redis, pom."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest
import yaml

from creditflow.devstack.config import (
    kafka_command,
    kafka_format_command,
    new_cluster_id,
    redis_command,
    render_log4j2_yaml,
    render_pom,
    render_server_properties,
)
from creditflow.devstack.paths import StackPaths
from creditflow.settings import Settings

POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


@pytest.fixture
def local(tmp_path: Path) -> Settings:
    return Settings(
        devstack_dir=tmp_path / "stack",
        kafka_port=19092,
        kafka_controller_port=19093,
        redis_port=16379,
        kafka_heap="512m",
        kafka_version="4.1.1",
        topic_partitions=6,
    )


@pytest.fixture
def paths(local: Settings) -> StackPaths:
    return StackPaths.from_settings(local)


def _properties(text: str) -> dict[str, str]:
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_server_properties_is_one_combined_kraft_node_on_loopback(
    local: Settings, paths: StackPaths
) -> None:
    props = _properties(render_server_properties(local, paths))

    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["num.partitions"] == "6"
    assert props["auto.create.topics.enable"] == "false"


def test_server_properties_keeps_data_under_the_absolute_stack_dir(
    local: Settings, paths: StackPaths, tmp_path: Path
) -> None:
    props = _properties(render_server_properties(local, paths))

    assert props["log.dirs"] == str(tmp_path / "stack" / "kafka" / "data")


def test_relative_stack_dir_is_resolved_against_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    paths = StackPaths.from_settings(Settings(devstack_dir=Path(".devstack")))

    assert paths.root == tmp_path / ".devstack"
    assert paths.kafka_libs == tmp_path / ".devstack" / "kafka" / "4.1.1" / "libs"
    assert paths.kafka_pid == tmp_path / ".devstack" / "run" / "kafka.pid"


def test_log4j2_config_writes_to_the_kafka_log_file(paths: StackPaths) -> None:
    config = yaml.safe_load(render_log4j2_yaml(paths.kafka_log))["Configuration"]

    appender = config["Appenders"]["RollingFile"]
    assert appender["fileName"] == str(paths.kafka_log)
    assert config["Loggers"]["Root"]["AppenderRef"] == [{"ref": appender["name"]}]


def test_kafka_command_runs_the_broker_with_heap_log_config_and_classpath(
    local: Settings, paths: StackPaths
) -> None:
    command = kafka_command("/usr/bin/java", local, paths, paths.kafka_libs)

    assert command[0] == "/usr/bin/java"
    assert "-Xmx512m" in command
    assert f"-Dlog4j2.configurationFile={paths.kafka_log4j}" in command
    assert command[command.index("-cp") + 1] == f"{paths.kafka_libs}/*"
    assert command[-2:] == ["kafka.Kafka", str(paths.kafka_config)]


def test_format_command_uses_the_voters_config_without_standalone(paths: StackPaths) -> None:
    command = kafka_format_command("java", paths.kafka_libs, "abc", paths.kafka_config)

    assert command[3:] == [
        "kafka.tools.StorageTool",
        "format",
        "-t",
        "abc",
        "-c",
        str(paths.kafka_config),
    ]
    assert "--standalone" not in command


def test_cluster_id_is_a_url_safe_base64_uuid() -> None:
    for _ in range(200):
        cluster_id = new_cluster_id()
        assert len(cluster_id) == 22
        assert not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_redis_command_binds_loopback_with_append_only_file_and_no_snapshots(
    local: Settings, paths: StackPaths
) -> None:
    command = redis_command("/usr/bin/redis-server", local, paths)
    options = dict(zip(command[1::2], command[2::2], strict=True))

    assert command[0] == "/usr/bin/redis-server"
    assert options == {
        "--bind": "127.0.0.1",
        "--port": "16379",
        "--dir": str(paths.redis_data),
        "--appendonly": "yes",
        "--appendfsync": "everysec",
        "--save": "",
        "--hash-max-listpack-value": "8192",
        "--daemonize": "no",
        "--logfile": str(paths.redis_log),
    }


def _dependencies(pom: str) -> dict[str, str]:
    def text(element: ET.Element, tag: str) -> str:
        return element.findtext(f"m:{tag}", default="", namespaces=POM_NS)

    root = ET.fromstring(pom)
    return {
        f"{text(d, 'groupId')}:{text(d, 'artifactId')}": text(d, "version")
        for d in root.iterfind("m:dependencies/m:dependency", POM_NS)
    }


def test_pom_fetches_the_broker_and_log4j2_with_slf4j_2() -> None:
    template = resources.files("creditflow.devstack").joinpath("kafka-pom.xml").read_text()

    pom = render_pom(template, "4.1.1")

    assert "@KAFKA_VERSION@" not in pom
    assert _dependencies(pom) == {
        "org.apache.kafka:kafka_2.13": "4.1.1",
        "org.apache.logging.log4j:log4j-slf4j2-impl": "2.25.3",
        "org.apache.logging.log4j:log4j-core": "2.25.3",
        "org.slf4j:slf4j-api": "2.0.17",
    }
