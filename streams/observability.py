"""Wires the metrics into a faust app: ``/metrics``, the gauge timer, the scrape-target entry.

Kept out of ``streams/app.py`` so that the app module only says *where* batches are observed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust

from schemas.enums import NoticeAction
from streams.bootstrap import Platform
from streams.gauges import GaugeRefresher, LagReader
from streams.logread import read_consumer
from streams.metrics import CONTENT_TYPE, Metrics
from streams.relay import OutboxRelay
from streams.scrape_target import deregister, register, target_address


def install_metrics(app: faust.App, platform: Platform, relay: OutboxRelay) -> Metrics:
    """The worker's metrics, served at ``/metrics`` and refreshed every ``metrics_interval``."""
    settings = platform.settings
    metrics = Metrics()
    metrics.expect(settings.topics.inputs, platform.departments.ids(), list(NoticeAction))
    refresher = GaugeRefresher(
        metrics=metrics,
        redis=platform.redis,
        keys=platform.keys,
        departments=platform.departments.ids(),
        inputs=frozenset(settings.topics.inputs),
        # Never joined: it only reads the group's committed offsets and the log ends.
        lag=LagReader(read_consumer(settings, **{"group.id": settings.app_id})),
        published=lambda: relay.published,
    )

    async def refresh_gauges() -> None:
        await refresher.refresh(app.consumer.assignment())

    async def metrics_page(web: Any, request: Any) -> Any:
        # aiohttp refuses a charset inside content_type=; the full header goes through as is.
        return web.bytes(metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    registered: list[Path] = []

    async def register_target() -> None:
        address = target_address(settings.web_bind, settings.web_port)
        path = register(settings.scrape_targets.expanduser(), settings.worker_name, address)
        if path is not None:
            registered.append(path)

    # The shape mode wants of a signal handler: positional sender, keyword signal.
    async def deregister_target(_app: Any, /, *_args: Any, signal: Any, **_kwargs: Any) -> None:
        for path in registered:
            deregister(path)

    # Plain calls rather than decorators: faust's decorators are untyped.
    app.timer(settings.metrics_interval, name="refresh_gauges")(refresh_gauges)
    app.page("/metrics")(metrics_page)
    app.task(register_target)
    app.on_before_shutdown.connect(deregister_target)
    return metrics
