"""docker/: the compose file, Dockerfile, Prometheus and Grafana config agree with each other.

No Docker engine is needed: the files are parsed and cross-checked. promtool, when installed, is
run offline on the Prometheus config and rules.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
COMPOSE_FILE = DOCKER / "compose.yaml"
PROMETHEUS_CONFIG = DOCKER / "prometheus" / "prometheus.yml"
GRAFANA_PROVISIONING = DOCKER / "grafana" / "provisioning"
DASHBOARD = DOCKER / "grafana" / "dashboards" / "creditflow.json"
PROMTOOL = Path("/usr/bin/promtool")

ONE_SHOT_SERVICES = {"topics"}
WORKER_JOB = "creditflow-worker"
# "Exact" means a full x.y.z release in the tag, so that a floating tag like 7-alpine fails too.
EXACT_VERSION = re.compile(r"\d+\.\d+\.\d+")
REQUIRED_VARIABLE = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*:\?[^}]+\}$")


def _load_yaml(path: Path) -> Any:
    assert path.is_file(), f"{path.relative_to(REPO)} is missing"
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = _load_yaml(COMPOSE_FILE)
    assert isinstance(document, dict), "docker/compose.yaml is not a YAML mapping"
    assert isinstance(document.get("services"), dict), "docker/compose.yaml has no services"
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def prometheus_config() -> dict[str, Any]:
    config = _load_yaml(PROMETHEUS_CONFIG)
    assert isinstance(config, dict), "docker/prometheus/prometheus.yml is not a YAML mapping"
    return config


# --- reading compose syntax (short and long forms) -------------------------------------------


def _image_tag(image: str) -> str | None:
    """The tag of an image reference, or None; a digest (@sha256:...) counts as a pin."""
    if "@" in image:
        return image.split("@", 1)[1]
    last_component = image.rsplit("/", 1)[-1]
    return last_component.split(":", 1)[1] if ":" in last_component else None


def _volumes(service: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(type, source, target) of each volume entry: type is "bind" or "volume"."""
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            yield entry.get("type", "volume"), str(entry.get("source", "")), entry["target"]
            continue
        source, _, rest = str(entry).partition(":")
        target = rest.split(":", 1)[0]
        is_path = source.startswith(("./", "../", "/", "~")) or source in {".", ".."}
        yield ("bind" if is_path else "volume"), source, target


def _host_path(source: str) -> Path:
    # Compose resolves relative host paths against the compose file's folder.
    return (COMPOSE_FILE.parent / source).resolve()


def _bind_mount_source(service: dict[str, Any], target: str) -> Path | None:
    for kind, source, mounted_at in _volumes(service):
        if kind == "bind" and PurePosixPath(mounted_at) == PurePosixPath(target):
            return _host_path(source)
    return None


def _published_container_ports(service: dict[str, Any]) -> set[int]:
    """Container ports that are published to the host."""
    ports: set[int] = set()
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            if entry.get("published") is not None:
                ports.add(int(entry["target"]))
            continue
        spec = str(entry).split("/", 1)[0]
        if ":" in spec:  # "container" alone is published on a random host port: not usable
            ports.add(int(spec.rsplit(":", 1)[1]))
    return ports


def _depends_on(service: dict[str, Any]) -> list[str]:
    depends = service.get("depends_on", [])
    return list(depends) if isinstance(depends, dict | list) else []


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _host_and_port(address: str) -> tuple[str, int | None]:
    parts = urlsplit(address if "//" in address else f"//{address}")
    return parts.hostname or "", parts.port


# --- compose -----------------------------------------------------------------------------------


def test_compose_has_no_version_key(compose: dict[str, Any]) -> None:
    assert "version" not in compose, "docker/compose.yaml has a `version:` key; the spec drops it"


def test_images_are_pinned_to_exact_tags(services: dict[str, dict[str, Any]]) -> None:
    problems = []
    for name, service in services.items():
        if "build" in service:
            continue
        image = service.get("image")
        if not image:
            problems.append(f"service {name!r} has neither `image` nor `build`")
            continue
        tag = _image_tag(image)
        if tag is None:
            problems.append(f"service {name!r}: image {image!r} has no tag (means `latest`)")
        elif not tag.startswith("sha256:") and (tag == "latest" or not EXACT_VERSION.search(tag)):
            problems.append(f"service {name!r}: image {image!r} is not pinned to an x.y.z tag")
    assert not problems, "\n".join(problems)


