"""API tokens: issued once, stored as hashes, checked in constant time, re-read on change."""

from __future__ import annotations

from pathlib import Path

import pytest

from creditflow.departments import load_departments
from creditflow.errors import ConfigurationError
from creditflow.tokens import TokenRegistry, issue_token, read_tokens, token_hash

REGISTRY = load_departments()


def test_issued_tokens_are_kept_as_hashes_only(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    first = issue_token(path, "finance", REGISTRY)
    second = issue_token(path, "finance", REGISTRY)
    text = path.read_text()
    assert first != second
    assert first not in text
    assert second not in text
    assert read_tokens(path, REGISTRY) == {"finance": (token_hash(first), token_hash(second))}
    assert path.stat().st_mode & 0o077 == 0


def test_the_registry_knows_whose_token_it_is_and_sees_new_ones(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    registry = TokenRegistry(path, REGISTRY)
    assert registry.department_of("cft_anything") is None  # no file: nobody gets in
    court = issue_token(path, "court", REGISTRY)
    assert registry.department_of(court) == "court"
    tax = issue_token(path, "tax", REGISTRY)  # issued while the registry is in use
    assert registry.department_of(tax) == "tax"
    assert registry.department_of(court + "x") is None


def test_a_bad_tokens_file_or_department_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    with pytest.raises(ConfigurationError, match="unknown department"):
        issue_token(path, "nobody", REGISTRY)
    path.write_text("finance: [plain-token]\n")
    with pytest.raises(ConfigurationError, match="sha256"):
        read_tokens(path, REGISTRY)
