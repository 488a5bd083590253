"""The schemas of ``schemas/avro``: parsed once, looked up by name or by fingerprint.

The ``.avsc`` files are the only place a schema is written down. ``avro/history/`` keeps the
earlier versions (``<Name>.v<N>.avsc``) so that data written with them stays readable.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from typing import Any

from fastavro import parse_schema
from fastavro.schema import fingerprint, to_parsing_canonical_form

from creditflow.errors import ConfigurationError

#: Avro single-object encoding marker (Avro specification, "Single-object encoding").
MAGIC = b"\xc3\x01"
_FIELD_CODE = re.compile(r"\(((?:XK|CF)_[A-Z_]+|XDR_[A-Z]+|BZ)\)")


@dataclass(frozen=True, slots=True)
class SchemaVersion:
    name: str  # the record's short name, e.g. PenaltyImposed
    version: str  # "current" or "v1", "v2", … from history
    parsed: Any  # fastavro's parsed schema
    fingerprint: bytes  # 8 bytes, CRC-64-AVRO of the parsing canonical form, little-endian

    @property
    def header(self) -> bytes:
        return MAGIC + self.fingerprint


@dataclass
class SchemaRegistry:
    """Every schema creditflow knows, current and historical."""

    current: dict[str, SchemaVersion] = field(default_factory=dict)
    by_fingerprint: dict[bytes, SchemaVersion] = field(default_factory=dict)
    field_codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, raw: dict[str, Any], version: str) -> SchemaVersion:
        parsed = parse_schema(raw)
        name = str(raw["name"])
        # fastavro gives the CRC-64-AVRO fingerprint as hex of its little-endian bytes, the
        # order single-object encoding writes it in.
        crc = bytes.fromhex(fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO"))
        schema = SchemaVersion(name, version, parsed, crc)
        known = self.by_fingerprint.get(schema.fingerprint)
        if known is not None and known.name != name:
            raise ConfigurationError(f"schemas {known.name} and {name} share a fingerprint")
        self.by_fingerprint.setdefault(schema.fingerprint, schema)
        if version == "current":
            self.current[name] = schema
            self.field_codes[name] = _field_codes(raw)
        return schema

    def history(self, name: str) -> list[SchemaVersion]:
        """The earlier versions of ``name`` kept in ``avro/history``."""
        return [
            s for s in self.by_fingerprint.values() if s.name == name and s.version != "current"
        ]


def _field_codes(raw: dict[str, Any]) -> dict[str, str]:
    """Field name → national field code, read from the field docs (e.g. ``(CF_WSH)``)."""
    codes = {}
    for avro_field in raw.get("fields", []):
        match = _FIELD_CODE.search(avro_field.get("doc", ""))
        if match:
            codes[avro_field["name"]] = match.group(1)
    return codes


def load_registry(directory: Traversable) -> SchemaRegistry:
    registry = SchemaRegistry()
    files = sorted((f for f in directory.iterdir() if f.name.endswith(".avsc")), key=str)
    history_dir = directory / "history"
    history = sorted(
        (f for f in history_dir.iterdir() if f.name.endswith(".avsc")), key=lambda f: f.name
    )
    for path in files:
        registry.add(_read(path), "current")
    for path in history:
        registry.add(_read(path), path.name.rsplit(".", 2)[-2])
    return registry


def _read(path: Traversable) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigurationError(f"schema file {path.name} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("type") != "record":
        raise ConfigurationError(f"schema file {path.name} must hold one Avro record")
    if path.name.split(".")[0] != raw.get("name"):
        raise ConfigurationError(f"schema file {path.name} holds the record {raw.get('name')}")
    return raw


@cache
def default_registry() -> SchemaRegistry:
    """The schemas shipped with creditflow, parsed once per process."""
    return load_registry(resources.files("schemas") / "avro")
