"""Stored events packed with a dictionary made from the deployment's own records.

A subject's stored events are most of what Redis holds of it: on the demo's mix, about five
events of some 370 bytes of Avro each. One event alone barely compresses (plain DEFLATE keeps
four fifths of it), but the events of different subjects share most of their strings: department
ids, deciding authorities and their USCCs, legal bases, violation types, document number
patterns. Primed with a dictionary made of other subjects' records, DEFLATE keeps about
three tenths.

Those strings are each deployment's own, so the dictionary is made where it runs. The first
worker that has taken in ``event_dictionary_records`` record events (500 by default) makes one
of them, with the personal information in them blanked (``PERSONAL``), and offers it in Redis;
the first offer stored is the one every worker, and the rebuild, packs with from then on
(``streams.store.store``). A dictionary is never replaced nor deleted: every value names the one
it was packed with.

A subject's events are stored together, as one value (format 3, ``EventPacking.pack_events``):
format byte 3, the dictionary's id (the first four bytes of its SHA-256; zeros before there is a
dictionary) and a Zstandard frame, compressed with the dictionary as raw content, of a
MessagePack array of ``[event id, Avro bytes]`` pairs. Packed together, a subject's events also
share what is theirs alone (its id, name, address, the deciding department), and their ids cost
a few bytes each, as each one is inside its event too: on the demo's mix a subject's five
events take some 470 bytes, against some 730 packed one by one with their ids beside them.
Every change of a subject packs all its events again: Zstandard (level 3) does five in some
14 µs and reads them in 5, where DEFLATE took 50 to 80 and 13 for 5% fewer bytes.

Read as they are: events stored one by one, each in a hash field named by its id, packed
(format byte 2, the dictionary's id, raw DEFLATE) or not (Avro single-object encoding, first
byte 0xC3). A subject's next change stores them together.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping, Sequence

import msgpack  # type: ignore[import-untyped]
import zstandard

from schemas.codec import decode, encode
from schemas.errors import ContractError
from schemas.identifiers import is_personal
from streams.store.packing import PackingError, inflate

FORMAT_2 = 2
FORMAT_3 = 3
ID_BYTES = 4
#: The dictionary id of a subject's events packed before there was a dictionary.
NO_DICTIONARY = bytes(ID_BYTES)
#: A dictionary's size: all of it is in reach of DEFLATE's largest window.
SIZE = 32 * 1024
#: How many record events a dictionary is made from by default (their last ``SIZE`` bytes are
#: kept; the setting ``event_dictionary_records``).
TRAINING_EVENTS = 500
#: Personal information (natural persons' names and ID numbers), blanked in the events a
#: dictionary is made from: a legal representative's, and any natural person's own; the subject
#: fields of a natural person or of a subject whose id is a resident ID number. A legal person's
#: name and USCC are public (双公示) and stay: they are much of what the dictionary is for.
PERSONAL = frozenset({"legal_representative", "legal_representative_id_number", "id_number"})
PERSONAL_SUBJECT = frozenset({"subject_id", "subject_name"})

_WBITS = -15
_LEVEL = 6
_MEMORY_LEVEL = 8
#: Zstandard's level for a subject's events stored together (format 3).
ZSTD_LEVEL = 3


def _zstd(data: bytes | None) -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    """A Zstandard compressor and decompressor primed with ``data`` as raw content (or none),
    writing no more than the frame needs: the dictionary is named in front of the frame."""
    if data is None:
        dictionary = None
    else:
        dictionary = zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        dictionary.precompute_compress(level=ZSTD_LEVEL)
    compressor = zstandard.ZstdCompressor(
        level=ZSTD_LEVEL,
        dict_data=dictionary,
        write_checksum=False,
        write_content_size=False,
        write_dict_id=False,
    )
    return compressor, zstandard.ZstdDecompressor(dict_data=dictionary)


_PLAIN_ZSTD = _zstd(None)


class EventDictionary:
    """One dictionary: its id, its bytes and a compressor primed with it (copied for each
    value: priming costs more than compressing one)."""

    def __init__(self, data: bytes) -> None:
        if not data or len(data) > SIZE:
            raise PackingError(f"an event dictionary holds 1 to {SIZE} bytes, not {len(data)}")
        self.data = data
        self.id = dictionary_id(data)
        self._primed = zlib.compressobj(
            _LEVEL, zlib.DEFLATED, _WBITS, _MEMORY_LEVEL, zlib.Z_DEFAULT_STRATEGY, data
        )
        self.zstd = _zstd(data)

    def pack(self, value: bytes) -> bytes:
        compressor = self._primed.copy()
        return bytes((FORMAT_2,)) + self.id + compressor.compress(value) + compressor.flush()

    def unpack(self, stored: bytes) -> bytes:
        return inflate(stored[1 + ID_BYTES :], _WBITS, self.data, "stored event in format 2")


def dictionary_id(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()[:ID_BYTES]


def packed_with(stored: bytes) -> bytes | None:
    """The id of the dictionary ``stored`` (an event, or a subject's events) was packed with
    (None: packed with none)."""
    if len(stored) > ID_BYTES and stored[0] in (FORMAT_2, FORMAT_3):
        ident = stored[1 : 1 + ID_BYTES]
        return None if ident == NO_DICTIONARY else ident
    return None


class DictionaryMissingError(PackingError):
    """A stored event names a dictionary this process has not loaded."""


class EventPacking:
    """The dictionaries this process knows, and the one it packs new events with."""

    def __init__(self) -> None:
        self._known: dict[bytes, EventDictionary] = {}
        self.current: EventDictionary | None = None

    def add(self, data: bytes) -> EventDictionary:
        ident = dictionary_id(data)
        known = self._known.get(ident)
        if known is None:
            known = self._known[ident] = EventDictionary(data)
        return known

    def use(self, data: bytes) -> None:
        self.current = self.add(data)

    def use_known(self, ident: bytes) -> None:
        self.current = self._known[ident]

    def known(self, ident: bytes) -> bool:
        return ident in self._known

    def missing(self, stored: Iterable[bytes]) -> set[bytes]:
        """Ids of the dictionaries some of ``stored`` were packed with and this process lacks."""
        return {
            ident
            for value in stored
            if (ident := packed_with(value)) is not None and ident not in self._known
        }

    def pack(self, value: bytes) -> bytes:
        """``value`` (an event's Avro bytes) as events were stored one by one: packed once there
        is a dictionary (format 2). The platform stores events together (``pack_events``); this
        is what it reads from before, and what its tests store as before."""
        return value if self.current is None else self.current.pack(value)

    def unpack(self, stored: bytes) -> bytes:
        """The event's Avro bytes, however it was stored one by one."""
        ident = packed_with(stored)
        if ident is None:
            return stored
        return self._dictionary(ident).unpack(stored)

    def _dictionary(self, ident: bytes) -> EventDictionary:
        dictionary = self._known.get(ident)
        if dictionary is None:
            raise DictionaryMissingError(
                f"stored events packed with dictionary {ident.hex()}, which is not loaded"
            )
        return dictionary

    def pack_events(self, events: Mapping[str, bytes]) -> bytes:
        """A subject's events (event id → Avro bytes) as stored together (format 3)."""
        payload = msgpack.packb([[event_id, value] for event_id, value in events.items()])
        if self.current is None:
            ident, (compressor, _) = NO_DICTIONARY, _PLAIN_ZSTD
        else:
            ident, (compressor, _) = self.current.id, self.current.zstd
        return bytes((FORMAT_3,)) + ident + compressor.compress(payload)

    def unpack_events(self, stored: bytes) -> dict[str, bytes]:
        """A subject's events stored together (``pack_events``): event id → Avro bytes."""
        if len(stored) <= ID_BYTES or stored[0] != FORMAT_3:
            raise PackingError(f"stored events in unknown format {stored[:1].hex() or 'empty'}")
        ident = packed_with(stored)
        _, decompressor = _PLAIN_ZSTD if ident is None else self._dictionary(ident).zstd
        reader = decompressor.decompressobj()
        try:
            payload = reader.decompress(stored[1 + ID_BYTES :])
        except zstandard.ZstdError as exc:
            raise PackingError(f"stored events in format 3 do not decompress: {exc}") from exc
        if not reader.eof or reader.unused_data:
            raise PackingError("stored events in format 3 are truncated or have bytes after them")
        try:
            pairs = msgpack.unpackb(payload)
            return {str(event_id): bytes(value) for event_id, value in pairs}
        except (ValueError, TypeError, msgpack.UnpackException) as exc:
            raise PackingError(f"stored events in format 3 do not read as pairs: {exc}") from exc


def training_sample(value: bytes) -> bytes | None:
    """An event as a dictionary is made from it: its personal information blanked (None for an
    event that carries another record inside it, or that does not decode)."""
    try:
        name, datum = decode(value)
    except ContractError:
        return None
    if name == "ObjectionCorrected":
        return None
    personal = PERSONAL
    if is_personal(str(datum.get("subject_kind", "")), str(datum.get("subject_id", ""))):
        personal = PERSONAL | PERSONAL_SUBJECT
    for field in personal & datum.keys():
        if isinstance(datum[field], str):
            datum[field] = ""
    return encode(name, datum)


def make_dictionary(samples: Sequence[bytes]) -> bytes:
    """A dictionary of ``samples``: the last ``SIZE`` bytes of them one after another (DEFLATE
    reaches back 32 KB, and finds nearer strings in fewer bits)."""
    if not samples:
        raise PackingError("an event dictionary needs at least one sample")
    return b"".join(samples)[-SIZE:]


class Trainer:
    """Collects samples of the record events a worker takes in until a dictionary is made of
    them (``made``)."""

    def __init__(self, wanted: int = TRAINING_EVENTS) -> None:
        self.wanted = wanted
        self.made: bytes | None = None
        self._samples: list[bytes] = []

    def add(self, value: bytes) -> None:
        if self.made is not None:
            return
        sample = training_sample(value)
        if sample is not None:
            self._samples.append(sample)
        if len(self._samples) >= self.wanted:
            self.made, self._samples = make_dictionary(self._samples), []
