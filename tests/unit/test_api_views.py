"""The API's pure parts: subject ids, cursors, explanations, the OpenAPI document."""

from __future__ import annotations

from datetime import date

import pytest

from creditflow.departments import load_departments
from schemas.identifiers import mask_resident_id
from streams.api.cursor import CursorCodec
from streams.api.errors import ApiError
from streams.api.openapi import openapi_document
from streams.api.subjects import parse_subject_id
from streams.api.views import explain_view, list_member, notice_item, subject_view
from streams.policy import load_policy
from streams.rules import derive
from streams.snapshot import state_to_dict
from tests import factories as f
from tests.unit.rules_helpers import at, fact

POLICY = load_policy(None, load_departments())


def test_subject_ids_pass_their_check_or_are_named_in_a_400() -> None:
    assert parse_subject_id(" 91110108551385082q ") == "91110108551385082Q"
    assert parse_subject_id(f.PERSON) == f.PERSON
    assert parse_subject_id("113212007048946933") == "113212007048946933"  # all-digit USCC
    with pytest.raises(ApiError) as bad:
        parse_subject_id("91110000600037341N")
    assert (bad.value.status, bad.value.code) == (400, "invalid_subject_id")
    assert "check character" in bad.value.message
    with pytest.raises(ApiError) as person:
        parse_subject_id("110102199101010079")
    assert "110102199101010079" not in person.value.message


def test_cursors_are_opaque_and_bound_to_their_page() -> None:
    codec = CursorCodec("secret")
    cursor = codec.encode("list:black", 1709222400000.0, f.PERSON)
    assert f.PERSON not in cursor
    assert codec.decode("list:black", cursor) == (1709222400000.0, f.PERSON)
    for scope, value in (("list:red", cursor), ("list:black", cursor[:-2]), ("list:black", "x")):
        with pytest.raises(ApiError):
            codec.decode(scope, value)
    with pytest.raises(ApiError):
        CursorCodec("another").decode("list:black", cursor)


def test_explanation_ties_each_measure_to_records_rule_and_basis() -> None:
    state = derive([fact(f.penalty(serious=True))], POLICY, at(2024, 3, 5))
    snapshot = state_to_dict(f.COMPANY, state, at(2024, 3, 5))
    assert subject_view(snapshot)["black_list"] is True
    why = explain_view(snapshot, POLICY)
    (listing,) = why["listings"]
    assert listing["records"][0]["publicity"]["severity"] == "serious"
    assert listing["until"] is not None
    measures = {m["measure_id"]: m for m in why["measures"]}
    assert measures["B01"]["policy"]["departments"] == ["finance"]
    assert measures["B01"]["records"][0]["record"]["document_number"] == f.ref().document_number
    assert date.fromisoformat(listing["since"][:10]) <= date(2024, 3, 1)


def test_lists_and_notices_mask_persons_unless_the_department_needs_them() -> None:
    member = list_member(f.PERSON, "NATURAL_PERSON", "张三", 0)
    assert (member["subject_id"], member["subject_name"]) == (mask_resident_id(f.PERSON), "张*")
    record = {
        "department": "finance",
        "initiating": "market-regulation",
        "measure": "B01",
        "action": "INITIATE",
        "cause": "LISTED",
        "list": "BLACK",
        "created": 0,
        "due": 1,
        "status": "pending",
    }
    masked = notice_item(f.PERSON, "NATURAL_PERSON", "n-1", record, personal=False)
    assert masked["subject_id"] == mask_resident_id(f.PERSON)
    assert notice_item(f.PERSON, "NATURAL_PERSON", "n-1", record, True)["subject_id"] == f.PERSON


def test_the_openapi_document_describes_every_route_and_error() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/v1/subjects/{subject_id}",
        "/v1/subjects/{subject_id}/explain",
        "/v1/lists/{kind}",
        "/v1/notices",
    }
    for path in document["paths"].values():
        responses = path["get"]["responses"]
        assert "200" in responses
        assert "401" in responses
        assert "503" in responses
    assert "Error" in document["components"]["schemas"]
