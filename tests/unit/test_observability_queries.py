"""The Grafana dashboard and the alert rules name only metrics the workers export.

A renamed metric would otherwise leave a panel empty or an alert silent without any error.
Whether the queries also *run* is checked against a real Prometheus in
tests/integration/test_observability.py.
"""

from __future__ import annotations

import pytest

from streams.metrics import Metrics, sample_names
from tests.promql import load_dashboard, metric_names, panel_queries, rule_expressions

#: Series Prometheus makes itself for every target.
PROMETHEUS_SERIES = {"up"}


@pytest.fixture(scope="module")
def exported() -> set[str]:
    return sample_names(Metrics().registry) | PROMETHEUS_SERIES


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            "sum by (topic, outcome) (rate(creditflow_events_total[$__rate_interval]))",
            {"creditflow_events_total"},
        ),
        (
            'histogram_quantile(0.95, sum by (le) (rate(x_seconds_bucket{a="b(c)"}[5m])))',
            {"x_seconds_bucket"},
        ),
        ("a > 1e3 and deriv(sum by (t) (b)[10m:1m]) > 2.5e+06", {"a", "b"}),
        ('up{job="creditflow-worker"} == 0 unless c offset 5m', {"up", "c"}),
        ("max(d) > 0 unless on (x) sum(rate(e[5m])) > 0", {"d", "e"}),
    ],
)
def test_metric_names_are_read_out_of_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_the_dashboard_has_queries_for_every_concern() -> None:
    queries = " ".join(expr for _, expr in panel_queries(load_dashboard()))
    for metric in (
        "creditflow_events_total",
        "creditflow_event_processing_seconds_bucket",
        "creditflow_event_age_seconds_bucket",
        "creditflow_consumer_lag",
        "creditflow_list_members",
        "creditflow_notices_total",
        "creditflow_notices_pending",
        "creditflow_notices_overdue",
        "creditflow_feedback_seconds_bucket",
        "creditflow_deadletter_total",
        "creditflow_outbox_depth",
    ):
        assert metric in queries, f"no dashboard panel shows {metric}"


def test_dashboard_queries_name_only_exported_metrics(exported: set[str]) -> None:
    problems = []
    for panel, expr in panel_queries(load_dashboard()):
        names = metric_names(expr)
        if not names:
            problems.append(f"{panel}: no metric found in {expr!r}")
        if unknown := names - exported:
            problems.append(f"{panel}: {sorted(unknown)} not exported (in {expr!r})")
    assert not problems, "\n".join(problems)


def test_rules_name_only_exported_metrics(exported: set[str]) -> None:
    rules = rule_expressions()
    assert {"CreditflowWorkerDown", "CreditflowConsumerLagGrowing"} <= {name for name, _ in rules}
    problems = []
    for name, expr in rules:
        if unknown := metric_names(expr) - exported:
            problems.append(f"rule {name}: {sorted(unknown)} not exported (in {expr!r})")
    assert not problems, "\n".join(problems)
