"""Which model class reads which schema: the class, the Avro record and the file share a name."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from schemas.audit import CreditCheckAudited
from schemas.codec import decode, to_model
from schemas.errors import UnknownSchemaError
from schemas.events import INPUT_EVENTS
from schemas.notices import DeadLettered, FeedbackRelayed, MeasureNotified
from schemas.registry import SchemaRegistry

MODELS: dict[str, type[BaseModel]] = {
    **INPUT_EVENTS,
    **{
        cls.__name__: cls
        for cls in (MeasureNotified, FeedbackRelayed, DeadLettered, CreditCheckAudited)
    },
}


def model_class(name: str) -> type[BaseModel]:
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownSchemaError(f"no model reads the schema {name}") from None


def decode_event(data: bytes, registry: SchemaRegistry | None = None) -> Any:
    """Decode and validate one event or notice: an instance of the class named by its schema."""
    name, datum = decode(data, registry)
    return to_model(model_class(name), datum, registry)
