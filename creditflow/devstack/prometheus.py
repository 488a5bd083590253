"""Prometheus of the local stack: the OS package's ``prometheus``, on loopback, scraping the
workers that register in its file-based service discovery, with the shipped alert rules.

Optional: without the program the stack runs without it and says so. It is not installed
automatically (unlike Redis): Debian's package starts and enables its own system service on
port 9090 where systemd runs, which would then hold the port this one wants.
"""

from __future__ import annotations

import logging
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from creditflow.errors import StackError
from creditflow.settings import Settings

from .config import LOOPBACK
from .paths import StackPaths
from .service import Port, Service

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = 1.0
#: The job name the shipped rules (docker/prometheus/rules) refer to.
WORKER_JOB = "creditflow-worker"
#: The rules of the Docker deployment, loaded as they are; found in a source checkout only.
RULES_DIR = Path(__file__).resolve().parents[2] / "docker" / "prometheus" / "rules"


def prometheus_config(port: int, targets: Path, rules: Path | None) -> dict[str, Any]:
    """The local Prometheus' configuration: every worker that registered, and itself."""
    return {
        # Shorter than the Docker stack's 15 s: a local run (the demo) lasts minutes.
        "global": {"scrape_interval": "5s", "evaluation_interval": "5s"},
        "rule_files": [str(rules / "*.yml")] if rules is not None else [],
        "scrape_configs": [
            {
                "job_name": WORKER_JOB,
                "metrics_path": "/metrics",
                # Files appear and go as workers start and stop; the interval is only the
                # fallback of Prometheus' file watch.
                "file_sd_configs": [
                    {"files": [str(targets / "*.json")], "refresh_interval": "30s"}
                ],
            },
            {"job_name": "prometheus", "static_configs": [{"targets": [f"{LOOPBACK}:{port}"]}]},
        ],
    }


def render_prometheus_yml(port: int, targets: Path, rules: Path | None) -> str:
    header = "# Written by `creditflow stack up`; rewritten on every start.\n"
    return header + yaml.safe_dump(prometheus_config(port, targets, rules), sort_keys=False)


def prometheus_command(program: str, settings: Settings, paths: StackPaths) -> list[str]:
    return [
        program,
        f"--config.file={paths.prometheus_config}",
        f"--storage.tsdb.path={paths.prometheus_data}",
        f"--web.listen-address={LOOPBACK}:{settings.prometheus_port}",
        # A developer's machine: a week of history is plenty and bounds the disk used.
        "--storage.tsdb.retention.time=7d",
    ]


class PrometheusService(Service):
    name = "prometheus"
    title = "Prometheus"
    # Prometheus writes its in-memory head to disk on SIGTERM; a few seconds locally.
    stop_timeout = 30.0
    # Never external: workers only need to be scraped, nothing connects to Prometheus.
    external_setting = ""

    @property
    def external(self) -> bool:
        return False

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.settings.prometheus_port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def pid_file(self) -> Path:
        return self.paths.prometheus_pid

    @property
    def log_file(self) -> Path:
        return self.paths.prometheus_log

    @property
    def out_file(self) -> Path:
        return self.paths.prometheus_log

    def ports(self) -> list[Port]:
        return [Port(self.settings.prometheus_port, "CREDITFLOW_PROMETHEUS_PORT")]

    def absence(self) -> str | None:
        if shutil.which("prometheus") is not None:
            return None
        return "not installed, skipped (apt-get install prometheus for the operators' view)"

    def is_ours(self, cmdline: str) -> bool:
        return "prometheus" in cmdline and str(self.paths.prometheus_config) in cmdline

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=PROBE_TIMEOUT) as reply:
                return bool(reply.status == 200)
        except (urllib.error.URLError, OSError) as exc:
            logger.debug("prometheus not answering yet: %s", exc)
            return False

    def prepare(self) -> list[str]:
        program = shutil.which("prometheus")
        if program is None:
            raise StackError("prometheus not found on PATH: apt-get install prometheus")
        targets = self.settings.scrape_targets.expanduser().resolve()
        for directory in (self.paths.prometheus_data, targets):
            directory.mkdir(parents=True, exist_ok=True)
        rules = RULES_DIR if RULES_DIR.is_dir() else None
        if rules is None:
            logger.warning("no alert rules at %s; Prometheus runs without them", RULES_DIR)
        self.paths.prometheus_config.write_text(
            render_prometheus_yml(self.settings.prometheus_port, targets, rules), encoding="utf-8"
        )
        return prometheus_command(program, self.settings, self.paths)
