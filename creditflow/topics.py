"""Every topic name of the contract (DESIGN.md, Topics), in one place.

``TopicNames(prefix)`` gives the same set under a prefix, so that a test or a second tenant on
one cluster has topics of its own; the contract's names are those of the empty prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Event kinds departments publish, in the order of the contract's table.
RECORD_KINDS = ("permit", "penalty", "repair", "commendation", "objection")
_INPUT_KINDS = frozenset((*RECORD_KINDS, "feedback"))


@dataclass(frozen=True, slots=True)
class TopicNames:
    prefix: str = ""

    def _name(self, middle: str) -> str:
        return f"{self.prefix}credit.{middle}.v1"

    def event(self, kind: str) -> str:
        """The topic of an event kind (a record kind or ``feedback``)."""
        if kind not in (*RECORD_KINDS, "feedback"):
            raise ValueError(f"no topic for the event kind {kind!r}")
        return self._name(kind)

    @property
    def feedback(self) -> str:
        return self._name("feedback")

    @property
    def deadletter(self) -> str:
        return self._name("deadletter")

    @property
    def audit(self) -> str:
        return self._name("audit")

    def notice(self, department_id: str) -> str:
        """The topic that carries one department's notices."""
        return self._name(f"notice.{department_id}")

    @property
    def records(self) -> dict[str, str]:
        return {kind: self.event(kind) for kind in RECORD_KINDS}

    @property
    def inputs(self) -> tuple[str, ...]:
        """Every topic the workers consume: the record topics and the feedback topic."""
        return (*self.records.values(), self.feedback)

    def kind_of(self, topic: str) -> str | None:
        """The event kind an input topic carries, or None."""
        head, tail = f"{self.prefix}credit.", ".v1"
        if not (topic.startswith(head) and topic.endswith(tail)):
            return None
        kind = topic[len(head) : -len(tail)]
        return kind if kind in _INPUT_KINDS else None

    def all(self, department_ids: Iterable[str]) -> list[str]:
        """Every topic of the contract for the given departments."""
        notices = (self.notice(d) for d in sorted(department_ids))
        return [*self.inputs, self.deadletter, self.audit, *notices]


CONTRACT = TopicNames()

PERMIT = CONTRACT.event("permit")
PENALTY = CONTRACT.event("penalty")
REPAIR = CONTRACT.event("repair")
COMMENDATION = CONTRACT.event("commendation")
OBJECTION = CONTRACT.event("objection")
FEEDBACK = CONTRACT.feedback
DEADLETTER = CONTRACT.deadletter
AUDIT = CONTRACT.audit
