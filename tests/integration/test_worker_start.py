"""A worker waits for Kafka at start (a broker that restarts recovers its logs first) and says
clearly when it gives up."""

from __future__ import annotations

import time

import pytest

from creditflow.commands.worker import await_kafka
from creditflow.errors import CreditflowError
from creditflow.settings import Settings
from tests.integration.harness import free_port

pytestmark = pytest.mark.integration


def test_a_worker_starts_once_kafka_answers() -> None:
    began = time.monotonic()
    await_kafka(Settings(), patience=30)
    assert time.monotonic() - began < 30


def test_a_worker_gives_up_on_a_kafka_that_never_answers() -> None:
    nowhere = Settings(kafka_port=free_port())
    with pytest.raises(CreditflowError, match="did not answer for 2 s"):
        await_kafka(nowhere, patience=2)
