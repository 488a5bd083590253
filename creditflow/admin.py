"""Topic administration: create the topics of the contract, idempotently."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from creditflow.errors import ConfigurationError, StackError
from creditflow.settings import Settings

logger = logging.getLogger(__name__)

METADATA_TIMEOUT = 10.0
CREATE_TIMEOUT = 30.0
#: How long to keep asking about a consumer group: a broker that was just formatted creates its
#: offsets topic on the first group request and answers late meanwhile.
GROUP_PATIENCE = 120.0


def _on_error(error: KafkaError) -> None:
    # Connection errors are retried by librdkafka; the caller's timeout decides when to give up.
    logger.debug("kafka admin client: %s", error)


def admin_client(settings: Settings, **overrides: Any) -> AdminClient:
    """An AdminClient whose librdkafka log goes through Python logging, not raw to stderr."""
    config: dict[str, Any] = {
        **settings.kafka_client_config(),
        "error_cb": _on_error,
        "logger": logging.getLogger("creditflow.librdkafka"),
        **overrides,
    }
    return AdminClient(config)


def partition_counts(admin: AdminClient, timeout: float = METADATA_TIMEOUT) -> dict[str, int]:
    """Every topic of the cluster with its partition count."""
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        raise StackError(
            f"Kafka did not answer within {timeout:g} s: {exc.args[0].str()}; "
            "run `creditflow stack up` or check CREDITFLOW_KAFKA_BOOTSTRAP"
        ) from exc
    return {name: len(topic.partitions) for name, topic in metadata.topics.items()}


def ensure_topics(settings: Settings, topics: Sequence[str]) -> list[str]:
    """Create the topics that do not exist yet; the names of those created, in order.

    A topic that exists with another partition count is an error: co-partitioning of the
    input topics needs the same count everywhere, and Kafka cannot shrink a topic.
    """
    admin = admin_client(settings)
    existing = partition_counts(admin)
    expected = settings.topic_partitions
    wrong = [f"{t} has {existing[t]}" for t in topics if t in existing and existing[t] != expected]
    if wrong:
        raise ConfigurationError(
            f"topics exist with another partition count than {expected} "
            f"(CREDITFLOW_TOPIC_PARTITIONS): {', '.join(wrong)}; delete them or change the setting"
        )
    missing = [t for t in dict.fromkeys(topics) if t not in existing]
    if not missing:
        return []
    new = [
        NewTopic(t, num_partitions=expected, replication_factor=settings.topic_replication)
        for t in missing
    ]
    futures = admin.create_topics(
        new, operation_timeout=CREATE_TIMEOUT, request_timeout=CREATE_TIMEOUT
    )
    return [t for t in missing if _created(t, futures[t])]


def _created(topic: str, future: Future[Any]) -> bool:
    try:
        future.result()
    except KafkaException as exc:
        error: KafkaError = exc.args[0]
        if error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
            # Someone else created it between our metadata request and ours: fine.
            return False
        raise StackError(f"could not create topic {topic}: {error.str()}") from exc
    logger.info("created topic %s", topic)
    return True


def group_members(admin: AdminClient, group: str, patience: float = GROUP_PATIENCE) -> int:
    """Members of the consumer group ``group`` now (0 if it does not exist). Asked again while
    the broker does not answer in time, for up to ``patience`` seconds."""
    deadline = time.monotonic() + patience
    while True:
        future = admin.describe_consumer_groups([group])[group]
        try:
            return len(future.result(timeout=METADATA_TIMEOUT).members)
        except KafkaException:
            return 0  # no such group
        except TimeoutError:
            if time.monotonic() > deadline:
                raise StackError(
                    f"Kafka did not describe the consumer group {group} in {patience:g} s"
                ) from None


def delete_topics(admin: AdminClient, topics: Sequence[str]) -> None:
    """Delete ``topics``, waiting for the broker's answers: an admin client dropped before its
    request is answered deletes nothing. A topic that is not deleted (missing, say) is logged.
    Deletion finishes after the answers: a topic created again under the same name at once
    may fail."""
    if not topics:
        return
    for topic, future in admin.delete_topics(list(topics), operation_timeout=30).items():
        try:
            future.result()
        except KafkaException as exc:
            logger.debug("topic %s not deleted: %s", topic, exc)


def delete_groups(admin: AdminClient, groups: Sequence[str], patience: float) -> None:
    """Delete the consumer ``groups``. A broker that has just started answers "coordinator load
    in progress" until it has read its groups back: such a group is asked for again, for up to
    ``patience`` seconds (then ``StackError``), or its committed offsets would outlive topics
    created again under the same names. A group that is missing or has members is logged."""
    deadline = time.monotonic() + patience
    left = list(groups)
    while left:
        again = []
        for group, future in admin.delete_consumer_groups(left, request_timeout=10).items():
            try:
                future.result()
            except KafkaException as exc:
                if not retry_deletion(exc.args[0]):
                    logger.debug("consumer group %s not deleted: %s", group, exc)
                elif time.monotonic() > deadline:
                    raise StackError(f"consumer group {group} not deleted: {exc}") from exc
                else:
                    again.append(group)
        left = again
        if left:
            time.sleep(0.3)


def retry_deletion(error: KafkaError) -> bool:
    """Whether a group's deletion failed for now only (the broker is loading or moving its
    groups), not because the group is missing or has members."""
    return bool(error.retriable()) or error.code() in _COORDINATOR_BUSY


_COORDINATOR_BUSY = frozenset(
    {
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
        KafkaError.NOT_COORDINATOR,
    }
)
