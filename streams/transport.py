"""The workers' Kafka transport: faust's aiokafka transport, with the fetch wait a setting.

faust builds its worker consumer with ``fetch_max_wait_ms=1500``, which it does not let an
application set. With the way aiokafka fetches, that wait delayed a worker's input by up to
1.5 s under a steady load:

* aiokafka sends a node at most one fetch request at a time, and leaves out of it every
  partition whose fetched records have not all been handed over yet;
* a worker hands nothing over while it processes a batch (faust's ``take`` holds the stream), so
  after aiokafka's prefetch backoff (0.1 s) the next request asks only for the partitions that
  had nothing: under a load of permits and penalties, most of a worker's input partitions are
  quiet (repairs, objections, feedback), and a request for quiet partitions only is held by the
  broker for the whole wait;
* meanwhile the busy partitions' new records wait on the broker, the next batch is larger and
  takes longer, and the cycle repeats.

With two workers offered 1,000 events/s after a 50,000-event backlog, a worker in that cycle
received its records 0.9 s after they were published (median, 1.8 s at most), its fetch requests
taking 0.17 s on average and up to 1.5 s; out of it, 30 ms (its requests: 5 ms). A shorter wait
ends a request for quiet partitions sooner, so the busy ones are asked for again. Too short
costs throughput while a backlog is read: with 50 ms one worker sent some 18 requests a second,
most held the full 50 ms, against some 1.4 with 1.5 s. Measured on that machine (publish →
notice as above; one worker reading a 100,000-event backlog):

======  ====================================  ==================================
wait    publish → notice p50 / p99            backlog, one worker (events/s)
======  ====================================  ==================================
1.5 s   0.91–1.50 / 2.21–2.37 s (4 runs)      1,689–2,105, mean 1,910 (5 runs)
0.5 s   0.34 / 1.10 s                         1,869
0.2 s   0.27–0.30 / 0.73–0.87 s (2 runs)      1,870 and 1,876
50 ms   0.36–0.41 / 0.84–1.07 s (2 runs)      1,475–1,858, mean 1,679 (5 runs)
======  ====================================  ==================================

The default, ``fetch_max_wait`` (``CREDITFLOW_FETCH_MAX_WAIT``), is 0.2 s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

if TYPE_CHECKING:
    import aiokafka


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # Read by the consumer when it starts and makes its fetcher (not started yet here).
        consumer._fetch_max_wait_ms = transport.fetch_max_wait_ms
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class WorkerTransport(faust_aiokafka.Transport):
    Consumer = _Consumer

    def __init__(self, url: Any, app: faust.App, fetch_max_wait: float) -> None:
        super().__init__(url, app)
        self.fetch_max_wait_ms = max(1, round(fetch_max_wait * 1000))


def use_worker_transport(app: faust.App, fetch_max_wait: float) -> None:
    """Have ``app`` consume through ``WorkerTransport``; before its consumer is made."""
    app.transport = WorkerTransport(app.conf.broker_consumer, app, fetch_max_wait)
