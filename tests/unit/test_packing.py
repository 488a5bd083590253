"""How snapshots and told maps are stored: packed, read back exactly, old values still read."""

from __future__ import annotations

import hashlib

import orjson
import pytest

from creditflow.departments import load_departments
from streams.policy import load_policy
from streams.rules import derive
from streams.snapshot import state_to_dict
from streams.store import packing
from streams.store.packing import PackingError, is_packed, load_json, pack, unpack
from tests import factories as f
from tests.unit.rules_helpers import at, fact

POLICY = load_policy(None, load_departments())


def _snapshot() -> bytes:
    state = derive([fact(f.penalty(serious=True))], POLICY, at(2024, 3, 5))
    return orjson.dumps(state_to_dict(f.COMPANY, state, at(2024, 3, 5)))


def test_a_packed_snapshot_reads_back_exactly_and_is_a_fraction_of_its_size() -> None:
    snapshot = _snapshot()
    packed = pack(snapshot)
    assert is_packed(packed)
    assert unpack(packed) == snapshot
    assert len(packed) < len(snapshot) / 4, (len(packed), len(snapshot))


def test_a_value_larger_than_the_window_reads_back_exactly() -> None:
    value = orjson.dumps([orjson.loads(_snapshot())] * 40)
    assert len(value) > 32 * 1024
    assert unpack(pack(value)) == value


def test_values_written_before_packing_are_read_as_they_are() -> None:
    snapshot = _snapshot()
    assert not is_packed(snapshot)
    assert unpack(snapshot) == snapshot
    assert unpack(b"[]") == b"[]"
    assert unpack(b"") == b""


def test_a_stored_json_field_loads_whatever_its_form() -> None:
    snapshot = _snapshot()
    expected = orjson.loads(snapshot)
    assert load_json(pack(snapshot)) == expected
    assert load_json(snapshot) == expected
    assert load_json(snapshot.decode()) == expected


def test_a_value_in_no_known_format_is_an_error_not_a_guess() -> None:
    packed = pack(_snapshot())
    with pytest.raises(PackingError, match="unknown format 7"):
        unpack(b"\x07" + packed[1:])
    with pytest.raises(PackingError, match="truncated"):
        unpack(packed[:-3])
    with pytest.raises(PackingError, match="bytes after its end"):
        unpack(packed + b"x")


def test_the_dictionary_of_format_1_never_changes() -> None:
    # Every value stored in format 1 needs exactly these bytes to be read again.
    assert hashlib.sha256(packing.DICTIONARY_1).hexdigest() == (
        "ebb6718dc9cd7535efb3ad1d7decc2e1b1756d1112e2a7ffe1014d8a4641e502"
    )
