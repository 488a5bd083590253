"""Property-based fuzzing of the credit-check API from its own OpenAPI document (schemathesis)
against a running worker: no request it generates may get a server error, and every answer must
match the document (status codes, content type, schemas, headers).

Bounded: at most 50 examples per operation and a few minutes in all.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import factories as f
from tests.integration.api_client import ApiPlatform, random_resident_id
from tests.integration.harness import random_uscc, wait_for
from tests.unit.rules_helpers import at

pytestmark = pytest.mark.integration

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
#: positive_data_acceptance is left out: a schema cannot express check digits (USCC, resident
#: ID) or which cursors the API gave out, so schema-valid ids and cursors are rightly refused.
EXCLUDED = "positive_data_acceptance"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiPlatform]:
    platform = ApiPlatform(tmp_path)
    try:
        platform.harness.set_clock(at(2024, 3, 5))
        platform.start()
        yield platform
    finally:
        platform.close()


def test_schemathesis_finds_no_server_error(api: ApiPlatform, tmp_path: Path) -> None:
    # Some members on the lists and some notices, so that pages and links have content.
    company, resident = random_uscc(), random_resident_id()
    subjects = [company, resident]
    for subject in subjects:
        person = {"subject_kind": "NATURAL_PERSON", "subject_name": "赵六"}
        # Known by construction: a resident ID may end in X, so "all digits" would not tell.
        fields = person if subject == resident else {}
        api.harness.publish(f.penalty(subject_id=subject, serious=True, **fields))
    for subject in subjects:
        wait_for(lambda s=subject: api.harness.state(s).get("black_list"), 60, "the listings")

    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{api.base}/openapi.json",
            "--header",
            f"Authorization: Bearer {api.tokens['finance']}",
            "--checks",
            "all",
            "--exclude-checks",
            EXCLUDED,
            "--max-examples",
            "50",
            "--max-time",
            "90",
            "--seed",
            "20240305",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path / "schemathesis"),
        ],
        cwd=tmp_path,  # schemathesis keeps its example database in the working directory
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    tail = "\n".join((run.stdout + run.stderr).splitlines()[-60:])
    assert run.returncode == 0, tail
    assert "passed" in run.stdout
    assert resident not in run.stdout  # 个人信息 never echoed
