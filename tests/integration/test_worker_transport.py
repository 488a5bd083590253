"""A worker's consumer asks the broker to hold a fetch for a short time only
(``streams.transport``): faust's own 1.5 s held a worker's busy partitions back behind requests
for its quiet ones."""

from __future__ import annotations

import asyncio

import pytest

from creditflow.settings import Settings
from streams.app import create_app
from streams.bootstrap import build_platform
from streams.transport import FETCH_MAX_WAIT

pytestmark = pytest.mark.integration


def test_a_workers_fetcher_waits_briefly() -> None:
    app = create_app(build_platform(Settings()))

    async def fetch_wait() -> int:
        consumer = app.consumer._thread._create_worker_consumer(app.transport)
        await consumer.start()  # the fetcher is made as the consumer starts
        try:
            return int(consumer._fetcher._fetch_max_wait_ms)
        finally:
            await consumer.stop()

    assert asyncio.run(fetch_wait()) == round(FETCH_MAX_WAIT * 1000) < 1500
