"""The chaos run's publisher: the workload produced from a background thread, at a steady rate,
while the broker may be down. Every message must be acknowledged; one that fails is produced
again, on a new producer if the old one failed fatally (its event id is the same, so the platform
stores it once)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import KafkaError, Message, Producer

from creditflow.bench.workload import bulk_producer
from creditflow.settings import Settings

logger = logging.getLogger(__name__)

#: Messages are produced in slices of this many, then the rate is kept by sleeping.
SLICE = 200
#: librdkafka gives up on a message after this long (the default is 5 min): a broker outage
#: longer than this shows as failures that are produced again.
MESSAGE_TIMEOUT_MS = 60_000
MAX_ROUNDS = 50


@dataclass
class PublishStats:
    events: int = 0  # messages of the workload
    acknowledged: int = 0  # distinct messages Kafka acknowledged
    failed: int = 0  # delivery failures (each produced again)
    resent: int = 0
    producers: int = 0  # producers used (a new one after a fatal producer error)
    seconds: float = 0.0
    error: str = ""  # why publishing gave up, if it did


class BackgroundPublisher(threading.Thread):
    def __init__(
        self,
        settings: Settings,
        messages: list[tuple[str, bytes, bytes]],
        rate: float = 0.0,  # events/s; 0: as fast as the producer goes
    ) -> None:
        super().__init__(name="chaos-publisher", daemon=True)
        self.settings = settings
        self.messages = messages
        self.rate = rate
        self.stats = PublishStats(events=len(messages))
        self._topics = {k: settings.topics.event(k) for k in {m[0] for m in messages}}
        self._confirmed = bytearray(len(messages))
        self._in_flight = 0
        self._fatal = threading.Event()
        self._stop_requested = threading.Event()

    @property
    def done(self) -> bool:
        return not self.is_alive()

    @property
    def ok(self) -> bool:
        return self.stats.acknowledged == self.stats.events and not self.stats.error

    def stop(self) -> None:
        self._stop_requested.set()
        self.join(30)

    def run(self) -> None:
        began = time.monotonic()
        try:
            self._publish_all()
        except Exception as exc:  # the main thread reports it; a thread cannot raise to it
            logger.exception("the chaos publisher failed")
            self.stats.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.stats.seconds = time.monotonic() - began

    def _publish_all(self) -> None:
        pending = list(range(len(self.messages)))
        for _ in range(MAX_ROUNDS):
            producer = self._producer()
            self._produce(producer, pending, paced=self.stats.resent == 0)
            while self._in_flight and not self._fatal.is_set():
                producer.poll(0.2)
                if self._stop_requested.is_set():
                    return
            if self._fatal.is_set():
                # The producer is unusable; what it did not confirm goes out again on a new one.
                producer.purge()
                producer.poll(1.0)
                self._in_flight = 0
            pending = [i for i, confirmed in enumerate(self._confirmed) if not confirmed]
            if not pending or self._stop_requested.is_set():
                return
            self.stats.resent += len(pending)
            logger.warning("producing %d events again after delivery failures", len(pending))
        self.stats.error = f"events still unacknowledged after {MAX_ROUNDS} rounds"

    def _producer(self) -> Producer:
        self._fatal.clear()
        self.stats.producers += 1

        def on_error(error: KafkaError) -> None:
            if error.fatal():
                logger.error("fatal producer error: %s", error.str())
                self._fatal.set()

        return bulk_producer(
            self.settings,
            "creditflow-chaos",
            error_cb=on_error,
            **{"message.timeout.ms": MESSAGE_TIMEOUT_MS},
        )

    def _callback(self, index: int) -> Callable[[KafkaError | None, Message], None]:
        def delivered(error: KafkaError | None, _message: Message) -> None:
            self._in_flight -= 1
            if error is None:
                if not self._confirmed[index]:
                    self._confirmed[index] = 1
                    self.stats.acknowledged += 1
            else:
                self.stats.failed += 1

        return delivered

    def _produce(self, producer: Producer, indexes: list[int], *, paced: bool) -> None:
        began = time.monotonic()
        for done, index in enumerate(indexes):
            if self._stop_requested.is_set() or self._fatal.is_set():
                return
            kind, key, value = self.messages[index]
            while True:
                try:
                    producer.produce(
                        self._topics[kind], value=value, key=key, on_delivery=self._callback(index)
                    )
                    self._in_flight += 1
                    break
                except BufferError:
                    producer.poll(0.1)
            if done % SLICE == SLICE - 1:
                producer.poll(0)
                if paced and self.rate > 0:
                    ahead = began + (done + 1) / self.rate - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
