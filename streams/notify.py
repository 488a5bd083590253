"""Notices and relays as departments receive them: encoded, addressed, masked where required."""

from __future__ import annotations

import uuid
from datetime import datetime

from creditflow.departments import DepartmentRegistry
from creditflow.topics import TopicNames
from schemas.codec import encode_model
from schemas.enums import FeedbackStatus
from schemas.events import FeedbackReported, RecordRef
from schemas.identifiers import mask_subject_id, mask_subject_name
from schemas.notices import FeedbackRelayed, MeasureNotified
from streams.policy import Policy
from streams.rules.notices import NoticeIntent
from streams.store.store import OutgoingNotice

#: Ids of the platform's own messages are derived from what they are about, so that producing
#: the same notice or relay again yields the same id.
_NAMESPACE = uuid.UUID("6f1c2d7e-3b1a-4c55-9d0e-2a7c5e8b9f10")


def _shown(
    departments: DepartmentRegistry, department_id: str, kind: str, subject_id: str, name: str
) -> tuple[str, str]:
    """Subject id and name as this department may see them (个人信息保护)."""
    department = departments.get(department_id)
    if department is not None and department.personal_information:
        return subject_id, name
    return mask_subject_id(kind, subject_id), mask_subject_name(kind, name)


def build_notice(
    intent: NoticeIntent,
    subject: tuple[str, str, str],  # id, kind, name
    now: datetime,
    *,
    policy: Policy,
    departments: DepartmentRegistry,
    topics: TopicNames,
) -> OutgoingNotice:
    subject_id, kind, name = subject
    m = intent.measure
    shown_id, shown_name = _shown(departments, m.department_id, kind, subject_id, name)
    due = now + policy.feedback.deadline
    due_ms = int(due.timestamp() * 1000)
    notice = MeasureNotified(
        event_id=uuid.uuid5(_NAMESPACE, intent.notice_id),
        occurred_at=now,
        department_id=m.department_id,
        subject_id=shown_id,
        subject_kind=kind,
        subject_name=shown_name,
        notice_id=intent.notice_id,
        action=intent.action,
        measure_id=m.measure_id,
        measure_name=m.name,
        list=m.list,
        mandatory=m.mandatory,
        legal_basis=m.legal_basis,
        initiating_department_id=m.initiating_department_id,
        effective_from=m.since,
        effective_until=m.until,
        feedback_due=due,
        records=tuple(
            RecordRef(authority_uscc=r.authority, document_number=r.number) for r in m.records
        ),
        reason=intent.reason,
        cause=intent.cause,
    )
    record: dict[str, object] = {
        "department": m.department_id,
        "initiating": m.initiating_department_id,
        "measure": m.measure_id,
        "action": str(intent.action),
        "cause": str(intent.cause),
        "list": str(m.list),
        "created": int(now.timestamp() * 1000),
        "due": due_ms,
        "status": "pending",
    }
    return OutgoingNotice(
        intent.notice_id,
        record,
        m.department_id,
        due_ms,
        topics.notice(m.department_id),
        shown_id.encode(),
        encode_model(notice),
    )


def build_relay(
    feedback: FeedbackReported,
    notice: dict[str, object],
    now: datetime,
    departments: DepartmentRegistry,
    topics: TopicNames,
) -> tuple[str, bytes, bytes]:
    """(topic, key, value) of the relay of ``feedback`` to the notice's initiating department."""
    initiating = str(notice["initiating"])
    kind = str(feedback.subject_kind)
    shown_id, shown_name = _shown(
        departments, initiating, kind, feedback.subject_id, feedback.subject_name
    )
    relay = FeedbackRelayed(
        event_id=uuid.uuid5(_NAMESPACE, f"relay:{feedback.event_id}"),
        occurred_at=now,
        department_id=initiating,
        subject_id=shown_id,
        subject_kind=kind,
        subject_name=shown_name,
        notice_id=feedback.notice_id,
        implementing_department_id=feedback.department_id,
        measure_id=str(notice["measure"]),
        status=FeedbackStatus(feedback.status),
        note=feedback.note,
        reported_at=feedback.occurred_at,
    )
    return topics.notice(initiating), shown_id.encode(), encode_model(relay)


def dead_letter_id(topic: str, partition: int, offset: int) -> uuid.UUID:
    """One dead letter per input message, however often it is rejected."""
    return uuid.uuid5(_NAMESPACE, f"dead:{topic}:{partition}:{offset}")
