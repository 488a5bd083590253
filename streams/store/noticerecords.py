"""A notice record as Redis keeps it: what the API, the feedback tracking and the rebuild read
of a notice sent (``<prefix>{subject}:notices``, one field per notice id).

A record is a MessagePack array of its values in the order of ``FIELDS``: the nine a notice is
created with, then, once its department has answered, the three of the answer. The Lua scripts
that change a record in Redis (``feedback.lua``, ``overdue.lua``, with ``notice.lua``) read and
write the same array with Redis's own ``cmsgpack``. As JSON, each record repeated its field
names: some 200 bytes a record against some 90.

Records written before are JSON objects; they are read as they are, and a script that changes
one writes it back as an array.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgpack  # type: ignore[import-untyped]
import orjson

#: The values of a record, in order; a record has the first CREATED_WITH, or all of them.
FIELDS = (
    "department",
    "initiating",
    "measure",
    "action",
    "cause",
    "list",
    "created",
    "due",
    "status",
    "feedback",
    "feedback_event",
    "answered",
)
CREATED_WITH = 9
ANSWER = FIELDS[CREATED_WITH:]


class NoticeRecordError(ValueError):
    """Stored bytes that are not a notice record."""


def pack_record(record: Mapping[str, Any]) -> bytes:
    """The stored form of ``record`` (a mapping with every field of a new record, and either
    all three of an answer or none)."""
    count = len(FIELDS) if any(f in record for f in ANSWER) else CREATED_WITH
    try:
        values = [record[name] for name in FIELDS[:count]]
    except KeyError as exc:
        raise NoticeRecordError(f"a notice record without {exc.args[0]!r}: {record!r}") from exc
    return msgpack.packb(values)  # type: ignore[no-any-return]


def unpack_record(raw: bytes | str) -> dict[str, Any]:
    """The record stored as ``raw``, as a dict of its fields."""
    if isinstance(raw, str):
        raw = raw.encode()
    if raw[:1] == b"{":  # written as JSON, before records were packed
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise NoticeRecordError(f"not a notice record: {raw[:60]!r} ({exc})") from exc
        if not isinstance(record, dict):
            raise NoticeRecordError(f"not a notice record: {raw[:60]!r}")
        return record
    try:
        values = msgpack.unpackb(raw)
    except (ValueError, msgpack.UnpackException) as exc:
        raise NoticeRecordError(f"not a notice record: {raw[:60]!r} ({exc})") from exc
    if not isinstance(values, list) or len(values) not in (CREATED_WITH, len(FIELDS)):
        raise NoticeRecordError(f"not a notice record: {raw[:60]!r}")
    return dict(zip(FIELDS, values, strict=False))
