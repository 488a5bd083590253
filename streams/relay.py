"""The outbox relay: publishes the notices queued in Redis, removing each only once Kafka has it.

Entries are read through a Redis consumer group, so that several workers share the outbox; an
entry taken by a worker that died is claimed by another after ``claim_idle`` seconds. A crash at
any point loses nothing: at worst a notice is produced twice with the same id.

A round costs Redis one blocking read of new entries and one acknowledgement. What this relay
read and never acknowledged (before a restart, or when Kafka did not take a notice) is read
again first, until there is none; other relays' abandoned entries are looked for every
``claim_every`` seconds, not every round.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from confluent_kafka import KafkaError, Message, Producer
from redis import Redis
from redis.exceptions import RedisError, ResponseError

from streams.store.keys import Keys

logger = logging.getLogger(__name__)

GROUP = "relay"
Entries = list[tuple[bytes, dict[bytes, bytes]]]


def _entries(raw: Any) -> Entries:
    # An entry deleted after it was read comes back without fields: nothing to publish.
    return [(entry_id, fields) for entry_id, fields in raw if fields]


class OutboxRelay:
    def __init__(
        self,
        redis: Redis,
        producer: Producer,
        keys: Keys,
        consumer: str,
        *,
        batch: int = 500,
        claim_idle: float = 30.0,
        claim_every: float = 5.0,
    ) -> None:
        self.redis = redis
        self.producer = producer
        self.keys = keys
        self.consumer = consumer
        self.batch = batch
        self.claim_idle_ms = int(claim_idle * 1000)
        self.claim_every = claim_every
        self.published = 0
        # Whether this consumer may hold entries it read and did not acknowledge: at the
        # start (a restart), and after a round that did not acknowledge all it read.
        self._own_unsettled = True
        self._next_claim = 0.0  # time.monotonic() of the next look for abandoned entries
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(self.keys.outbox, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def depth(self) -> int:
        """Entries not yet published (queued or in flight)."""
        return int(self.redis.xlen(self.keys.outbox))

    def run_once(self, block_ms: int = 1000) -> int:
        """Publish one batch; returns how many entries were published and removed."""
        entries, own = self._take(block_ms)
        if not entries:
            return 0
        self._own_unsettled = True  # until all of them are acknowledged
        delivered: list[bytes] = []

        def report(error: KafkaError | None, _message: Message, entry_id: bytes) -> None:
            if error is None:
                delivered.append(entry_id)
            else:
                logger.error("notice not delivered (kept in the outbox): %s", error.str())

        for entry_id, fields in entries:
            self._produce(entry_id, fields, report)
        self.producer.flush(30)
        if delivered:
            pipe = self.redis.pipeline(transaction=True)
            pipe.xack(self.keys.outbox, GROUP, *delivered)
            pipe.xdel(self.keys.outbox, *delivered)
            pipe.execute()
        self.published += len(delivered)
        # Entries read again are looked for again: there may be more than one batch of them.
        self._own_unsettled = own or len(delivered) < len(entries)
        return len(delivered)

    def _take(self, block_ms: int) -> tuple[Entries, bool]:
        """The entries of this round, and whether they are this consumer's own read again."""
        if self._own_unsettled:
            entries = self._own_pending()
            if entries:
                return entries, True
            self._own_unsettled = False
        if time.monotonic() >= self._next_claim:
            entries = self._claimed()
            if entries:  # there may be more: looked for again next round
                return entries, False
            self._next_claim = time.monotonic() + self.claim_every
        return self._new(block_ms), False

    def _produce(self, entry_id: bytes, fields: dict[bytes, bytes], report: Any) -> None:
        def on_delivery(error: KafkaError | None, message: Message) -> None:
            report(error, message, entry_id)

        while True:
            try:
                self.producer.produce(
                    fields[b"topic"].decode(),
                    key=fields[b"key"],
                    value=fields[b"value"],
                    on_delivery=on_delivery,
                )
                return
            except BufferError:
                self.producer.poll(0.5)

    def _own_pending(self) -> Entries:
        # Entries this consumer read before a restart and never acknowledged.
        reply: Any = self.redis.xreadgroup(
            GROUP, self.consumer, {self.keys.outbox: "0"}, count=self.batch
        )
        return _entries(reply[0][1]) if reply else []

    def _claimed(self) -> Entries:
        reply: Any = self.redis.xautoclaim(
            self.keys.outbox, GROUP, self.consumer, self.claim_idle_ms, "0-0", count=self.batch
        )
        return _entries(reply[1])

    def _new(self, block_ms: int) -> Entries:
        reply: Any = self.redis.xreadgroup(
            GROUP, self.consumer, {self.keys.outbox: ">"}, count=self.batch, block=block_ms
        )
        return _entries(reply[0][1]) if reply else []

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                self.ensure_group()
                while not self._stop.is_set():
                    self.run_once()
                backoff = 0.5
            except (RedisError, OSError) as exc:
                logger.warning("outbox relay: %s; retrying in %.1f s", exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
