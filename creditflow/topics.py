"""Every topic name of the contract (DESIGN.md, Topics), in one place."""

from __future__ import annotations

from collections.abc import Iterable

PERMIT = "credit.permit.v1"
PENALTY = "credit.penalty.v1"
REPAIR = "credit.repair.v1"
COMMENDATION = "credit.commendation.v1"
OBJECTION = "credit.objection.v1"
FEEDBACK = "credit.feedback.v1"
DEADLETTER = "credit.deadletter.v1"
AUDIT = "credit.audit.v1"

#: Record topics written by departments and read by the platform, by event kind.
RECORD_TOPICS: dict[str, str] = {
    "permit": PERMIT,
    "penalty": PENALTY,
    "repair": REPAIR,
    "commendation": COMMENDATION,
    "objection": OBJECTION,
}

#: The topic of every event kind a department publishes.
EVENT_TOPICS: dict[str, str] = {**RECORD_TOPICS, "feedback": FEEDBACK}

#: Every topic the workers consume: the record topics and the feedback topic.
INPUT_TOPICS: tuple[str, ...] = (*RECORD_TOPICS.values(), FEEDBACK)


def notice_topic(department_id: str) -> str:
    """The topic that carries one department's notices."""
    return f"credit.notice.{department_id}.v1"


def all_topics(department_ids: Iterable[str]) -> list[str]:
    """Every topic of the contract for the given departments."""
    return [*INPUT_TOPICS, DEADLETTER, AUDIT, *(notice_topic(d) for d in sorted(department_ids))]
