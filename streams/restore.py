"""What departments were told, restored from the notices they received (pure: no I/O).

A notice's id is ``notice_id(subject, measure, department, seq)``, and the sequence counts the
notices of that (measure, department) pair. Recomputing the id is how a notice is tied to its
subject and its place in the pair's history:

- a department without personal information was shown a natural person's id masked
  (``3212**********1234``); the real subject is the one among the log's subjects with that mask
  whose id, measure, department and some sequence hash to the notice id. No other notice is
  needed (a measure may have no department with personal information at all), and a mask shared
  by several residents cannot mislead, since only the right subject reproduces the hash;
- the last notice of a pair is the one with the highest sequence, not the last on the topic:
  several workers' relays publish concurrently, so topic order is not the order of sending.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas.enums import ListKind
from schemas.identifiers import is_masked_resident_id, mask_resident_id
from streams.rules.facts import Ref
from streams.rules.notices import ACTIVE, LIFTED, SUSPENDED, Notified, notice_id
from streams.rules.state import MeasureInForce

#: The status a pair is in after a notice with this action.
STATUS_AFTER = {"INITIATE": ACTIVE, "RESUME": ACTIVE, "SUSPEND": SUSPENDED, "LIFT": LIFTED}
#: Sequences tried beyond the number of notices seen for a pair (a lost notice leaves a gap).
SEQ_SLACK = 8


def _ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class SentNotice:
    """A MeasureNotified as its department received it (subject id possibly masked)."""

    notice_id: str
    shown_subject: str
    department_id: str
    action: str
    cause: str
    measure: MeasureInForce

    @classmethod
    def from_datum(cls, datum: Mapping[str, Any]) -> SentNotice:
        """From the decoded Avro datum of a MeasureNotified."""
        measure = MeasureInForce(
            measure_id=datum["measure_id"],
            name=datum["measure_name"],
            department_id=datum["department_id"],
            list=ListKind(datum["list"]),
            mandatory=datum["mandatory"],
            legal_basis=datum["legal_basis"],
            initiating_department_id=datum["initiating_department_id"],
            since=datum["effective_from"],
            until=datum["effective_until"],
            records=tuple(Ref(r["authority_uscc"], r["document_number"]) for r in datum["records"]),
            suspended=datum["action"] == "SUSPEND",
        )
        return cls(
            datum["notice_id"],
            datum["subject_id"],
            datum["department_id"],
            datum["action"],
            datum["cause"],
            measure,
        )

    def record(self, created: datetime, due: datetime | None) -> dict[str, Any]:
        """The notice record the platform keeps (``streams.notify.build_notice``), pending."""
        m = self.measure
        return {
            "department": m.department_id,
            "initiating": m.initiating_department_id,
            "measure": m.measure_id,
            "action": self.action,
            "cause": self.cause,
            "list": str(m.list),
            "created": _ms(created),
            "due": _ms(due) if due is not None else _ms(created),
            "status": "pending",
        }


@dataclass
class RestoredNotices:
    """Per subject: its notice records by id, and what each department was last told."""

    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    told: dict[str, dict[tuple[str, str], Notified]] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)  # notice ids no known subject explains
    gaps: int = 0  # pairs whose sequences are not 1..n (a notice missing from the topic)

    @property
    def count(self) -> int:
        return sum(len(records) for records in self.records.values())

    def subject_of(self) -> dict[str, str]:
        """Notice id → subject id (the ``notice-subjects`` index)."""
        return {nid: sid for sid, records in self.records.items() for nid in records}


def masks(subjects: Iterable[str]) -> dict[str, list[str]]:
    """Masked id → the residents who have it (a mask may be shared)."""
    by_mask: dict[str, list[str]] = defaultdict(list)
    for sid in subjects:
        by_mask[mask_resident_id(sid)].append(sid)
    return dict(by_mask)


def _locate(notice: SentNotice, candidates: Iterable[str], most: int) -> tuple[str, int] | None:
    """The subject and sequence whose notice id this is."""
    people = list(candidates)
    for seq in range(1, most + SEQ_SLACK + 1):
        for sid in people:
            if (
                notice_id(sid, notice.measure.measure_id, notice.department_id, seq)
                == notice.notice_id
            ):
                return sid, seq
    return None


def restore_notices(
    sent: Iterable[tuple[SentNotice, datetime, datetime | None]],
    residents: Mapping[str, list[str]],
) -> RestoredNotices:
    """Notice records and told maps from the notices sent: (notice, occurred_at, feedback_due).

    ``residents`` maps masked ids to the real ids of the log's residents (``masks``).
    """
    unique: dict[str, tuple[SentNotice, datetime, datetime | None]] = {}
    for item in sent:
        unique.setdefault(item[0].notice_id, item)  # a notice published twice is one notice
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    for notice, _, _ in unique.values():
        seen[(notice.shown_subject, notice.measure.measure_id, notice.department_id)] += 1
    restored = RestoredNotices()
    history: dict[tuple[str, str, str], dict[int, SentNotice]] = defaultdict(dict)
    for notice, created, due in unique.values():
        shown = notice.shown_subject
        candidates = residents.get(shown, []) if is_masked_resident_id(shown) else [shown]
        most = seen[(shown, notice.measure.measure_id, notice.department_id)]
        found = _locate(notice, candidates, most)
        if found is None:
            restored.unmatched.append(notice.notice_id)
            continue
        sid, seq = found
        restored.records.setdefault(sid, {})[notice.notice_id] = notice.record(created, due)
        history[(sid, notice.measure.measure_id, notice.department_id)][seq] = notice
    for (sid, measure_id, department_id), by_seq in history.items():
        last = max(by_seq)
        restored.gaps += len(by_seq) != last
        notice = by_seq[last]
        told = restored.told.setdefault(sid, {})
        told[(measure_id, department_id)] = Notified(
            STATUS_AFTER[notice.action], last, notice.measure
        )
    return restored


@dataclass(frozen=True, slots=True)
class Answer:
    """An accepted FeedbackReported: who answered which notice, how, when."""

    event_id: str
    shown_subject: str
    department_id: str
    notice_id: str
    status: str
    answered: datetime


def apply_answers(restored: RestoredNotices, answers: Iterable[Answer]) -> list[tuple[str, str]]:
    """Mark answered the notices the answers name (as ``feedback.lua`` did), in log order; the
    (subject, notice id) of each notice answered. Answers the workers refused change nothing."""
    subject_of = restored.subject_of()
    answered: dict[tuple[str, str], None] = {}
    for answer in answers:
        sid: str | None = answer.shown_subject
        if is_masked_resident_id(answer.shown_subject):
            sid = subject_of.get(answer.notice_id)
            if sid is None or mask_resident_id(sid) != answer.shown_subject:
                continue
        record = restored.records.get(sid or "", {}).get(answer.notice_id)
        if record is None or record["department"] != answer.department_id:
            continue
        if record.get("feedback_event") == answer.event_id:
            continue
        record.update(
            status="answered",
            feedback=answer.status,
            feedback_event=answer.event_id,
            answered=_ms(answer.answered),
        )
        answered[(sid or "", answer.notice_id)] = None
    return list(answered)
