"""A shortened ``creditflow chaos``: 20,000 events while three workers are SIGKILLed, the broker
is SIGKILLed and restarted once and Redis once, and the group goes 1 → 3 → 2 workers; the end
state and the notices departments received must equal those of a clean run.

It restarts the local stack's broker and Redis (every other test shares them), so it leaves them
answering whatever happens.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

import pytest

from creditflow.chaos.report import report
from creditflow.chaos.run import Chaos, ChaosOptions
from creditflow.chaos.schedule import Plan
from creditflow.demo.errors import DemoError
from creditflow.demo.space import Space
from creditflow.devstack import stack
from creditflow.settings import Settings
from tests.integration.harness import wait_for

pytestmark = pytest.mark.integration

OPTIONS = ChaosOptions(
    events=20_000,
    seed=11,
    plan=Plan(kills=3, broker_restarts=1, redis_kills=1),
    # Publishing takes about as long as processing, so that the faults meet both.
    rate=1000.0,
    timeout=420.0,
    stall=180.0,
)


@pytest.fixture
def chaos() -> Iterator[Chaos]:
    settings = Settings()
    namespace = f"tchaos{uuid.uuid4().hex[:6]}"
    harness = Chaos(replace(OPTIONS, namespace=namespace), settings, print)
    try:
        yield harness
    finally:
        # Whatever happened, the shared stack answers again for the tests after this one.
        statuses = stack.up(settings)
        for space in (harness.clean, harness.chaos):
            # A worker SIGKILLed last stays in the group until its session times out.
            wait_for(lambda s=space: _dropped(s), 60, f"the namespace {space.group} to be dropped")
        assert all(s.answers for s in statuses if s.name in ("kafka", "redis")), statuses


def _dropped(space: Space) -> bool:
    try:
        space.drop()
    except DemoError:
        return False
    return True


@pytest.mark.timeout(900)
def test_the_platform_under_faults_ends_as_a_clean_run(chaos: Chaos) -> None:
    outcome = chaos.run()
    document = report(outcome)
    kinds = Counter(f.kind for f in outcome.faults)
    assert kinds == {"kill-worker": 3, "restart-broker": 1, "kill-redis": 1, "grow": 1, "shrink": 1}
    assert document["faults"]["injected"] == 5
    assert outcome.publish.acknowledged == outcome.publish.events == 20_000
    assert len(document["workers"]["at_end"]) == 2
    summary = json.dumps(
        {k: document[k] for k in ("problems", "faults", "state", "notices")},
        ensure_ascii=False,
        indent=1,
    )[:6000]
    assert outcome.digests.match, summary
    assert outcome.notices.lost == [], summary
    assert outcome.notices.unexpected == [], summary
