"""The queries of the shipped Grafana dashboard and Prometheus rules, and the metric names in
them: shared by the unit test (names) and the integration test (queries against Prometheus)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
DASHBOARDS = REPO / "docker" / "grafana" / "dashboards"
DASHBOARD = DASHBOARDS / "creditflow.json"
RULES_DIR = REPO / "docker" / "prometheus" / "rules"

#: What Grafana puts in for its variables when it queries; a fixed stand-in for tests.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "5m",
}

# Words of PromQL that look like metric names.
KEYWORDS = {
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "bool",
    "inf",
    "nan",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^}]*\}")
_LABEL_LISTS = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_RANGES = re.compile(r"\[[^\]]*\]")
# Not inside a number (1e3, 2.5e+06) or another word.
_IDENTIFIER = re.compile(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*")


def load_dashboard(path: Path = DASHBOARD) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, those inside (collapsed) rows included; rows themselves are not panels."""
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            yield from panels(panel)
        else:
            yield panel


def panel_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title and target refId, PromQL) of every query of the dashboard."""
    return [
        (f"{panel['title']} [{target.get('refId', '?')}]", target["expr"])
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def rule_expressions(rules_dir: Path = RULES_DIR) -> list[tuple[str, str]]:
    """(alert or record name, PromQL) of every rule of the shipped rule files."""
    found = []
    for path in sorted(rules_dir.glob("*.yml")):
        for group in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("groups", []):
            for rule in group.get("rules", []):
                found.append((rule.get("alert") or rule["record"], str(rule["expr"])))
    return found


def substitute(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (not functions, labels or keywords)."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub("", text)
    text = _LABEL_LISTS.sub("", text)
    text = _RANGES.sub("", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        token = match.group(0)
        if text[match.end() :].lstrip().startswith("("):
            continue  # a function call or an aggregation
        if token.lower() not in KEYWORDS:
            names.add(token)
    return names
