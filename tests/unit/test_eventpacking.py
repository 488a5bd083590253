"""Stored events packed with a dictionary made of other subjects' records
(streams.store.eventpacking): read back exactly, a fraction of their size, and a dictionary that
holds nothing personal."""

from __future__ import annotations

import hashlib

import pytest

from creditflow.bench.workload import generate
from creditflow.settings import Settings
from schemas.codec import decode, encode_model
from streams.store.eventpacking import (
    FORMAT_2,
    FORMAT_3,
    NO_DICTIONARY,
    SIZE,
    DictionaryMissingError,
    EventDictionary,
    EventPacking,
    Trainer,
    dictionary_id,
    make_dictionary,
    packed_with,
    training_sample,
)
from streams.store.packing import PackingError
from tests import factories as f


@pytest.fixture(scope="module")
def records() -> list[tuple[bytes, bytes]]:
    """(subject id, event) of the record events of a demo-mix workload, in publishing order."""
    load = generate(3, 6_000, 1_200, Settings(), processes=1)
    return [(key, value) for kind, key, value in load.messages if kind != "feedback"]


def _trained(records: list[tuple[bytes, bytes]]) -> tuple[EventPacking, int]:
    """A packing with the dictionary a worker makes of the first records it takes in, and how
    many records that took."""
    trainer = Trainer()
    taken = 0
    while trainer.made is None:
        trainer.add(records[taken][1])
        taken += 1
    packing = EventPacking()
    packing.use(trainer.made)
    return packing, taken


def test_events_of_other_subjects_pack_to_a_third_of_their_size_and_read_back_exactly(
    records: list[tuple[bytes, bytes]],
) -> None:
    packing, taken = _trained(records)
    seen = {subject for subject, _ in records[:taken]}
    others = [value for subject, value in records[taken:] if subject not in seen]
    assert len(others) > 2_000
    packed = [packing.pack(value) for value in others]
    assert all(p[0] == FORMAT_2 for p in packed)
    assert [packing.unpack(p) for p in packed] == others
    assert sum(map(len, packed)) < sum(map(len, others)) / 3


def test_a_subjects_events_stored_together_read_back_exactly_in_fewer_bytes_than_one_by_one(
    records: list[tuple[bytes, bytes]],
) -> None:
    packing, taken = _trained(records)
    by_subject: dict[bytes, dict[str, bytes]] = {}
    for subject, value in records[taken:]:
        _, datum = decode(value)
        by_subject.setdefault(subject, {})[str(datum["event_id"])] = value
    several = [events for events in by_subject.values() if len(events) >= 3]
    assert len(several) > 200
    together = [packing.pack_events(events) for events in several]
    assert {t[0] for t in together} == {FORMAT_3}
    assert {packed_with(t) for t in together} == {packing.current.id}  # type: ignore[union-attr]
    assert [packing.unpack_events(t) for t in together] == several
    # One by one, each packed and named by its id beside it, as stored before:
    one_by_one = sum(len(eid) + len(packing.pack(v)) for e in several for eid, v in e.items())
    assert sum(map(len, together)) < one_by_one * 0.75


def test_events_stored_together_before_a_dictionary_name_none_and_read_back() -> None:
    events = {str(e.event_id): encode_model(e) for e in (f.penalty(), f.permit())}
    together = EventPacking().pack_events(events)
    assert together[0] == FORMAT_3
    assert together[1:5] == NO_DICTIONARY
    assert packed_with(together) is None
    assert EventPacking().unpack_events(together) == events
    assert EventPacking().unpack_events(EventPacking().pack_events({})) == {}


def test_events_stored_together_that_are_damaged_or_name_a_dictionary_not_loaded_are_errors() -> (
    None
):
    packing = EventPacking()
    packing.use(b"a dictionary of events " * 100)
    together = packing.pack_events({"e-1": encode_model(f.penalty())})
    other = EventPacking()
    assert other.missing([together]) == {packing.current.id}  # type: ignore[union-attr]
    with pytest.raises(DictionaryMissingError):
        other.unpack_events(together)
    for damaged in (together[:-3], together + b"more", together[:5] + b"\x00" * 20):
        with pytest.raises(PackingError):
            packing.unpack_events(damaged)
    with pytest.raises(PackingError, match="unknown format"):
        packing.unpack_events(packing.pack(encode_model(f.penalty())))  # one event, format 2


def test_events_stored_before_a_dictionary_are_read_as_they_are() -> None:
    event = encode_model(f.penalty())
    packing = EventPacking()
    assert packing.pack(event) == event  # no dictionary yet: stored as it is
    assert packed_with(event) is None
    packing.use(make_dictionary([encode_model(f.permit())]))
    assert packing.unpack(event) == event


def test_a_value_naming_a_dictionary_not_loaded_is_an_error_and_so_is_a_damaged_one() -> None:
    event = encode_model(f.penalty())
    writer, reader = EventPacking(), EventPacking()
    writer.use(make_dictionary([encode_model(f.permit())]))
    packed = writer.pack(event)
    assert packed_with(packed) == dictionary_id(writer.current.data if writer.current else b"")
    assert reader.missing([packed, event]) == {packed_with(packed)}
    with pytest.raises(DictionaryMissingError):
        reader.unpack(packed)
    for damaged in (packed[:-3], packed + b"\x00"):
        with pytest.raises(PackingError):
            writer.unpack(damaged)


def test_a_dictionary_id_is_its_hash_and_its_size_is_bounded() -> None:
    data = make_dictionary([b"x" * 100])
    assert EventDictionary(data).id == hashlib.sha256(data).digest()[:4]
    assert len(make_dictionary([b"y" * (SIZE + 10)])) == SIZE
    with pytest.raises(PackingError):
        EventDictionary(b"z" * (SIZE + 1))


def test_a_dictionary_holds_no_personal_information_of_the_records_it_was_made_of() -> None:
    representative = {
        "legal_representative": "李四",
        "legal_representative_id_type": "RESIDENT_ID_CARD",
        "legal_representative_id_number": "44011320141005001X",
    }
    company, person = f.penalty(**representative), f.permit(subject_id=f.PERSON)
    trainer = Trainer(wanted=2)
    for event in (company, person):
        trainer.add(encode_model(event))
    made = trainer.made
    assert made is not None
    for personal in ("李四", "44011320141005001X", f.PERSON, person.subject_name):
        assert personal.encode() not in made, personal
    # What is public and what subjects share stays: a company's name and USCC, legal bases.
    assert company.subject_name.encode() in made
    assert f.COMPANY.encode() in made
    assert "《中华人民共和国反不正当竞争法》第二十条".encode() in made


def test_a_training_sample_keeps_the_event_but_blanks_a_natural_person() -> None:
    name, datum = decode(training_sample(encode_model(f.penalty(subject_id=f.PERSON))) or b"")
    assert name == "PenaltyImposed"
    assert datum["subject_id"] == datum["subject_name"] == ""
    assert datum["document_number"] == "泰市监处罚〔2024〕101号"
    # A correction carries a whole record inside it: not a sample.
    assert training_sample(encode_model(f.objection_corrected())) is None


def test_a_trainer_makes_one_dictionary_once_it_has_enough_samples() -> None:
    trainer = Trainer(wanted=2)
    trainer.add(encode_model(f.penalty()))
    assert trainer.made is None
    trainer.add(encode_model(f.objection_corrected()))  # not a sample
    assert trainer.made is None
    trainer.add(encode_model(f.permit()))
    made = trainer.made
    assert made is not None
    trainer.add(encode_model(f.commendation()))
    assert trainer.made is made
