"""A deterministic hash of what the platform derived: to compare Redis before and after a rebuild.

It covers every subject's derived state (the snapshot, minus ``derived_at``, which records when it
was computed, not what), list membership with each member's listing time, and the ids of every
notice ever produced. It leaves out what legitimately differs between two platforms with the same
log: versions, due-time leases, the outbox, notice statuses that move with the clock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import redis

from streams.keyspace import glob_escape
from streams.store.keys import Keys
from streams.store.packing import load_json

#: Snapshot fields that say when the state was computed, not what it is.
VOLATILE = frozenset({"derived_at"})
CHUNK = 1000


@dataclass(frozen=True, slots=True)
class Digest:
    """The hash and its parts (``--json``)."""

    digest: str
    subjects: int
    lists: dict[str, int]
    notices: int
    parts: dict[str, str] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "subjects": self.subjects,
            "lists": dict(self.lists),
            "notices": self.notices,
            "parts": dict(self.parts),
        }


def canonical_snapshot(raw: str | bytes) -> str:
    """The snapshot (as stored, packed or not) as sorted, compact JSON without its volatile
    fields: the digest is the same whichever format the snapshots are stored in."""
    snapshot = load_json(raw)
    stable = {k: v for k, v in snapshot.items() if k not in VOLATILE}
    return json.dumps(stable, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _hash(lines: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def compute_digest(
    snapshots: Mapping[str, str | bytes],
    lists: Mapping[str, Iterable[tuple[str, float]]],
    notices: Mapping[str, Iterable[str]],
) -> Digest:
    """The digest of subject → snapshot, list → (member, score), subject → notice ids.

    Pure and order-free: every collection is sorted before it is hashed.
    """
    subject_lines = (f"{sid}\t{canonical_snapshot(snapshots[sid])}" for sid in sorted(snapshots))
    members = {name: sorted(entries) for name, entries in lists.items()}
    list_lines = (
        f"{name}\t{member}\t{score:.0f}"
        for name in sorted(members)
        for member, score in members[name]
    )
    notice_ids = sorted(f"{sid}|{nid}" for sid, ids in notices.items() for nid in ids)
    parts = {
        "subjects": _hash(subject_lines),
        "lists": _hash(list_lines),
        "notices": _hash(notice_ids),
    }
    total = _hash(f"{name}\t{value}" for name, value in sorted(parts.items()))
    return Digest(
        digest=total,
        subjects=len(snapshots),
        lists={name: len(entries) for name, entries in sorted(members.items())},
        notices=len(notice_ids),
        parts=parts,
    )


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def _subject_of(key: str, prefix: str, suffix: str) -> str:
    # <prefix>{<subject>}<suffix>: the subject id sits inside the hash tag.
    return key[len(prefix) + 1 : -len(suffix) - 1]


def _scan(client: redis.Redis, pattern: str) -> list[str]:
    return sorted(_text(k) for k in client.scan_iter(match=pattern, count=CHUNK))


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def read_digest(client: redis.Redis, keys: Keys) -> Digest:
    """Read everything the digest covers under ``keys.prefix`` and hash it."""
    prefix = glob_escape(keys.prefix)
    snapshots: dict[str, bytes] = {}
    for chunk in _chunks(_scan(client, f"{prefix}{{*}}:state")):
        pipe = client.pipeline(transaction=False)
        for key in chunk:
            pipe.hget(key, "snapshot")
        for key, raw in zip(chunk, pipe.execute(), strict=True):
            if raw is not None:  # a state hash holding only what departments were told
                snapshots[_subject_of(key, keys.prefix, ":state")] = raw
    lists: dict[str, list[tuple[str, float]]] = {}
    for key in _scan(client, f"{prefix}list:*"):
        reply: Any = client.zrange(key, 0, -1, withscores=True)
        lists[key[len(keys.prefix) + len("list:") :]] = [(_text(m), float(s)) for m, s in reply]
    notices: dict[str, list[str]] = {}
    for chunk in _chunks(_scan(client, f"{prefix}{{*}}:notices")):
        pipe = client.pipeline(transaction=False)
        for key in chunk:
            pipe.hkeys(key)
        for key, ids in zip(chunk, pipe.execute(), strict=True):
            notices[_subject_of(key, keys.prefix, ":notices")] = [_text(i) for i in ids]
    return compute_digest(snapshots, lists, notices)
