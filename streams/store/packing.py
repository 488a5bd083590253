"""Compact forms of the two JSON values every subject keeps in Redis: its snapshot and its told map.

Most of a snapshot or a told map is what every subject repeats: field names, the policy's measure
names and legal bases, department ids, list names. A value is stored as one format byte and raw
DEFLATE primed with a preset dictionary holding those strings (``packing-1.dict``), which shrinks
a snapshot from some 1.2 KB to 0.1 KB and a told map from 0.9 KB to 30 bytes.

Format 1's dictionary is part of the stored format: it never changes, or values written with it
could no longer be read (a test checks its hash). A better dictionary would be a new format
byte (3: format 2 is the stored events', ``streams.store.eventpacking``), with format 1 still
read. Format 1's was made from the state of a demo workload under the default policy: one snapshot
of each common shape and one told entry per measure, with subject ids, names and record
references blanked.

Values written before packing (plain JSON, whose first byte is ``{`` or ``[``) are read as they
are. Notice records stay JSON: the feedback and overdue scripts update them inside Redis.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from importlib import resources
from typing import Any

FORMAT_1 = 1
DICTIONARY_1 = resources.files("streams.store").joinpath("packing-1.dict").read_bytes()
DICTIONARY_1_SHA256 = "ebb6718dc9cd7535efb3ad1d7decc2e1b1756d1112e2a7ffe1014d8a4641e502"

# Raw DEFLATE with a 16 KB window: the dictionary (12 KB) and a usual value fit in it; a larger
# value still packs, with less of the dictionary in reach.
_WBITS = -14
_LEVEL = 6
_MEMORY_LEVEL = 4  # the same size as 8 for values this small, and a quarter of the state to copy
_PLAIN_JSON = frozenset(b"{[")

if hashlib.sha256(DICTIONARY_1).hexdigest() != DICTIONARY_1_SHA256:  # pragma: no cover
    raise RuntimeError("streams/store/packing-1.dict is not the dictionary of packing format 1")

# Priming a compressor with the dictionary costs more than compressing a value: copy a primed one.
_PRIMED = zlib.compressobj(
    _LEVEL, zlib.DEFLATED, _WBITS, _MEMORY_LEVEL, zlib.Z_DEFAULT_STRATEGY, DICTIONARY_1
)


class PackingError(ValueError):
    """A stored value in no format this code reads."""


def pack(value: bytes) -> bytes:
    """``value`` (JSON) in the current stored format."""
    compressor = _PRIMED.copy()
    return bytes((FORMAT_1,)) + compressor.compress(value) + compressor.flush()


def is_packed(stored: bytes) -> bool:
    """Whether ``stored`` is in the current format (not plain JSON written before packing)."""
    return bool(stored) and stored[0] == FORMAT_1


def unpack(stored: bytes) -> bytes:
    """The JSON a stored value holds, whichever format it was written in."""
    if not stored or stored[0] in _PLAIN_JSON:
        return stored
    if stored[0] != FORMAT_1:
        raise PackingError(f"stored value in unknown format {stored[0]}")
    return inflate(stored[1:], _WBITS, DICTIONARY_1, "stored value in format 1")


def inflate(data: bytes, wbits: int, dictionary: bytes, what: str) -> bytes:
    """Raw DEFLATE ``data`` primed with ``dictionary``, whole: an error (naming ``what``) if it
    does not decompress, stops short or has bytes after its end."""
    decompressor = zlib.decompressobj(wbits, dictionary)
    try:
        value = decompressor.decompress(data) + decompressor.flush()
    except zlib.error as exc:
        raise PackingError(f"{what} does not decompress: {exc}") from exc
    if not decompressor.eof or decompressor.unused_data:
        raise PackingError(f"{what} is truncated or has bytes after its end")
    return value


def load_json(stored: bytes | str) -> Any:
    """The value a stored JSON field holds (text comes from a client that decodes replies, and is
    plain JSON)."""
    return json.loads(unpack(stored) if isinstance(stored, bytes) else stored)
