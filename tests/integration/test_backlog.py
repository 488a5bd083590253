"""A backlog caught up while partitions run ahead of one another: the worker stops fetching those
far ahead (streams.ordering) and still takes in every message, once, in full."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest

from creditflow.bench import workload
from streams.logread import log_range, read_consumer
from tests.integration.harness import Harness, stored_events, wait_for

pytestmark = pytest.mark.integration


def _ends(harness: Harness) -> dict[str, int]:
    """Each non-empty input partition's end offset, as "topic|partition" (the positions' fields)."""
    consumer = read_consumer(harness.settings)
    try:
        ends = log_range(consumer, harness.settings.topics.inputs).ends
    finally:
        consumer.close()
    return {f"{topic}|{p}": end for (topic, p), end in ends.items() if end}


def test_a_backlog_is_taken_in_whole_while_partitions_far_ahead_wait(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    try:
        after = workload.LAST_DAY + timedelta(days=1)
        harness.set_clock(datetime.combine(after, clock_time(0)))
        load = workload.generate(3, 20_000, 4_000, harness.settings, processes=1)
        workload.publish(harness.settings, load.messages)
        ends = _ends(harness)
        assert sum(ends.values()) == len(load.messages)
        # A share of a few messages per partition and fetches of a few messages: partitions
        # are marked ahead and taken back all the time while the worker catches up.
        harness.env["CREDITFLOW_ORDER_CAPACITY"] = "400"
        harness.env["CREDITFLOW_FETCH_PARTITION_BYTES"] = "2048"
        harness.start_worker()
        positions = f"{harness.settings.redis_prefix}positions"

        def taken_in() -> bool:
            found = {k.decode(): int(v) for k, v in harness.redis.hgetall(positions).items()}
            return found == ends

        wait_for(taken_in, 240, "every input message taken in", every=1.0)
        stored = sum(map(len, stored_events(harness.redis, harness.settings.redis_prefix).values()))
        assert stored == load.distinct  # each event once, none missing
    finally:
        harness.close()
