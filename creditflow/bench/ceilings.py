"""What the platform's two services allow at most on this machine, measured in the same run.

- Kafka: a bare confluent-kafka consumer reading the input topics end to end (no decoding).
- Redis: the writes of one subject update (its events hash, its state hash, the due index) for
  as many updates as there are events, pipelined 500 at a time from one Python client, as the
  workers pipeline theirs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from creditflow.bench.errors import BenchError
from creditflow.settings import Settings
from streams.keyspace import delete_keys
from streams.logread import log_range, read_consumer, read_log
from streams.store.keys import Keys

PIPELINE = 500
#: A derived state of the size the workers write (a snapshot is about this long in JSON).
SNAPSHOT = b"{" + b'"x":0,' * 200 + b'"derived_at":null}'


@dataclass(frozen=True, slots=True)
class Ceiling:
    count: int  # messages read, or subject updates written
    seconds: float
    commands: int = 0  # Redis commands sent

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0


def kafka_ceiling(settings: Settings) -> Ceiling:
    """Messages per second a bare consumer reads from the input topics, start to end."""
    topics = list(settings.topics.inputs)
    consumer = read_consumer(settings)
    try:
        log = log_range(consumer, topics)
    finally:
        consumer.close()
    began = time.perf_counter()
    read = sum(len(batch) for batch in read_log(settings, topics, log))
    seconds = time.perf_counter() - began
    if read != log.total:
        raise BenchError(f"the bare consumer read {read} of {log.total} messages")
    return Ceiling(read, seconds)


def redis_ceiling(settings: Settings, messages: list[tuple[str, bytes, bytes]]) -> Ceiling:
    """Subject updates per second as pipelined writes, one update per message."""
    keys = Keys(f"{settings.redis_prefix}ceiling:")
    client = redis.Redis.from_url(settings.redis_dsn)
    try:
        began = time.perf_counter()
        pipe = client.pipeline(transaction=False)
        for index, (_, key, value) in enumerate(messages, start=1):
            sid = key.decode()
            pipe.hset(keys.events(sid), str(index), value)
            pipe.hset(keys.state(sid), mapping={"version": index, "snapshot": SNAPSHOT})
            pipe.zadd(keys.due, {sid: index})
            if index % PIPELINE == 0:
                pipe.execute()
        pipe.execute()
        seconds = time.perf_counter() - began
        delete_keys(client, keys.prefix)
    finally:
        client.close()
    return Ceiling(len(messages), seconds, 3 * len(messages))
