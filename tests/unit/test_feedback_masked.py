"""Feedback from a department that was shown a natural person's id masked."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.identifiers import is_masked_resident_id, mask_resident_id
from tests import factories as f


def test_feedback_may_name_a_person_by_the_masked_id_it_was_sent() -> None:
    masked = mask_resident_id(f.PERSON)
    assert is_masked_resident_id(masked)
    answer = f.feedback(subject_id=masked, subject_kind="NATURAL_PERSON", subject_name="张*")
    assert answer.subject_id == masked


@pytest.mark.parametrize("subject_id", ["1101*********0078", "1101**********007Y", "1101"])
def test_anything_else_that_is_not_an_id_number_is_refused(subject_id: str) -> None:
    with pytest.raises(ValidationError):
        f.feedback(subject_id=subject_id, subject_kind="NATURAL_PERSON", subject_name="张*")


def test_an_organisation_is_never_named_masked() -> None:
    with pytest.raises(ValidationError):
        f.feedback(subject_id="9111**********082Q", subject_kind="LEGAL_PERSON")
