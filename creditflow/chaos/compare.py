"""The clean run against the chaos run: their digests and the notices departments received.

Pure: the notices come in as the ids read from the notice topics (``department/notice_id``, one
per delivery, duplicates included), the digests as ``streams.digest`` computes them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from streams.digest import Digest

#: How many ids of each kind of discrepancy the report lists.
EXAMPLES = 10


@dataclass(frozen=True, slots=True)
class Deliveries:
    """Notices as a department's consumer sees them: every delivery, and the distinct ids."""

    count: int
    distinct: int

    @classmethod
    def of(cls, ids: Iterable[str]) -> Deliveries:
        counts = Counter(ids)
        return cls(sum(counts.values()), len(counts))

    @property
    def same_id_duplicates(self) -> int:
        """Deliveries of an id already delivered: harmless, departments ignore the second."""
        return self.count - self.distinct


@dataclass(frozen=True, slots=True)
class NoticeComparison:
    clean: Deliveries
    chaos: Deliveries
    lost: list[str]  # delivered in the clean run, never in the chaos run (sorted)
    unexpected: list[str]  # delivered in the chaos run only: a duplicate with a different id

    @property
    def ok(self) -> bool:
        return not self.lost and not self.unexpected

    def report(self) -> dict[str, Any]:
        return {
            "delivered_clean": self.clean.count,
            "distinct_clean": self.clean.distinct,
            "delivered_chaos": self.chaos.count,
            "distinct_chaos": self.chaos.distinct,
            "lost": len(self.lost),
            "lost_examples": self.lost[:EXAMPLES],
            "duplicated_with_different_ids": len(self.unexpected),
            "different_id_examples": self.unexpected[:EXAMPLES],
            "duplicates_with_same_id": self.chaos.same_id_duplicates,
            "duplicates_with_same_id_clean": self.clean.same_id_duplicates,
        }


def compare_notices(clean: Iterable[str], chaos: Iterable[str]) -> NoticeComparison:
    clean_ids, chaos_ids = list(clean), list(chaos)
    clean_set, chaos_set = set(clean_ids), set(chaos_ids)
    return NoticeComparison(
        clean=Deliveries.of(clean_ids),
        chaos=Deliveries.of(chaos_ids),
        lost=sorted(clean_set - chaos_set),
        unexpected=sorted(chaos_set - clean_set),
    )


@dataclass(frozen=True, slots=True)
class DigestComparison:
    clean: Digest
    chaos: Digest

    @property
    def match(self) -> bool:
        return self.clean.digest == self.chaos.digest

    @property
    def differing_parts(self) -> list[str]:
        """The digest's parts (subjects, lists, notices) whose hashes differ."""
        parts = sorted(set(self.clean.parts) | set(self.chaos.parts))
        return [p for p in parts if self.clean.parts.get(p) != self.chaos.parts.get(p)]

    def report(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "differing_parts": self.differing_parts,
            "clean": self.clean.report(),
            "chaos": self.chaos.report(),
        }