def test_long_running_services_have_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    problems = []
    for name, service in services.items():
        if name in ONE_SHOT_SERVICES:
            continue
        healthcheck = service.get("healthcheck")
        if not healthcheck or not healthcheck.get("test"):
            problems.append(f"service {name!r} has no healthcheck test")
        elif healthcheck.get("disable"):
            problems.append(f"service {name!r} disables its healthcheck")
    assert not problems, "\n".join(problems)


def test_bind_mounted_host_paths_exist(services: dict[str, dict[str, Any]]) -> None:
    problems = []
    for name, service in services.items():
        for kind, source, target in _volumes(service):
            if kind != "bind" or not source.startswith(("./", "../")):
                continue
            if not _host_path(source).exists():
                problems.append(
                    f"service {name!r} mounts {source!r} at {target!r}, but "
                    f"{_host_path(source)} does not exist"
                )
    assert not problems, "\n".join(problems)


def test_named_volumes_are_declared(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = set(compose.get("volumes") or {})
    problems = [
        f"service {name!r} uses volume {source!r}, which the top-level `volumes:` does not declare"
        for name, service in services.items()
        for kind, source, _ in _volumes(service)
        if kind == "volume" and source and source not in declared
    ]
    assert not problems, "\n".join(problems)


def test_build_context_and_dockerfile_exist(services: dict[str, dict[str, Any]]) -> None:
    problems = []
    for name, service in services.items():
        build = service.get("build")
        if build is None:
            continue
        if isinstance(build, str):
            build = {"context": build}
        context = _host_path(build.get("context", "."))
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        if not context.is_dir():
            problems.append(f"service {name!r}: build context {context} is not a folder")
        if not dockerfile.is_file():
            problems.append(f"service {name!r}: Dockerfile {dockerfile} does not exist")
        ignore = context / ".dockerignore"
        if not ignore.is_file():
            problems.append(f"service {name!r}: no .dockerignore in build context {context}")
        else:
            patterns = set(ignore.read_text(encoding="utf-8").split())
            problems += [
                f"{ignore} does not exclude {path} from the build context"
                for path in (".git", ".venv", ".devstack")
                if path not in patterns
            ]
    assert not problems, "\n".join(problems)


def test_depends_on_names_defined_services(services: dict[str, dict[str, Any]]) -> None:
    problems = [
        f"service {name!r} depends on {dependency!r}, which is not a service of compose.yaml"
        for name, service in services.items()
        for dependency in _depends_on(service)
        if dependency not in services
    ]
    assert not problems, "\n".join(problems)


def test_creditflow_services_reach_kafka_and_redis_by_service_name(
    services: dict[str, dict[str, Any]],
) -> None:
    problems = []
    for name, service in services.items():
        env = _environment(service)
        for variable in ("CREDITFLOW_KAFKA_BOOTSTRAP", "CREDITFLOW_REDIS_URL"):
            if variable not in env:
                continue
            for address in env[variable].split(","):
                host, _ = _host_and_port(address.strip())
                if host not in services:
                    problems.append(
                        f"service {name!r}: {variable}={env[variable]!r} names host {host!r}, "
                        "not a compose service (localhost is the container itself)"
                    )
    assert not problems, "\n".join(problems)


def test_grafana_admin_password_comes_from_a_required_variable(
    services: dict[str, dict[str, Any]],
) -> None:
    password = _environment(services["grafana"]).get("GF_SECURITY_ADMIN_PASSWORD", "")
    assert REQUIRED_VARIABLE.match(password), (
        f"GF_SECURITY_ADMIN_PASSWORD is {password!r}: it must be a required variable like "
        "${GRAFANA_ADMIN_PASSWORD:?set it}, never a value kept in the repository"
    )


# --- Dockerfile --------------------------------------------------------------------------------


def test_dockerfile_runs_as_non_root_and_exposes_the_worker_port(
    services: dict[str, dict[str, Any]],
) -> None:
    lines = (DOCKER / "Dockerfile").read_text(encoding="utf-8").splitlines()
    final_stage = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM ")) :]
    users = [line.split()[1] for line in final_stage if line.startswith("USER ")]
    assert users, "docker/Dockerfile: the final stage has no USER, so it runs as root"
    assert users[-1].split(":")[0] not in {"root", "0"}, (
        f"docker/Dockerfile: the final stage runs as {users[-1]!r}; use a non-root user"
    )
    exposed = {
        int(port.split("/")[0])
        for line in final_stage
        if line.startswith("EXPOSE ")
        for port in line.split()[1:]
    }
    published = _published_container_ports(services["worker"])
    assert published <= exposed, (
        f"the worker publishes {sorted(published)} but docker/Dockerfile exposes {sorted(exposed)}"
    )


# --- Prometheus --------------------------------------------------------------------------------


def _static_targets(config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for job in config.get("scrape_configs") or []:
        for static in job.get("static_configs") or []:
            for target in static.get("targets") or []:
                yield job["job_name"], target


def test_prometheus_scrapes_the_worker_on_a_port_it_publishes(
    prometheus_config: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    jobs = {job["job_name"]: job for job in prometheus_config.get("scrape_configs") or []}
    assert WORKER_JOB in jobs, f"prometheus.yml has no scrape job {WORKER_JOB!r}"
    metrics_path = jobs[WORKER_JOB].get("metrics_path", "/metrics")
    assert metrics_path == "/metrics", (
        f"job {WORKER_JOB!r} scrapes {metrics_path!r}, but the worker serves /metrics"
    )
    worker_targets = [
        target for job, target in _static_targets(prometheus_config) if job == WORKER_JOB
    ]
    assert worker_targets, f"job {WORKER_JOB!r} has no static target"
    web_port = _environment(services["worker"]).get("CREDITFLOW_WEB_PORT")
    problems = []
    for target in worker_targets:
        host, port = _host_and_port(target)
        if host not in services:
            problems.append(f"target {target!r} of {WORKER_JOB!r} names no compose service")
            continue
        if port not in _published_container_ports(services[host]):
            problems.append(f"target {target!r}: service {host!r} does not publish port {port}")
        if web_port is not None and str(port) != web_port:
            problems.append(
                f"target {target!r}: the worker listens on CREDITFLOW_WEB_PORT={web_port}"
            )
    assert not problems, "\n".join(problems)


def test_other_scrape_targets_name_compose_services(
    prometheus_config: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    problems = []
    for job, target in _static_targets(prometheus_config):
        host, port = _host_and_port(target)
        if host == "localhost" and port == 9090:  # Prometheus scraping itself
            continue
        if host not in services:
            problems.append(f"job {job!r}: target {target!r} names no compose service")
    assert not problems, "\n".join(problems)


def test_rule_files_exist_and_are_mounted_where_the_config_looks(
    prometheus_config: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    patterns = prometheus_config.get("rule_files") or []
    assert patterns, "prometheus.yml has no rule_files"
    prometheus = services["prometheus"]
    config_mounts = [
        target
        for kind, source, target in _volumes(prometheus)
        if kind == "bind" and _host_path(source) == PROMETHEUS_CONFIG.resolve()
    ]
    assert config_mounts, "the prometheus service does not mount docker/prometheus/prometheus.yml"
    container_dir = PurePosixPath(config_mounts[0]).parent
    problems = []
    for pattern in patterns:
        # Prometheus resolves rule_files relative to the config file, here and in the container.
        matches = sorted(PROMETHEUS_CONFIG.parent.glob(pattern))
        if not matches:
            problems.append(f"rule_files entry {pattern!r} matches no file under docker/prometheus")
        for rules_file in matches:
            groups = (_load_yaml(rules_file) or {}).get("groups")
            if not groups:
                problems.append(f"{rules_file.relative_to(REPO)} has no rule groups")
        pattern_dir = PurePosixPath(pattern).parent
        mounted_from = _bind_mount_source(prometheus, str(container_dir / pattern_dir))
        expected = (PROMETHEUS_CONFIG.parent / pattern_dir).resolve()
        if pattern_dir != PurePosixPath(".") and mounted_from != expected:
            problems.append(
                f"rule_files entry {pattern!r} is read from {container_dir / pattern_dir} in the "
                f"container, where {mounted_from or 'nothing'} is mounted instead of {expected}"
            )
    assert not problems, "\n".join(problems)


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROMTOOL), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(not PROMTOOL.exists(), reason="promtool is not installed at /usr/bin/promtool")
def test_promtool_accepts_the_config() -> None:
    result = _promtool("check", "config", str(PROMETHEUS_CONFIG.relative_to(REPO)))
    assert result.returncode == 0, f"promtool check config failed:\n{result.stdout}{result.stderr}"


@pytest.mark.skipif(not PROMTOOL.exists(), reason="promtool is not installed at /usr/bin/promtool")
def test_promtool_accepts_the_rules(prometheus_config: dict[str, Any]) -> None:
    rules_files = [
        path
        for pattern in prometheus_config.get("rule_files") or []
        for path in sorted(PROMETHEUS_CONFIG.parent.glob(pattern))
    ]
    assert rules_files, "no rules file to check"
    for rules_file in rules_files:
        result = _promtool("check", "rules", str(rules_file.relative_to(REPO)))
        assert result.returncode == 0, (
            f"promtool check rules {rules_file.relative_to(REPO)} failed:\n"
            f"{result.stdout}{result.stderr}"
        )


# --- Grafana -----------------------------------------------------------------------------------


def _provisioning_entries(kind: str, key: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for path in sorted((GRAFANA_PROVISIONING / kind).glob("*.y*ml")):
        document = _load_yaml(path)
        assert isinstance(document, dict), f"{path.relative_to(REPO)} is not a YAML mapping"
        entries += document.get(key) or []
    return entries


def test_grafana_mounts_its_provisioning(services: dict[str, dict[str, Any]]) -> None:
    source = _bind_mount_source(services["grafana"], "/etc/grafana/provisioning")
    assert source == GRAFANA_PROVISIONING.resolve(), (
        f"grafana mounts {source} at /etc/grafana/provisioning, not docker/grafana/provisioning"
    )


def test_grafana_datasource_points_at_the_prometheus_service(
    services: dict[str, dict[str, Any]],
) -> None:
    datasources = [
        source
        for source in _provisioning_entries("datasources", "datasources")
        if source.get("type") == "prometheus"
    ]
    assert len(datasources) == 1, (
        f"expected one Prometheus datasource in docker/grafana/provisioning/datasources, "
        f"found {len(datasources)}"
    )
    datasource = datasources[0]
    host, port = _host_and_port(datasource.get("url", ""))
    assert "prometheus" in services, "docker/compose.yaml has no prometheus service"
    assert host == "prometheus", (
        f"the datasource url {datasource.get('url')!r} does not name the prometheus service"
    )
    assert port in _published_container_ports(services["prometheus"]), (
        f"the datasource url {datasource.get('url')!r}: port {port} is not Prometheus' port"
    )
    assert datasource.get("uid") == "prometheus", (
        f"the datasource uid is {datasource.get('uid')!r}; dashboards refer to 'prometheus'"
    )
    assert datasource.get("isDefault") is True, "the Prometheus datasource is not the default"


def test_grafana_dashboard_provider_reads_the_mounted_folder(
    services: dict[str, dict[str, Any]],
) -> None:
    providers = _provisioning_entries("dashboards", "providers")
    assert providers, "docker/grafana/provisioning/dashboards has no dashboard provider"
    problems = []
    for provider in providers:
        path = (provider.get("options") or {}).get("path", "")
        source = _bind_mount_source(services["grafana"], path)
        if source is None or not source.is_dir():
            problems.append(
                f"dashboard provider {provider.get('name')!r} reads {path!r}, "
                "which grafana does not bind-mount from an existing folder"
            )
    assert not problems, "\n".join(problems)


def _dashboard_panels(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in node.get("panels") or []:
        if panel.get("type") == "row":
            yield from _dashboard_panels(panel)
        else:
            yield panel


def test_grafana_dashboards_are_provisioned_json_on_the_prometheus_datasource(
    services: dict[str, dict[str, Any]],
) -> None:
    folders = {
        _bind_mount_source(services["grafana"], (provider.get("options") or {}).get("path", ""))
        for provider in _provisioning_entries("dashboards", "providers")
    }
    dashboards = sorted(path for folder in folders if folder for path in folder.glob("*.json"))
    assert DASHBOARD.resolve() in dashboards, (
        "docker/grafana/dashboards/creditflow.json is not in a folder a dashboard provider reads"
    )
    (datasource,) = [
        s
        for s in _provisioning_entries("datasources", "datasources")
        if s.get("type") == "prometheus"
    ]
    problems, uids = [], []
    for path in dashboards:
        name = path.relative_to(REPO)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            problems.append(f"{name} is not valid JSON: {exc}")
            continue
        problems += [f"{name} has no {key!r}" for key in ("uid", "title") if not document.get(key)]
        uids.append(document.get("uid"))
        panels = list(_dashboard_panels(document))
        if not panels:
            problems.append(f"{name} has no panels")
        for panel in panels:
            for target in [panel, *panel.get("targets", [])]:
                uid = (target.get("datasource") or {}).get("uid")
                if uid != datasource["uid"]:
                    problems.append(
                        f"{name}, panel {panel.get('title')!r}: datasource uid {uid!r}, "
                        f"not the provisioned {datasource['uid']!r}"
                    )
            if not any(target.get("expr") for target in panel.get("targets", [])):
                problems.append(f"{name}, panel {panel.get('title')!r} has no query")
    if len(set(uids)) != len(uids):
        problems.append(f"dashboard uids repeat: {uids}")
    assert not problems, "\n".join(problems)
