"""``creditflow demo`` end to end: a small city through real workers, Kafka and Redis, twice.

The second run with the same seed must print the same numbers (its fingerprint): it also proves
that a run starts from a clean namespace whatever the previous one left.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from creditflow.demo.space import Space
from creditflow.departments import load_departments
from creditflow.settings import Settings
from tests.conftest import PROJECT_ROOT, RunCli

pytestmark = pytest.mark.integration

EVENTS = 3000


@pytest.fixture
def namespace() -> Iterator[str]:
    name = f"demotest-{uuid.uuid4().hex[:8]}"
    yield name
    settings = Settings()
    Space.named(name, settings, load_departments()).drop()
    # The workers' logs and faust data directories are named after the namespace.
    for leftover in (PROJECT_ROOT / settings.devstack_dir).glob(f"*/{name}-w*"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()


def run_demo(cli: RunCli, namespace: str, report: Path) -> dict[str, Any]:
    result = cli(
        "demo",
        "--events", str(EVENTS),
        "--seed", "11",
        "--namespace", namespace,
        # A little slower than the default for this size, for slack on a loaded CI machine.
        "--seconds-per-day", "0.025",
        "--json", str(report),
        timeout=200,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "checks ok" in result.stdout
    assert "fingerprint: " in result.stdout
    data: dict[str, Any] = json.loads(report.read_text())
    return data


def test_demo_runs_a_city_end_to_end_and_repeats_itself(
    cli: RunCli, namespace: str, tmp_path: Path
) -> None:
    first = run_demo(cli, namespace, tmp_path / "first.json")
    assert first["problems"] == []
    assert first["lists"]["BLACK"] > 0
    assert first["lists"]["RED"] > 0
    assert first["lifted"]["EXPIRED"] > 0
    assert first["lifted"]["REPAIRED"] > 0
    assert first["feedback"]["civilisation"]["overdue"] > 0  # the silent department
    assert first["feedback"]["civilisation"]["answered"] == 0
    assert first["feedback"]["banking"]["late"] > 0  # a slow one
    assert sum(first["rejected"].values()) == first["sent"]["bad"]
    assert first["stored"] == first["sent"]["good"]
    assert all(first["examples"].values())

    second = run_demo(cli, namespace, tmp_path / "second.json")
    assert second["fingerprint"] == first["fingerprint"], (first, second)
