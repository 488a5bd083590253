"""What the store keeps of an accepted event: the event as validated, in the current schema,
and the bytes as they came when they are just that (not encoded a second time)."""

from __future__ import annotations

import io
from datetime import timedelta

from fastavro import schemaless_writer

from creditflow.departments import load_departments
from creditflow.topics import TopicNames
from schemas.codec import decode, encode, encode_model, model_to_datum
from schemas.registry import default_registry
from streams.intake import Accepted, Incoming, _same_datum, accept
from tests.factories import COMPANY, WHEN, penalty, permit

TOPICS = TopicNames()
NOW = WHEN + timedelta(days=1)


def _accepted(kind: str, value: bytes) -> Accepted:
    message = Incoming(TOPICS.event(kind), 0, 7, COMPANY.encode(), value)
    outcome = accept(message, TOPICS, load_departments(), NOW)
    assert isinstance(outcome, Accepted), outcome
    return outcome


def test_bytes_that_are_the_validated_event_in_the_current_schema_are_kept_as_they_came() -> None:
    value = encode_model(permit())
    accepted = _accepted("permit", value)
    assert accepted.value is value


def test_an_event_that_validation_changes_is_stored_as_validated() -> None:
    datum = model_to_datum(permit())
    datum["subject_name"] = "  泰州某某有限公司 "  # validation strips it
    value = encode("PermitGranted", datum)
    accepted = _accepted("permit", value)
    assert accepted.value != value
    assert accepted.value == encode_model(accepted.event)
    assert decode(accepted.value)[1]["subject_name"] == "泰州某某有限公司"


def test_an_event_written_with_an_earlier_schema_is_stored_in_the_current_one() -> None:
    registry = default_registry()
    old = next(s for s in registry.history("PenaltyImposed") if s.version == "v1")
    datum = model_to_datum(penalty())
    body = io.BytesIO()
    schemaless_writer(body, old.parsed, {f["name"]: datum[f["name"]] for f in old.parsed["fields"]})
    value = old.header + body.getvalue()
    accepted = _accepted("penalty", value)
    assert accepted.value[:10] == registry.current["PenaltyImposed"].header
    assert accepted.value == encode_model(accepted.event)


def test_an_event_with_an_array_is_kept_as_it_came() -> None:
    # The model holds its categories as a tuple, fastavro reads a list: the same Avro array.
    value = encode_model(penalty(categories=["WARNING", "FINE"]))
    accepted = _accepted("penalty", value)
    assert isinstance(accepted.event.categories, tuple)
    assert accepted.value is value


def test_arrays_are_the_same_value_as_tuples_or_lists_and_nothing_else_is() -> None:
    assert _same_datum({"a": ("X", "Y"), "b": 1}, {"a": ["X", "Y"], "b": 1})
    assert _same_datum({"r": ({"n": ("1",)},)}, {"r": [{"n": ["1"]}]})
    assert not _same_datum({"a": ("X", "Y")}, {"a": ["Y", "X"]})  # order is the value's
    assert not _same_datum({"a": ("X",)}, {"a": ["X", "X"]})
    assert not _same_datum({"a": ("X",)}, {"a": ["X"], "b": None})  # another field
    assert not _same_datum({"a": " X"}, {"a": "X"})
