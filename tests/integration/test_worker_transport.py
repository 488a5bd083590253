"""A worker's consumer asks the broker to hold a fetch for ``fetch_max_wait`` only
(``streams.transport``): faust's own 1.5 s held a worker's busy partitions back behind requests
for its quiet ones."""

from __future__ import annotations

import asyncio

import pytest

from creditflow.settings import Settings
from streams.app import create_app
from streams.bootstrap import build_platform

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("wait", [0.2, 0.05])
def test_a_workers_fetcher_waits_as_set(wait: float) -> None:
    app = create_app(build_platform(Settings(fetch_max_wait=wait)))

    async def fetch_wait() -> int:
        consumer = app.consumer._thread._create_worker_consumer(app.transport)
        await consumer.start()  # the fetcher is made as the consumer starts
        try:
            return int(consumer._fetcher._fetch_max_wait_ms)
        finally:
            await consumer.stop()

    assert asyncio.run(fetch_wait()) == round(wait * 1000)
