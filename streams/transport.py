"""The workers' Kafka transport: faust's aiokafka transport, with a short fetch wait.

faust builds its worker consumer with ``fetch_max_wait_ms=1500``, which it does not let an
application set. With the way aiokafka fetches, that wait delayed a worker's input by up to
1.5 s under a steady load:

* aiokafka sends a node at most one fetch request at a time, and leaves out of it every
  partition whose fetched records have not all been handed over yet;
* a worker hands nothing over while it processes a batch (faust's ``take`` holds the stream), so
  after aiokafka's prefetch backoff (0.1 s) the next request asks only for the partitions that
  had nothing: most of a worker's input partitions are quiet topics (repairs, objections,
  feedback), and a request for quiet partitions only is held by the broker for the whole wait;
* meanwhile the busy partitions' new records wait on the broker, the next batch is larger and
  takes longer, and the cycle repeats.

With two workers offered 1,000 events/s, a worker in that cycle received its records 0.9 s after
they were published (median, 1.8 s at most) and its fetch requests took 0.17 s on average and up
to 1.5 s; a worker out of it, 30 ms (its requests: 5 ms). A short wait ends a request for quiet
partitions soon, so the busy ones are asked for again; an idle worker then asks the broker every
``FETCH_MAX_WAIT`` seconds, which costs both next to nothing.
"""

from __future__ import annotations

from typing import Any

import aiokafka
import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

#: How long the broker may hold a worker's fetch request for input that has not arrived (s).
FETCH_MAX_WAIT = 0.05


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # Read by the consumer when it starts and builds its fetcher (not started yet here).
        consumer._fetch_max_wait_ms = int(FETCH_MAX_WAIT * 1000)
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class WorkerTransport(faust_aiokafka.Transport):
    Consumer = _Consumer


def use_worker_transport(app: faust.App) -> None:
    """Have ``app`` consume through ``WorkerTransport``; before its consumer is made."""
    app.transport = WorkerTransport(app.conf.broker_consumer, app)
