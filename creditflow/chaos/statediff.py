"""Where two end states differ, subject by subject: when the digests differ, this says what.

For each subject of the workload it compares, under the clean and the chaos prefix, the derived
state (the digest's canonical snapshot), the event ids stored and the notice ids recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import redis

from streams.digest import canonical_snapshot
from streams.store.keys import Keys
from streams.store.store import StoredEvents

CHUNK = 500
EXAMPLES = 10


@dataclass
class StateDiff:
    subjects: int = 0  # subjects compared
    state: int = 0  # derived state differs (or exists on one side only)
    events: int = 0  # stored event ids differ
    notices: int = 0  # recorded notice ids differ
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not (self.state or self.events or self.notices)

    def report(self) -> dict[str, Any]:
        return {
            "subjects_compared": self.subjects,
            "subjects_with_different_state": self.state,
            "subjects_with_different_events": self.events,
            "subjects_with_different_notices": self.notices,
            "examples": self.examples,
        }


@dataclass(frozen=True, slots=True)
class _Side:
    snapshot: str | None
    events: frozenset[str]
    notices: frozenset[str]


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _read(client: redis.Redis, stored: StoredEvents, subjects: list[str]) -> list[_Side]:
    keys = stored.keys
    pipe = client.pipeline(transaction=False)
    for sid in subjects:
        pipe.hget(keys.state(sid), "snapshot")
        pipe.hkeys(keys.notices(sid))
    replies: list[Any] = pipe.execute()
    events = stored.ids(subjects)
    sides = []
    for index, sid in enumerate(subjects):
        raw, notices = replies[2 * index : 2 * index + 2]
        sides.append(
            _Side(
                None if raw is None else canonical_snapshot(raw),
                frozenset(events[sid]),
                frozenset(bytes(n).decode() for n in notices),
            )
        )
    return sides


def _example(sid: str, clean: _Side, chaos: _Side) -> dict[str, Any]:
    example: dict[str, Any] = {"subject": sid}
    if clean.snapshot != chaos.snapshot:
        example["state"] = {"clean": clean.snapshot, "chaos": chaos.snapshot}
    if clean.events != chaos.events:
        example["events_missing"] = sorted(clean.events - chaos.events)
        example["events_extra"] = sorted(chaos.events - clean.events)
    if clean.notices != chaos.notices:
        example["notices_missing"] = sorted(clean.notices - chaos.notices)
        example["notices_extra"] = sorted(chaos.notices - clean.notices)
    return example


def diff_states(client: redis.Redis, clean: Keys, chaos: Keys, subjects: list[str]) -> StateDiff:
    diff = StateDiff()
    # One reader a side for every chunk: the event dictionaries are read from Redis once.
    clean_events, chaos_events = StoredEvents(client, clean), StoredEvents(client, chaos)
    for chunk in _chunks(sorted(subjects)):
        sides = zip(
            chunk,
            _read(client, clean_events, chunk),
            _read(client, chaos_events, chunk),
            strict=True,
        )
        for sid, a, b in sides:
            diff.subjects += 1
            if a == b:
                continue
            diff.state += a.snapshot != b.snapshot
            diff.events += a.events != b.events
            diff.notices += a.notices != b.notices
            if len(diff.examples) < EXAMPLES:
                diff.examples.append(_example(sid, a, b))
    return diff
