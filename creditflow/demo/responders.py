"""The departments' side of the demo: one thread per department receives its notices through the
subscriber SDK and answers each one, the way that department does.

Most departments act on a notice the next simulated day; a few are slow (they act after the
seven-day deadline, so their notices go overdue first); one is silent. A department acts on
simulated days, not wall-clock seconds: it answers once the simulated clock has reached the day
it acts on, and dates its answer that day — so the answers are the same on every run.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from consumers import DepartmentSubscriber
from creditflow.demo.space import SimClock, Space
from schemas.enums import FeedbackStatus
from schemas.notices import FeedbackRelayed, MeasureNotified

logger = logging.getLogger(__name__)

FAST_DAYS = 1
SLOW = {"natural-resources": 10, "banking": 12}
SILENT = "civilisation"
_NOTES = {
    FeedbackStatus.EXECUTED: "已按联合奖惩措施执行",
    FeedbackStatus.NOT_APPLICABLE: "该主体在本部门无相关业务，不适用",
    FeedbackStatus.FAILED: "系统对接异常，执行失败，待重试",
}


def delay_days(department_id: str) -> int | None:
    """After how many simulated days a department answers; None: never."""
    if department_id == SILENT:
        return None
    return SLOW.get(department_id, FAST_DAYS)


def status_for(notice_id: str) -> FeedbackStatus:
    """Most answers say executed; some not applicable; a few failed (fixed per notice)."""
    roll = int(hashlib.sha256(notice_id.encode()).hexdigest()[:4], 16) % 100
    if roll < 85:
        return FeedbackStatus.EXECUTED
    return FeedbackStatus.NOT_APPLICABLE if roll < 97 else FeedbackStatus.FAILED


@dataclass
class Tally:
    """What one department received and did; read by the demo's main thread."""

    received: Counter[str] = field(default_factory=Counter)  # by action
    notice_ids: set[str] = field(default_factory=set)
    relays: int = 0
    answered: int = 0
    masked: int = 0  # notices whose subject id was masked for this department
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def notices(self) -> int:
        return len(self.notice_ids)

    def seen(self) -> set[str]:
        """A copy of the notice ids received so far (the thread keeps adding)."""
        with self.lock:
            return set(self.notice_ids)


class Responder(threading.Thread):
    def __init__(self, space: Space, department_id: str, clock: SimClock) -> None:
        super().__init__(name=f"department-{department_id}", daemon=True)
        self.department_id = department_id
        self.delay = delay_days(department_id)
        self.tally = Tally()
        self._space = space
        self._clock = clock
        self._queue: list[tuple[datetime, str, MeasureNotified]] = []
        self._stop_requested = threading.Event()
        self.ready = threading.Event()

    def due_backlog(self, now: datetime) -> int:
        """Answers whose simulated day has come but that are not sent yet."""
        return sum(1 for acts_on, _, _ in list(self._queue) if acts_on <= now)

    def stop(self) -> None:
        self._stop_requested.set()

    def run(self) -> None:
        try:
            with DepartmentSubscriber(
                self.department_id,
                self._space.settings,
                group_id=self._space.subscriber_group(self.department_id),
                departments=self._space.departments,
                clock=self._clock.now,
            ) as subscriber:
                self.ready.set()
                while not self._stop_requested.is_set():
                    for notice in subscriber.notices(timeout=0.2):
                        self._receive(notice)
                        self._answer_due(subscriber)
                    self._answer_due(subscriber)
        except Exception as exc:  # the thread reports; the main thread decides
            logger.exception("department %s stopped", self.department_id)
            self.tally.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            self.ready.set()

    def _receive(self, notice: MeasureNotified | FeedbackRelayed) -> None:
        if isinstance(notice, FeedbackRelayed):
            self.tally.relays += 1
            return
        with self.tally.lock:
            self.tally.received[str(notice.action)] += 1
            self.tally.notice_ids.add(notice.notice_id)
        if self.delay is None:
            return
        if "*" in notice.subject_id:
            # A natural person's id, masked for a department without personal information: it
            # answers with the masked id and the platform finds the subject by the notice id.
            self.tally.masked += 1
        acts_on = notice.occurred_at + timedelta(days=self.delay)
        heapq.heappush(self._queue, (acts_on, notice.notice_id, notice))

    def _answer_due(self, subscriber: DepartmentSubscriber) -> None:
        now = self._clock.now()
        while self._queue and self._queue[0][0] <= now:
            acts_on, _, notice = heapq.heappop(self._queue)
            status = status_for(notice.notice_id)
            try:
                subscriber.answer(notice, status, _NOTES[status], occurred_at=acts_on)
            except Exception as exc:
                self.tally.errors.append(f"answer to {notice.notice_id}: {exc}")
                continue
            self.tally.answered += 1


def start_responders(space: Space, clock: SimClock) -> list[Responder]:
    responders = [Responder(space, d, clock) for d in space.departments.ids()]
    for responder in responders:
        responder.start()
    for responder in responders:
        responder.ready.wait(30)
    return responders


def stop_responders(responders: list[Responder]) -> None:
    for responder in responders:
        responder.stop()
    for responder in responders:
        responder.join(30)
