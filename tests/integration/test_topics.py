"""``creditflow topics init`` and ``ensure_topics`` against the local stack's Kafka."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from creditflow.admin import admin_client, delete_topics, ensure_topics
from creditflow.departments import load_departments
from creditflow.errors import ConfigurationError
from creditflow.settings import Settings

pytestmark = pytest.mark.integration

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def admin(settings: Settings) -> AdminClient:
    return admin_client(settings)


@pytest.fixture
def scratch_topics(settings: Settings) -> Iterator[list[str]]:
    """Names a test may create; deleted afterwards."""
    names: list[str] = []
    yield names
    delete_topics(admin_client(settings), names)


def test_init_twice_creates_nothing_the_second_time(cli: RunCli, settings: Settings) -> None:
    count = len(settings.topics.all(load_departments(settings.departments_file).ids()))

    first = cli("topics", "init")
    second = cli("topics", "init")

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert f"0 created, {count} existing" in second.stdout


def test_every_topic_of_the_contract_has_the_configured_partitions(
    cli: RunCli, settings: Settings, admin: AdminClient
) -> None:
    assert cli("topics", "init").returncode == 0
    expected = settings.topics.all(load_departments(settings.departments_file).ids())

    metadata = admin.list_topics(timeout=10).topics

    assert {t: len(metadata[t].partitions) for t in expected if t in metadata} == dict.fromkeys(
        expected, settings.topic_partitions
    )


def test_ensure_topics_creates_only_what_is_missing(
    settings: Settings, unique_name: Callable[[str], str], scratch_topics: list[str]
) -> None:
    names = [unique_name("test.topics"), unique_name("test.topics")]
    scratch_topics.extend(names)

    assert ensure_topics(settings, names) == names
    assert ensure_topics(settings, names) == []


def test_ensure_topics_reports_a_topic_with_another_partition_count(
    settings: Settings,
    admin: AdminClient,
    unique_name: Callable[[str], str],
    scratch_topics: list[str],
) -> None:
    name = unique_name("test.topics")
    scratch_topics.append(name)
    other = settings.topic_partitions + 1
    admin.create_topics([NewTopic(name, num_partitions=other, replication_factor=1)])[name].result(
        10
    )

    with pytest.raises(ConfigurationError, match=rf"{name} has {other}"):
        ensure_topics(settings, [name])
