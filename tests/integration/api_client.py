"""A platform with the credit-check API for integration tests: a Harness whose worker has its
own tokens file and dead-letter key, an HTTP client that counts the subject queries it made, and
readers of the audit and dead-letter topics."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from stdnum.cn import ric

from creditflow.departments import load_departments
from creditflow.tokens import issue_token
from schemas.catalog import decode_event
from schemas.sealing import new_private_key, public_key_of
from tests.integration.harness import Harness, WorkerProcess

#: Departments that get a token: with and without personal information.
DEPARTMENTS = ("finance", "court", "market-regulation", "tax")


def random_resident_id(rng: random.Random | None = None) -> str:
    """A valid 18-digit 居民身份证号码 (area 321283, 泰兴市)."""
    rng = rng or random.Random()
    born = date(1997, 1, 1) + timedelta(days=rng.randrange(365 * 8))
    body = f"321283{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + str(ric.calc_check_digit(body + "0"))


class Response:
    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.status = status
        self.text = body.decode("utf-8")
        self.headers = headers
        self.json: Any = json.loads(self.text) if self.text else None

    def __repr__(self) -> str:
        return f"<{self.status} {self.text[:300]}>"


class ApiPlatform:
    """The harness, a worker serving the API, and a token per department in ``DEPARTMENTS``."""

    def __init__(self, tmp: Path) -> None:
        self.harness = Harness(tmp)
        self.tokens_file = tmp / "api-tokens.yaml"
        registry = load_departments()
        self.tokens = {d: issue_token(self.tokens_file, d, registry) for d in DEPARTMENTS}
        self.private_key = new_private_key()
        self.harness.env["CREDITFLOW_API_TOKENS_FILE"] = str(self.tokens_file)
        self.harness.env["CREDITFLOW_DEADLETTER_PUBLIC_KEY"] = public_key_of(self.private_key)
        #: (department, subject id, endpoint) of every subject query that reached the store.
        self.queries: Counter[tuple[str, str, str]] = Counter()
        #: Every natural person's ID number the tests used: none may leak.
        self.persons: set[str] = set()
        self.worker: WorkerProcess | None = None

    def start(self) -> None:
        self.worker = self.harness.start_worker()

    @property
    def base(self) -> str:
        assert self.worker is not None
        return f"http://127.0.0.1:{self.worker.port}"

    def get(
        self,
        path: str,
        as_department: str | None = "finance",
        token: str | None = None,
        base: str | None = None,
        **query: str | int,
    ) -> Response:
        headers = {}
        token = token or (self.tokens[as_department] if as_department else None)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = (base or self.base) + path + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return Response(answer.status, answer.read(), dict(answer.headers))
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read(), dict(error.headers))

    def check(
        self, subject_id: str, department: str = "finance", explain: bool = False, **query: str
    ) -> Response:
        """A subject query as a department makes it; counted when it should be audited."""
        endpoint = "explain" if explain else "subject"
        path = f"/v1/subjects/{subject_id}" + ("/explain" if explain else "")
        response = self.get(path, department, purpose=query.pop("purpose", "行政审批"), **query)
        if response.status in (200, 404):
            self.queries[(department, subject_id, endpoint)] += 1
        return response

    def close(self) -> None:
        self.harness.close()


def read_topic(harness: Harness, topic: str, seconds: float = 3.0) -> list[Any]:
    """Every message of ``topic`` so far, as (key, raw value, decoded value)."""
    consumer = Consumer(
        {
            **harness.settings.kafka_client_config(),
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in partitions
        }
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        messages: list[Any] = []
        deadline = time.monotonic() + seconds + 10
        done = {p for p, end in ends.items() if end == 0}
        while len(done) < len(partitions) and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is None or message.error():
                continue
            messages.append((message.key(), message.value(), decode_event(message.value())))
            if message.offset() + 1 >= ends[message.partition()]:
                done.add(message.partition())
        return messages
    finally:
        consumer.close()
