"""Single-object encoding: round trips, fingerprints, schema evolution, typed errors."""

from __future__ import annotations

import io
import json
import struct
from decimal import Decimal
from importlib import resources

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint, to_parsing_canonical_form

from schemas.catalog import MODELS, decode_event
from schemas.codec import decode, encode, encode_model
from schemas.errors import DecodeError, EncodeError, NotSingleObjectError, UnknownSchemaError
from schemas.registry import MAGIC, SchemaRegistry, default_registry
from tests.factories import SAMPLES, penalty

AVRO_DIR = resources.files("schemas") / "avro"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_event_kind_round_trips(name: str) -> None:
    event = SAMPLES[name]()
    data = encode_model(event)
    assert data[:2] == MAGIC
    assert data[2:10] == default_registry().current[name].fingerprint
    assert decode_event(data) == event


def test_every_schema_has_a_model_and_a_sample() -> None:
    assert set(default_registry().current) == set(MODELS) == set(SAMPLES)


def test_fingerprint_is_crc64_avro_little_endian() -> None:
    # Test vector of the Avro specification's implementations: "int" → 0x7275d51a3f395c8f,
    # single-object header C3 01 8F 5C 39 3F 1A D5 75 72.
    parsed = parse_schema({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]})
    registry = SchemaRegistry()
    assert registry.add(json.loads(json.dumps(parsed)), "current").fingerprint == bytes.fromhex(
        fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO")
    )
    little_endian = bytes.fromhex(fingerprint(to_parsing_canonical_form("int"), "CRC-64-AVRO"))
    assert struct.unpack("<Q", little_endian)[0] == 0x7275D51A3F395C8F
    assert MAGIC + little_endian == bytes.fromhex("c3018f5c393f1ad57572")


def test_amounts_are_decimals_in_wanyuan() -> None:
    event = penalty(fine_amount=Decimal("12.345678"))
    decoded = decode_event(encode_model(event))
    assert decoded.fine_amount == Decimal("12.345678")


def _history() -> list[tuple[str, str]]:
    return [
        (s.name, s.version)
        for s in default_registry().by_fingerprint.values()
        if s.version != "current"
    ]


def test_history_keeps_at_least_one_earlier_version() -> None:
    assert ("PenaltyImposed", "v1") in _history()


@pytest.mark.parametrize(("name", "version"), _history())
def test_current_reads_every_earlier_version(name: str, version: str) -> None:
    registry = default_registry()
    old = next(s for s in registry.history(name) if s.version == version)
    datum = SAMPLES[name]().model_dump(mode="python")
    old_fields = {f["name"] for f in old.parsed["fields"]}
    old_datum = {k: v for k, v in datum.items() if k in old_fields}
    body = io.BytesIO()
    schemaless_writer(body, old.parsed, old_datum)
    decoded_name, decoded = decode(old.header + body.getvalue())
    assert decoded_name == name
    for field in registry.current[name].parsed["fields"]:
        if field["name"] not in old_fields:  # added since: the reader fills in its default
            assert decoded[field["name"]] == field["default"]
    assert MODELS[name].model_validate(decoded).model_dump(include=old_fields) == {
        k: v for k, v in datum.items() if k in old_fields
    }


@pytest.mark.parametrize(("name", "version"), _history())
def test_every_earlier_version_reads_current(name: str, version: str) -> None:
    registry = default_registry()
    old = next(s for s in registry.history(name) if s.version == version)
    data = encode_model(SAMPLES[name]())
    # An old reader: knows only the old schema, resolves the current writer by fingerprint.
    writer = registry.by_fingerprint[data[2:10]]
    datum = schemaless_reader(io.BytesIO(data[10:]), writer.parsed, old.parsed)
    assert set(datum) == {f["name"] for f in old.parsed["fields"]}


def test_schema_files_are_named_after_their_record() -> None:
    for path in AVRO_DIR.iterdir():
        if path.name.endswith(".avsc"):
            assert json.loads(path.read_text("utf-8"))["name"] == path.name.split(".")[0]


def test_named_types_are_defined_alike_in_every_file() -> None:
    """Each .avsc is self-contained, so a shared enum or record is written in several files:
    every copy must be the same, or data would not mean the same in every schema."""
    seen: dict[str, str] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("enum", "record") and "name" in node:
                canonical = to_parsing_canonical_form(parse_schema(node))
                previous = seen.setdefault(node["name"], canonical)
                assert previous == canonical, f"{node['name']} differs between schema files"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in AVRO_DIR.iterdir():
        if path.name.endswith(".avsc"):
            raw = json.loads(path.read_text("utf-8"))
            walk(raw["fields"])


def test_common_fields_lead_every_input_event() -> None:
    common = [
        "event_id",
        "occurred_at",
        "department_id",
        "subject_id",
        "subject_kind",
        "subject_name",
    ]
    for name, schema in default_registry().current.items():
        if name != "DeadLettered":
            assert [f["name"] for f in schema.parsed["fields"][:6]] == common, name


def test_field_docs_carry_national_codes() -> None:
    codes = default_registry().field_codes
    assert codes["PenaltyImposed"]["document_number"] == "CF_WSH"
    assert codes["PermitGranted"]["valid_until"] == "XK_YXQZI"


def test_not_single_object_is_a_typed_error() -> None:
    with pytest.raises(NotSingleObjectError):
        decode(b'{"json": true}')


def test_unknown_fingerprint_is_a_typed_error() -> None:
    with pytest.raises(UnknownSchemaError) as caught:
        decode(MAGIC + b"\x00" * 8 + b"\x02")
    assert caught.value.reason_code == "decode.unknown_fingerprint"


@pytest.mark.parametrize("cut", [11, 30, 100, -1])
def test_truncated_body_is_a_typed_error(cut: int) -> None:
    data = encode_model(penalty())
    with pytest.raises(DecodeError) as caught:
        decode(data[:cut])
    assert caught.value.reason_code == "decode.corrupt"


def test_trailing_bytes_are_a_typed_error() -> None:
    with pytest.raises(DecodeError, match="trailing"):
        decode(encode_model(penalty()) + b"\x00")


def test_random_bytes_after_a_valid_header_never_crash() -> None:
    header = default_registry().current["PenaltyImposed"].header
    for seed in range(200):
        body = bytes((seed * 7919 + i * 104729) % 256 for i in range(seed % 60))
        with pytest.raises(DecodeError):
            decode(header + body)


def test_encoding_an_unwritable_datum_is_a_typed_error() -> None:
    with pytest.raises(EncodeError):
        encode("PenaltyImposed", {"event_id": "x"})
    with pytest.raises(EncodeError):
        encode("NoSuchEvent", {})
