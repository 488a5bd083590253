"""Which failures to delete a consumer group are asked again (creditflow.admin)."""

from __future__ import annotations

from confluent_kafka import KafkaError

from creditflow.admin import retry_deletion


def test_a_broker_still_loading_or_moving_its_groups_is_asked_again() -> None:
    for code in (
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
        KafkaError.NOT_COORDINATOR,
    ):
        assert retry_deletion(KafkaError(code))
    assert retry_deletion(KafkaError(KafkaError._TIMED_OUT, retriable=True))


def test_a_missing_group_or_one_with_members_is_not() -> None:
    assert not retry_deletion(KafkaError(KafkaError.GROUP_ID_NOT_FOUND))
    assert not retry_deletion(KafkaError(KafkaError.NON_EMPTY_GROUP))
