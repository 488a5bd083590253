"""Avro single-object encoding (``C3 01`` + CRC-64-AVRO fingerprint + body), with fastavro.

A reader resolves the writer's schema by fingerprint and reads with its own current version,
so old and new producers and consumers interoperate. Anything unreadable is a typed
``DecodeError`` with a reason code, never a crash.
"""

from __future__ import annotations

import io
from typing import Any, TypeVar

from fastavro import schemaless_reader, schemaless_writer
from pydantic import BaseModel, ValidationError

from schemas.errors import (
    ContractError,
    DecodeError,
    EncodeError,
    InvalidEventError,
    NotSingleObjectError,
    Problem,
    UnknownSchemaError,
)
from schemas.registry import MAGIC, SchemaRegistry, SchemaVersion, default_registry

M = TypeVar("M", bound=BaseModel)

_HEADER_LENGTH = len(MAGIC) + 8


def encode(name: str, datum: dict[str, Any], registry: SchemaRegistry | None = None) -> bytes:
    """Write ``datum`` with the current schema ``name``, single-object encoded."""
    registry = registry or default_registry()
    schema = registry.current.get(name)
    if schema is None:
        raise EncodeError(f"no schema named {name!r}")
    out = io.BytesIO()
    out.write(schema.header)
    try:
        schemaless_writer(out, schema.parsed, datum)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
        raise EncodeError(f"cannot write {name}: {exc}") from exc
    return out.getvalue()


def written_current(data: bytes, name: str, registry: SchemaRegistry | None = None) -> bool:
    """Whether ``data`` was written with the current version of the schema ``name``."""
    registry = registry or default_registry()
    schema = registry.current.get(name)
    return schema is not None and data[:_HEADER_LENGTH] == schema.header


def read_header(data: bytes, registry: SchemaRegistry | None = None) -> str:
    """The record name of single-object encoded ``data``, without reading its body."""
    registry = registry or default_registry()
    return _writer(data, registry).name


def decode(data: bytes, registry: SchemaRegistry | None = None) -> tuple[str, dict[str, Any]]:
    """Read single-object encoded ``data``: the record name and the datum, in the reader's
    current version of that schema."""
    registry = registry or default_registry()
    writer = _writer(data, registry)
    reader = registry.current.get(writer.name)
    if reader is None:
        raise UnknownSchemaError(f"the schema {writer.name} is no longer read by this version")
    body = io.BytesIO(data)
    body.seek(_HEADER_LENGTH)
    try:
        datum = schemaless_reader(body, writer.parsed, None if reader is writer else reader.parsed)
    except Exception as exc:  # fastavro raises many kinds on bad bytes; all mean the same here
        raise DecodeError(f"corrupt {writer.name} body: {type(exc).__name__}: {exc}") from exc
    if body.tell() != len(data):
        raise DecodeError(f"{len(data) - body.tell()} trailing bytes after the {writer.name} body")
    if not isinstance(datum, dict):
        raise DecodeError(f"{writer.name} body is not a record")
    return writer.name, datum


def _writer(data: bytes, registry: SchemaRegistry) -> SchemaVersion:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise NotSingleObjectError(f"expected bytes, got {type(data).__name__}")
    if len(data) < _HEADER_LENGTH or data[:2] != MAGIC:
        raise NotSingleObjectError("not Avro single-object encoding (no C3 01 marker)")
    fingerprint = bytes(data[2:_HEADER_LENGTH])
    writer = registry.by_fingerprint.get(fingerprint)
    if writer is None:
        raise UnknownSchemaError(f"unknown writer schema fingerprint {fingerprint.hex()}")
    return writer


def to_model(cls: type[M], datum: dict[str, Any], registry: SchemaRegistry | None = None) -> M:
    """Validate a decoded datum as ``cls``; every problem is named with its field."""
    try:
        return cls.model_validate(datum)
    except ValidationError as exc:
        raise invalid_event(cls.__name__, exc, registry) from exc


def invalid_event(
    name: str, exc: ValidationError, registry: SchemaRegistry | None = None
) -> InvalidEventError:
    """Turn pydantic's errors into an InvalidEventError naming each field and its field code."""
    codes = (registry or default_registry()).field_codes.get(name, {})
    problems = []
    for error in exc.errors(include_url=False):
        cause = (error.get("ctx") or {}).get("error")
        path = ".".join(str(part) for part in error["loc"])
        if isinstance(cause, ContractError):
            field = cause.field or path or "(event)"
            problems.append(
                Problem(field, cause.detail, cause.reason_code, codes.get(field.split(".")[0]))
            )
        else:
            field = path or "(event)"
            code = codes.get(field.split(".")[0])
            problems.append(Problem(field, error["msg"], "invalid.event", code))
    return InvalidEventError(name, problems)


def model_to_datum(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="python")


def encode_model(model: BaseModel, registry: SchemaRegistry | None = None) -> bytes:
    """Encode a model whose class shares its name with a schema."""
    return encode(type(model).__name__, model_to_datum(model), registry)
