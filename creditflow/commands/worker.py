"""``creditflow worker``: run a stream-processing worker."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import typer

from creditflow.errors import CreditflowError
from creditflow.settings import Settings

if TYPE_CHECKING:
    import faust
    from faust.worker import Worker

app = typer.Typer()
logger = logging.getLogger(__name__)

#: How long a starting worker waits for Kafka (a broker restarting recovers its logs first).
KAFKA_PATIENCE = 300.0


def await_kafka(settings: Settings, patience: float = KAFKA_PATIENCE) -> None:
    """Wait until Kafka answers: a worker started while the broker restarts waits for it
    instead of exiting (faust gives up on a broker it cannot reach at start)."""
    from confluent_kafka import KafkaException

    from streams.logread import read_consumer

    consumer = read_consumer(settings)
    deadline = time.monotonic() + patience
    try:
        while True:
            try:
                consumer.list_topics(timeout=5.0)
                return
            except KafkaException as exc:
                if time.monotonic() > deadline:
                    raise CreditflowError(
                        f"Kafka at {settings.bootstrap_servers} did not answer for "
                        f"{patience:g} s: {exc.args[0].str()}"
                    ) from exc
                logger.warning("Kafka at %s not answering; waiting", settings.bootstrap_servers)
                time.sleep(1.0)
    finally:
        consumer.close()


def quiet_worker(faust_app: faust.App, loglevel: str) -> Worker:
    """faust's worker, without its terminal spinner.

    To turn the spinner on every log record, faust sets the root logger to DEBUG and leaves it
    there once the worker has started: every debug call of aiokafka and faust then built a
    record that no handler wrote (2.6% of a worker's samples under a steady load), and the
    spinner's terminal escapes went into the worker's log."""
    from faust.worker import Worker

    faust_worker = Worker(faust_app, loglevel=loglevel)
    faust_worker.spinner = None
    return faust_worker


@app.command()
def worker(
    web_port: int | None = typer.Option(None, help="HTTP port (default CREDITFLOW_WEB_PORT)."),
    worker_id: str | None = typer.Option(None, help="Worker name (default host:port)."),
    loglevel: str = typer.Option("warning", help="faust's log level."),
) -> None:
    """Consume the input topics, keep subjects' state in Redis, send notices (Ctrl-C stops)."""
    from streams.app import create_app
    from streams.bootstrap import build_platform
    from streams.collector import tune_for_throughput

    overrides = {k: v for k, v in {"web_port": web_port, "worker_id": worker_id}.items() if v}
    settings = Settings().model_copy(update=overrides)
    await_kafka(settings)
    platform = build_platform(settings)
    faust_app = create_app(platform)
    relay = faust_app.conf.creditflow_relay
    tune_for_throughput()
    faust_worker = quiet_worker(faust_app, loglevel)
    # Watchdogs that do not wait for faust to start the worker (streams.app.WorkerWatches).
    faust_app.conf.creditflow_watches.start(faust_worker.loop)
    try:
        faust_worker.execute_from_commandline()
    finally:
        relay.stop()
