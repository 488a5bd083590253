"""The operators' view against a real Prometheus: a worker's /metrics, every dashboard panel and
every alert rule evaluated on what it exported, and the worker-down alert when it dies.

The test runs its own Prometheus (Debian's package) on a free port, scraping every second the
workers that register in a target directory of the test's own, so the stack's Prometheus (if
any) is neither needed nor disturbed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from creditflow.departments import load_departments
from creditflow.devstack import stack
from creditflow.devstack.paths import StackPaths
from creditflow.devstack.prometheus import WORKER_JOB, PrometheusService, prometheus_config
from creditflow.settings import Settings
from schemas.notices import MeasureNotified
from streams.policy import load_policy
from tests import factories as f
from tests.integration.harness import Harness, free_port, random_uscc, wait_for
from tests.promql import RULES_DIR, load_dashboard, panel_queries, rule_expressions, substitute
from tests.unit.rules_helpers import at

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus is not installed"),
]

WORKER_DOWN = "CreditflowWorkerDown"
#: The test's `for:` of the worker-down alert, instead of the shipped minute.
WORKER_DOWN_FOR = 5.0
POLICY = load_policy(None, load_departments())
BLACK_DEPARTMENTS = sorted(
    {
        d
        for m in POLICY.measures
        if str(m.list) == "BLACK" and m.applies_to("LEGAL_PERSON")
        for d in m.departments
    }
)


class Prometheus:
    """A Prometheus process of the test's own and its HTTP API."""

    def __init__(self, tmp: Path, targets: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        rules = tmp / "rules"
        rules.mkdir()
        for source in sorted(RULES_DIR.glob("*.yml")):
            (rules / source.name).write_text(_short_worker_down(source.read_text()))
        # The local stack's configuration, scraping and evaluating every second.
        config = prometheus_config(self.port, targets, rules)
        config["global"] = {
            "scrape_interval": "1s",
            "scrape_timeout": "1s",
            "evaluation_interval": "1s",
        }
        config["scrape_configs"][0]["file_sd_configs"][0]["refresh_interval"] = "1s"
        (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log = tmp / "prometheus.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    str(shutil.which("prometheus")),
                    f"--config.file={tmp / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._ready, 30, "Prometheus to be ready")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"Prometheus exited:\n{self.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    def _get(self, path: str, **params: str) -> Any:
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as reply:
                body = json.load(reply)
        except urllib.error.HTTPError as exc:  # a query error comes back as 400 with a reason
            body = json.load(exc)
        if body.get("status") != "success":
            raise AssertionError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector (or scalar) of ``expr``; fails on a query error."""
        data = self._get("/api/v1/query", query=expr)
        result = data["result"]
        return result if data["resultType"] in ("vector", "matrix") else [result]

    def firing(self, alert: str) -> list[dict[str, Any]]:
        alerts = self._get("/api/v1/alerts")["alerts"]
        return [a for a in alerts if a["labels"]["alertname"] == alert and a["state"] == "firing"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _short_worker_down(text: str) -> str:
    """The rules file with the worker-down alert's hold shortened, the rest as shipped."""
    document = yaml.safe_load(text)
    for group in document["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == WORKER_DOWN:
                rule["for"] = f"{WORKER_DOWN_FOR:g}s"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(tmp_path)
    # Created, so the workers register themselves for scraping there.
    harness.settings.scrape_targets.mkdir()
    harness.env["CREDITFLOW_METRICS_INTERVAL"] = "1"
    harness.set_clock(at(2024, 3, 5))
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
def prometheus(tmp_path: Path, platform: Harness) -> Iterator[Prometheus]:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    server = Prometheus(directory, platform.settings.scrape_targets)
    try:
        yield server
    finally:
        server.stop()


def drive(platform: Harness) -> None:
    """A serious penalty (notices), feedback from one department, a bad event (dead letter),
    then time past the feedback deadline (overdue notices for the silent departments)."""
    subject = random_uscc()
    platform.publish(f.penalty(subject_id=subject, serious=True))

    def notices() -> list[MeasureNotified]:
        return [
            n
            for d in BLACK_DEPARTMENTS
            for n in platform.notices(d, subject, 0.1)
            if isinstance(n, MeasureNotified)
        ]

    answered = wait_for(notices, 60, "the serious penalty's notices")[0]
    platform.set_clock(at(2024, 3, 6))  # feedback cannot come from the future
    platform.publish(
        f.feedback(
            subject_id=subject,
            department_id=answered.department_id,
            notice_id=answered.notice_id,
            occurred_at=at(2024, 3, 5, 15),
        )
    )
    platform.publish(f.feedback(subject_id=subject, notice_id="n-doesnotexist"))
    platform.set_clock(at(2024, 3, 20))


def test_panels_and_rules_evaluate_and_a_dead_worker_fires_the_alert(
    platform: Harness, prometheus: Prometheus
) -> None:
    worker = platform.start_worker()
    drive(platform)
    for condition in (
        f'up{{job="{WORKER_JOB}"}} == 1',
        "sum(creditflow_notices_total) > 0",
        "sum(creditflow_feedback_seconds_count) > 0",
        "sum(creditflow_deadletter_total) > 0",
        "max(creditflow_notices_overdue) > 0",
    ):
        wait_for(lambda c=condition: prometheus.query(c), 60, f"Prometheus to see {condition}")

    # Rates need two samples in their window: give each panel a little time, but a query
    # error fails at once.
    for panel, expr in panel_queries(load_dashboard()):
        query = substitute(expr)
        wait_for(lambda q=query: prometheus.query(q), 15, f"panel {panel!r} to show {query!r}")
    errors = []
    for rule, expr in rule_expressions():
        try:
            prometheus.query(expr)  # an empty result is fine: the alert is not firing
        except AssertionError as exc:
            errors.append(f"rule {rule}: {exc}")
    assert not errors, "\n".join(errors)

    target = platform.settings.scrape_targets / f"{worker.name}.json"
    assert target.exists()
    worker.kill()
    killed = time.monotonic()
    # A killed worker cannot deregister: Prometheus goes on scraping it, which is the point.
    assert target.exists()
    (alert,) = wait_for(
        lambda: prometheus.firing(WORKER_DOWN), WORKER_DOWN_FOR + 30, f"{WORKER_DOWN} to fire"
    )
    assert alert["labels"]["instance"] == f"127.0.0.1:{worker.port}"
    # `up` turns 0 at the next scrape (1 s), then the alert holds for its `for:`.
    assert time.monotonic() - killed < WORKER_DOWN_FOR + 15


def test_a_cleanly_stopped_worker_deregisters(platform: Harness) -> None:
    worker = platform.start_worker()
    target = platform.settings.scrape_targets / f"{worker.name}.json"
    # The worker registers once it has started, which may come just after its first assignment.
    wait_for(target.exists, 30, f"{target.name} to be written")
    document = json.loads(target.read_text())
    assert document == [
        {"targets": [f"127.0.0.1:{worker.port}"], "labels": {"worker": worker.name}}
    ]

    worker.stop()

    assert not target.exists()


def test_stack_up_runs_prometheus_with_the_shipped_rules(tmp_path: Path) -> None:
    main = Settings()
    # Kafka and Redis of the running stack count as external: this stack starts only
    # Prometheus, in a directory and on a port of its own, and never stops anything shared.
    local = Settings(
        devstack_dir=tmp_path / "stack",
        prometheus_port=free_port(),
        kafka_bootstrap=main.bootstrap_servers,
        redis_url=main.redis_dsn,
    )
    service = PrometheusService(local, StackPaths.from_settings(local))
    try:
        started = {status.name: status for status in stack.up(local)}
        assert (started["kafka"].state, started["redis"].state) == ("external", "external")
        assert (started["prometheus"].state, started["prometheus"].answers) == ("running", True)
        assert local.scrape_targets.is_dir()
        with urllib.request.urlopen(f"{service.url}/api/v1/rules", timeout=10) as reply:
            groups = json.load(reply)["data"]["groups"]
        assert WORKER_DOWN in {rule["name"] for group in groups for rule in group["rules"]}
        assert {s.name: s.state for s in stack.status(local)}["prometheus"] == "running"
    finally:
        pid = service.pid()
        if pid is not None:
            service.stop(pid)
    assert service.status().state == "stopped"
