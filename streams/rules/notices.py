"""What departments must be told: the difference between what they were told and the state.

Every (measure, implementing department) pair keeps a count of the notices sent for it; a
notice's id is a hash of the subject, the pair and that count, so processing the same change
again yields the same ids, and a department that sees an id twice ignores the second.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from schemas.enums import ListKind, NoticeAction, NoticeCause
from streams.rules.state import MeasureInForce, SubjectState

ACTIVE, SUSPENDED, LIFTED = "ACTIVE", "SUSPENDED", "LIFTED"
LIST_NAMES = {
    ListKind.BLACK: "严重失信主体名单",
    ListKind.RED: "诚信典型名单",
    ListKind.THREE_YEAR_CLEAN: "连续三年无不良信用记录",
}
_BEGIN = {
    ListKind.BLACK: NoticeCause.LISTED,
    ListKind.RED: NoticeCause.DESIGNATED,
    ListKind.THREE_YEAR_CLEAN: NoticeCause.CLEAN,
}
# When several entries end at once the strongest cause is reported.
_PRECEDENCE = [
    NoticeCause.REVOKED,
    NoticeCause.REPAIRED,
    NoticeCause.ENDED_BY_PENALTY,
    NoticeCause.EXPIRED,
]
_WORDS = {
    NoticeCause.LISTED: "列入严重失信主体名单",
    NoticeCause.DESIGNATED: "认定为诚信典型",
    NoticeCause.CLEAN: "连续三年无不良信用记录",
    NoticeCause.EXPIRED: "期满",
    NoticeCause.REPAIRED: "信用修复",
    NoticeCause.REVOKED: "所依据的记录已撤销",
    NoticeCause.ENDED_BY_PENALTY: "受到行政处罚或列入严重失信主体名单",
    NoticeCause.MEASURE_PERIOD_ENDED: "措施期限届满",
    NoticeCause.OBJECTION_FILED: "所依据的记录异议处理中",
    NoticeCause.OBJECTION_RESOLVED: "异议处理完毕，维持原记录",
    NoticeCause.OTHER: "状态变化",
}
_ACTION_WORDS = {
    NoticeAction.INITIATE: "发起",
    NoticeAction.LIFT: "解除",
    NoticeAction.SUSPEND: "中止",
    NoticeAction.RESUME: "恢复",
}


@dataclass(frozen=True, slots=True)
class Notified:
    """What the implementing department was last told about one measure."""

    status: str  # ACTIVE | SUSPENDED | LIFTED
    seq: int  # notices sent for this pair so far
    measure: MeasureInForce


@dataclass(frozen=True, slots=True)
class NoticeIntent:
    notice_id: str
    seq: int  # the pair's count of notices, this one included
    action: NoticeAction
    cause: NoticeCause
    measure: MeasureInForce
    reason: str


def notice_id(subject_id: str, measure_id: str, department_id: str, seq: int) -> str:
    digest = hashlib.sha256(f"{subject_id}|{measure_id}|{department_id}|{seq}".encode())
    return "n-" + digest.hexdigest()[:32]


def plan_notices(
    subject_id: str,
    told: Mapping[tuple[str, str], Notified],
    state: SubjectState,
) -> tuple[list[NoticeIntent], dict[tuple[str, str], Notified]]:
    """The notices to send and what the departments will then have been told."""
    intents: list[NoticeIntent] = []
    after = dict(told)
    current = {m.key: m for m in state.measures}

    def send(
        key: tuple[str, str],
        action: NoticeAction,
        cause: NoticeCause,
        m: MeasureInForce,
        status: str,
    ) -> None:
        seq = (after[key].seq if key in after else 0) + 1
        reason = f"{_ACTION_WORDS[action]}「{m.name}」：{_WORDS[cause]}（{LIST_NAMES[m.list]}）"
        intents.append(
            NoticeIntent(notice_id(subject_id, *key, seq), seq, action, cause, m, reason)
        )
        after[key] = Notified(status, seq, m)

    for key, measure in current.items():
        before = told.get(key)
        was = before.status if before else LIFTED
        if was == LIFTED and not measure.suspended:
            send(key, NoticeAction.INITIATE, _BEGIN[measure.list], measure, ACTIVE)
        elif was == ACTIVE and measure.suspended:
            send(key, NoticeAction.SUSPEND, NoticeCause.OBJECTION_FILED, measure, SUSPENDED)
        elif was == SUSPENDED and not measure.suspended:
            send(key, NoticeAction.RESUME, NoticeCause.OBJECTION_RESOLVED, measure, ACTIVE)
        elif before is not None and was != LIFTED:
            # Same status: keep the newest terms (e.g. a second listing extends the period).
            after[key] = replace(before, measure=measure)
    for key, before in told.items():
        if key not in current and before.status != LIFTED:
            send(key, NoticeAction.LIFT, _lift_cause(before.measure, state), before.measure, LIFTED)
    return intents, after


def _lift_cause(measure: MeasureInForce, state: SubjectState) -> NoticeCause:
    if state.on(measure.list):
        return NoticeCause.MEASURE_PERIOD_ENDED
    causes = {e.cause for e in state.ended if e.list == measure.list and e.ref in measure.records}
    if measure.list == ListKind.THREE_YEAR_CLEAN:
        return NoticeCause.ENDED_BY_PENALTY
    return next((c for c in _PRECEDENCE if c in causes), NoticeCause.OTHER)
