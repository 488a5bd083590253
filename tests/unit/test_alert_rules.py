"""The alert rules behave: ``promtool test rules`` on synthetic series, offline."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

PROMTOOL = Path("/usr/bin/promtool")
RULE_TESTS = Path(__file__).parent / "prometheus" / "creditflow.rules.test.yml"


@pytest.mark.skipif(not PROMTOOL.exists(), reason="promtool is not installed at /usr/bin/promtool")
def test_each_alert_fires_on_its_situation_and_not_on_its_look_alike() -> None:
    result = subprocess.run(
        [str(PROMTOOL), "test", "rules", RULE_TESTS.name],
        cwd=RULE_TESTS.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
