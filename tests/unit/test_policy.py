"""The policy file: the shipped one loads; a bad one is refused naming the bad entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from creditflow.departments import load_departments
from creditflow.errors import ConfigurationError
from streams.policy import load_policy
from tests.unit.rules_helpers import policy


def _write(tmp_path: Path, change: dict[str, object]) -> Path:
    text = (Path(__file__).parents[2] / "streams" / "policy.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    for dotted, value in change.items():
        node = data
        *parents, last = dotted.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def test_default_policy_covers_every_list() -> None:
    lists = {m.list for m in policy().measures}
    assert {"BLACK", "RED", "THREE_YEAR_CLEAN"} == {str(k) for k in lists}
    assert policy().feedback.deadline.days == 7


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"measures.3.departments": ["no-such-department"]}, "measures[3] (B04)"),
        ({"measures.0.list": "GREY"}, "measures.0.list"),
        ({"publicity.ordinary.max_months": 1}, "publicity.ordinary"),
        ({"score.grades.0.min_score": -5}, "score"),
        ({"feedback.deadline_hours": 0}, "feedback.deadline_hours"),
        ({"black_list.surprise": 1}, "black_list.surprise"),
        ({"measures.1.id": "B01"}, "duplicate measure ids"),
    ],
)
def test_invalid_policy_is_refused_naming_the_entry(
    tmp_path: Path, change: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigurationError, match="invalid policy") as caught:
        load_policy(_write(tmp_path, change), load_departments())
    assert named in str(caught.value)


def test_missing_policy_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read policy"):
        load_policy(tmp_path / "absent.yaml", load_departments())
