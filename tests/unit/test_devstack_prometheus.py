"""The local stack's Prometheus: its rendered configuration, command line and absence."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from creditflow.devstack import prometheus, stack
from creditflow.devstack.paths import StackPaths
from creditflow.devstack.prometheus import (
    RULES_DIR,
    WORKER_JOB,
    PrometheusService,
    prometheus_command,
    prometheus_config,
    render_prometheus_yml,
)
from creditflow.settings import Settings

PROMTOOL = Path("/usr/bin/promtool")


@pytest.fixture
def local(tmp_path: Path) -> Settings:
    return Settings(devstack_dir=tmp_path / "stack", prometheus_port=19090)


@pytest.fixture
def paths(local: Settings) -> StackPaths:
    return StackPaths.from_settings(local)


def test_workers_are_found_through_their_target_files(tmp_path: Path) -> None:
    config = prometheus_config(19090, tmp_path / "targets", RULES_DIR)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}

    worker = jobs[WORKER_JOB]
    assert worker["metrics_path"] == "/metrics"
    assert worker["file_sd_configs"][0]["files"] == [f"{tmp_path}/targets/*.json"]
    assert jobs["prometheus"]["static_configs"][0]["targets"] == ["127.0.0.1:19090"]
    assert config["rule_files"] == [f"{RULES_DIR}/*.yml"]


def test_without_rules_there_are_no_rule_files(tmp_path: Path) -> None:
    assert prometheus_config(19090, tmp_path, None)["rule_files"] == []


def test_workers_register_where_the_stack_looks(local: Settings, paths: StackPaths) -> None:
    assert local.scrape_targets == local.devstack_dir / "prometheus" / "targets"
    assert local.scrape_targets.resolve().parent == paths.prometheus_dir


def test_command_listens_on_loopback_with_state_under_the_stack(
    local: Settings, paths: StackPaths
) -> None:
    command = prometheus_command("/usr/bin/prometheus", local, paths)

    assert "--web.listen-address=127.0.0.1:19090" in command
    assert f"--config.file={paths.root}/prometheus/prometheus.yml" in command
    assert f"--storage.tsdb.path={paths.root}/prometheus/data" in command
    assert paths.prometheus_log == paths.root / "logs" / "prometheus.log"


def test_a_missing_program_is_an_absence_not_an_error(
    local: Settings, paths: StackPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prometheus.shutil, "which", lambda _name: None)
    service = PrometheusService(local, paths)

    why = service.absence()
    assert why is not None
    assert "apt-get install prometheus" in why
    assert service.status().state == "absent"


@pytest.mark.skipif(not PROMTOOL.exists(), reason="promtool is not installed at /usr/bin/promtool")
def test_promtool_accepts_the_rendered_config(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text(render_prometheus_yml(19090, tmp_path / "targets", RULES_DIR))
    assert yaml.safe_load(config.read_text())["global"]["scrape_interval"] == "5s"

    result = subprocess.run(
        [str(PROMTOOL), "check", "config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_up_down_and_status_cover_prometheus_after_kafka_and_redis(local: Settings) -> None:
    assert [service.name for service in stack.services(local)] == ["kafka", "redis", "prometheus"]
