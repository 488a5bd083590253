"""The state digest: the same state in any order gives the same hash; any real change another."""

from __future__ import annotations

import json
import random

from streams.digest import canonical_snapshot, compute_digest
from streams.keyspace import glob_escape
from streams.store.packing import pack


def snapshot(subject: str, derived_at: str = "2024-03-05T00:00:00Z", **fields: object) -> str:
    data = {"subject_id": subject, "black_list": False, "score": 80, "derived_at": derived_at}
    data.update(fields)
    return json.dumps(data)


SNAPSHOTS = {f"9132{i:014d}": snapshot(f"9132{i:014d}", score=60 + i) for i in range(20)}
LISTS = {"BLACK": [("913200000000000003", 1.7e12), ("913200000000000007", 1.6e12)], "RED": []}
NOTICES = {"913200000000000003": ["n-aa", "n-bb"], "913200000000000007": ["n-cc"]}


def shuffled(
    rng: random.Random,
) -> tuple[dict[str, str], dict[str, list[tuple[str, float]]], dict[str, list[str]]]:
    snapshots = list(SNAPSHOTS.items())
    rng.shuffle(snapshots)
    lists = {name: rng.sample(entries, len(entries)) for name, entries in reversed(LISTS.items())}
    notices = {sid: rng.sample(ids, len(ids)) for sid, ids in reversed(NOTICES.items())}
    return dict(snapshots), lists, notices


def test_the_digest_ignores_order() -> None:
    expected = compute_digest(SNAPSHOTS, LISTS, NOTICES)
    rng = random.Random(3)
    for _ in range(10):
        assert compute_digest(*shuffled(rng)) == expected
    assert expected.subjects == 20
    assert expected.lists == {"BLACK": 2, "RED": 0}
    assert expected.notices == 3


def test_the_time_of_derivation_and_the_key_order_of_a_snapshot_do_not_count() -> None:
    sid = "913200000000000003"
    rewritten = json.loads(SNAPSHOTS[sid])
    reordered = json.dumps(dict(reversed(list(rewritten.items()))), indent=2)
    later = {**SNAPSHOTS, sid: snapshot(sid, "2030-01-01T00:00:00Z", score=63)}
    assert canonical_snapshot(reordered) == canonical_snapshot(SNAPSHOTS[sid])
    assert compute_digest(later, LISTS, NOTICES) == compute_digest(SNAPSHOTS, LISTS, NOTICES)


def test_a_packed_snapshot_counts_as_the_json_it_holds() -> None:
    packed = {sid: pack(raw.encode()) for sid, raw in SNAPSHOTS.items()}
    assert compute_digest(packed, LISTS, NOTICES) == compute_digest(SNAPSHOTS, LISTS, NOTICES)
    sid = "913200000000000003"
    changed = {**packed, sid: pack(snapshot(sid, score=1).encode())}
    assert compute_digest(changed, LISTS, NOTICES) != compute_digest(SNAPSHOTS, LISTS, NOTICES)


def test_every_real_difference_changes_the_digest() -> None:
    base = compute_digest(SNAPSHOTS, LISTS, NOTICES).digest
    sid = "913200000000000003"
    changed_state = {**SNAPSHOTS, sid: snapshot(sid, score=10)}
    fewer_subjects = {k: v for k, v in SNAPSHOTS.items() if k != sid}
    moved_listing = {**LISTS, "BLACK": [("913200000000000003", 1.8e12), LISTS["BLACK"][1]]}
    other_list = {"BLACK": LISTS["BLACK"][:1], "RED": LISTS["BLACK"][1:]}
    one_more_notice = {**NOTICES, sid: ["n-aa", "n-bb", "n-dd"]}
    variants = [
        compute_digest(changed_state, LISTS, NOTICES),
        compute_digest(fewer_subjects, LISTS, NOTICES),
        compute_digest(SNAPSHOTS, moved_listing, NOTICES),
        compute_digest(SNAPSHOTS, other_list, NOTICES),
        compute_digest(SNAPSHOTS, LISTS, one_more_notice),
    ]
    digests = {v.digest for v in variants}
    assert base not in digests
    assert len(digests) == len(variants)


def test_a_prefix_is_matched_literally() -> None:
    assert glob_escape("t1:") == "t1:"
    assert glob_escape("a*b?[c]\\") == "a\\*b\\?\\[c\\]\\\\"
