"""One batch of input messages → atomic per-subject changes in Redis, notices, dead letters.

Faust-free, so that it runs the same under the worker and in tests. Infrastructure errors
(Redis, Kafka) propagate: the caller retries the whole batch, which is safe because every step
is idempotent (stored events are keyed by event id, notices by deterministic id, dead letters by
source offset).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import orjson

from creditflow.departments import DepartmentRegistry
from creditflow.topics import TopicNames
from schemas.codec import encode_model
from schemas.deadletters import protect
from schemas.events import FeedbackReported
from schemas.identifiers import is_masked_resident_id, mask_resident_id, mask_subject_id
from schemas.notices import DeadLettered
from streams.clock import Clock
from streams.intake import Accepted, Incoming, Rejected, accept, fact_from_bytes
from streams.notify import build_notice, build_relay, dead_letter_id
from streams.policy import Policy
from streams.rules import Fact
from streams.rules.change import plan_change
from streams.rules.state import Ignored
from streams.snapshot import (
    listing_since_ms,
    next_change_ms,
    state_to_dict,
    told_from_json,
    told_to_json,
)
from streams.store.eventpacking import Trainer
from streams.store.keys import LISTS
from streams.store.packing import is_packed, pack, unpack
from streams.store.store import Advance, FeedbackChange, Store, SubjectChange, SubjectRecord

logger = logging.getLogger(__name__)

MAX_CONFLICT_RETRIES = 20


class DeadLetterSink(Protocol):
    async def send(self, key: bytes | None, value: bytes) -> None: ...


@dataclass
class BatchReport:
    """What one batch did, for metrics and logs."""

    events: Counter[tuple[str, str]] = field(default_factory=Counter)  # (topic, outcome)
    dead_letters: Counter[str] = field(default_factory=Counter)  # reason code
    notices: Counter[tuple[str, str]] = field(default_factory=Counter)  # (department, action)
    event_ages: list[float] = field(default_factory=list)  # seconds, occurred_at → applied
    feedback_seconds: list[float] = field(default_factory=list)  # notice → feedback
    subjects: int = 0
    replayed: int = 0  # subjects whose history was taken again for a late record


def _as_stored(stored: bytes) -> bytes:
    return stored


class FactCache:
    """Facts of stored events by event id, so that a subject's earlier events are not decoded
    again at each change (an event id always names the same event). Least recently used first
    out."""

    # About 1.5 KB a fact: the bound keeps a worker's memory near 150 MB whatever the backlog.
    def __init__(self, capacity: int = 100_000) -> None:
        self._facts: OrderedDict[str, Fact] = OrderedDict()
        self._capacity = capacity

    def get(
        self, event_id: str, stored: bytes, avro: Callable[[bytes], bytes] = _as_stored
    ) -> Fact:
        """The fact of a stored event (``avro`` gives its Avro bytes from what is stored)."""
        fact = self._facts.get(event_id)
        if fact is None:
            decoded = fact_from_bytes(avro(stored))
            if decoded is None:  # only record events are stored
                raise ValueError(f"stored event {event_id} is not a subject record")
            fact = decoded
            self.put(event_id, fact)
        else:
            self._facts.move_to_end(event_id)
        return fact

    def put(self, event_id: str, fact: Fact) -> None:
        self._facts[event_id] = fact
        self._facts.move_to_end(event_id)
        if len(self._facts) > self._capacity:
            self._facts.popitem(last=False)


@dataclass
class Processor:
    store: Store
    policy: Policy
    departments: DepartmentRegistry
    topics: TopicNames
    clock: Clock
    dead_letters: DeadLetterSink
    worker_id: str
    #: Operators' public key: dead letters of natural persons are sealed to it (None: not sealed).
    seal_key: str | None = None
    #: Facts of stored events already decoded (a rebuild hands over those it has read).
    facts: FactCache = field(default_factory=FactCache)
    #: Samples of the records taken in, for the event dictionary (streams.store.eventpacking).
    trainer: Trainer = field(default_factory=Trainer)
    _looked_for_dictionary: bool = field(default=False, init=False)

    async def handle(
        self,
        messages: Sequence[Incoming],
        *,
        server: str | None = None,
        advance: Advance | None = None,
    ) -> BatchReport:
        """Take in ``messages``. ``server``: the Redis run id to find before anything is
        written, asked with the first read of the subjects (``Store.load``): the store's
        ``ServerChangedError`` if Redis restarted since (streams.recovery). ``advance``:
        positions to record with the subjects' changes, in their round trip, when nothing is
        written to Redis after them (no feedback in the batch); its ``recorded`` says whether
        they were."""
        report = BatchReport()
        now = await self.clock.now()
        records: list[Accepted] = []
        feedback: list[Accepted] = []
        rejected: list[Rejected] = []
        for message in messages:
            outcome = accept(message, self.topics, self.departments, now)
            if isinstance(outcome, Rejected):
                rejected.append(outcome)
            elif outcome.fact is None:
                feedback.append(outcome)
            else:
                records.append(outcome)
        if server is not None and (not records or self.store.packing.current is None):
            await self.store.check_server(server)  # no load to ask it with, or a write before
            server = None
        if records and self.store.packing.current is None:
            await self._pack_with_dictionary(records)
        if feedback:  # written after the changes: the positions are recorded after it
            advance = None
        rejected += await self._apply(records, now, report, server, advance)
        rejected += await self._feedback(feedback, now, report)
        # Sent together and awaited together: one round of acknowledgements per batch.
        await asyncio.gather(*(self._dead_letter(r, now, report) for r in rejected))
        if report.replayed:
            logger.info("%d subjects taken again in decision order", report.replayed)
        return report

    async def _pack_with_dictionary(self, records: list[Accepted]) -> None:
        """Stored events are packed once the deployment has an event dictionary: the one in
        Redis, or else one made of the first records this worker takes in, offered there
        (the first offer is kept: streams.store.eventpacking)."""
        if not self._looked_for_dictionary:
            self._looked_for_dictionary = True
            if await self.store.adopt_dictionary():
                return
        for accepted in records:
            if self.trainer.made is not None:
                break
            self.trainer.add(accepted.value)
        if self.trainer.made is not None:
            kept = await self.store.offer_dictionary(self.trainer.made)
            logger.info(
                "event dictionary made of %d records %s",
                self.trainer.wanted,
                "stored" if kept else "not kept: another was stored first",
            )

    async def rederive(
        self, subject_ids: Sequence[str], held: Mapping[str, Mapping[str, bytes]] | None = None
    ) -> BatchReport:
        """Re-derive subjects whose state changes by itself (their due time has come).

        ``held``: events of these subjects kept outside Redis (event id → Avro bytes), stored
        with the rest of their events (a rebuild holds those it read in its process)."""
        report = BatchReport()
        now = await self.clock.now()
        if self.store.packing.current is None:  # their events are stored again, packed
            await self.store.adopt_dictionary()
        groups: dict[str, list[Accepted]] = {sid: [] for sid in subject_ids}
        await self._apply_groups(groups, now, report, force=True, held=held)
        return report

    async def _apply(
        self,
        records: list[Accepted],
        now: datetime,
        report: BatchReport,
        server: str | None,
        advance: Advance | None,
    ) -> list[Rejected]:
        groups: dict[str, list[Accepted]] = defaultdict(list)
        for accepted in records:
            groups[accepted.subject_id].append(accepted)
        return await self._apply_groups(
            groups, now, report, force=False, server=server, advance=advance
        )

    async def _apply_groups(
        self,
        groups: dict[str, list[Accepted]],
        now: datetime,
        report: BatchReport,
        *,
        force: bool,
        held: Mapping[str, Mapping[str, bytes]] | None = None,
        server: str | None = None,
        advance: Advance | None = None,
    ) -> list[Rejected]:
        pending = dict(groups)
        for _ in range(MAX_CONFLICT_RETRIES):
            if not pending:
                return []
            loaded = await self.store.load(list(pending), server=server)
            server = None
            if held:
                for sid, record in loaded.items():
                    record.events.update(held.get(sid, {}))
            plans = [self._plan(loaded[sid], events, now, force) for sid, events in pending.items()]
            changes = [p.change for p in plans if p.change is not None]
            versions = await self.store.apply(changes, advance)
            advance = None  # recorded with every change applied, or by the caller after
            conflicted = {c.subject_id for c, v in zip(changes, versions, strict=True) if v < 0}
            rejected: list[Rejected] = []
            for plan in plans:
                if plan.subject_id not in conflicted:
                    plan.count(report, now)
                    for accepted in plan.applied:
                        if accepted.fact is not None:
                            self.facts.put(accepted.event_id, accepted.fact)
                    rejected += plan.rejected
            pending = {sid: pending[sid] for sid in conflicted}
            if not pending:
                return rejected
            logger.info("version conflict on %d subjects; retrying", len(pending))
        shown = [mask_subject_id("", sid) for sid in sorted(pending)[:5]]  # logged: 个人信息
        raise RuntimeError(f"subjects kept conflicting: {shown}")

    def _plan(
        self, stored: SubjectRecord, events: list[Accepted], now: datetime, force: bool
    ) -> _Plan:
        plan = _Plan(stored.subject_id)
        new: dict[str, Accepted] = {}
        for accepted in events:
            if accepted.event_id in stored.events or accepted.event_id in new:
                plan.duplicates.append(accepted)
            else:
                new[accepted.event_id] = accepted
        avro = self.store.event_bytes
        facts = [self.facts.get(eid, value, avro) for eid, value in stored.events.items()]
        stored_told = unpack(stored.told) if stored.told else None
        change = plan_change(
            stored.subject_id,
            facts,
            told_from_json(stored_told),
            [a.fact for a in new.values() if a.fact is not None],
            policy=self.policy,
            now=now,
        )
        for refusal in change.refused:
            # The rules would keep it without effect; an event that is refused on arrival goes
            # back to its sender with the reason instead.
            accepted = new.pop(refusal.event_id)
            plan.rejected.append(
                Rejected(
                    accepted.message,
                    refusal.reason_code,
                    refusal.reason,
                    None,
                    accepted.event.department_id,
                    None,
                )
            )
        plan.rejected += [self._withdrawn(stored, facts, w) for w in change.withdrawn]
        if not new and not force and not change.withdrawn:
            return plan
        state, told = change.state, change.told
        plan.applied = [new[event_id] for event_id in change.kept]
        plan.replayed = change.replayed
        if not state.subject_kind:
            return plan  # nothing stored yet and nothing new: no subject to write
        subject = (stored.subject_id, state.subject_kind, state.subject_name)
        notices = [
            build_notice(
                intent,
                subject,
                now,
                policy=self.policy,
                departments=self.departments,
                topics=self.topics,
            )
            for intent in change.intents
        ]
        snapshot = state_to_dict(stored.subject_id, state, now)
        told_json = told_to_json(told)
        turned_away = {w.event_id for w in change.withdrawn}
        keeps = {eid: v for eid, v in stored.events.items() if eid not in turned_away}
        keeps.update((eid, a.value) for eid, a in new.items())
        plan.change = SubjectChange(
            subject_id=stored.subject_id,
            expected_version=stored.version,
            events=keeps,
            snapshot=pack(_json(snapshot)),
            # Most changes tell no department anything new: the stored bytes are kept as they are.
            told=(
                stored.told
                if stored.told and is_packed(stored.told) and told_json == stored_told
                else pack(told_json)
            ),
            kind=state.subject_kind,
            name=state.subject_name,
            next_ms=next_change_ms(state),
            list_since_ms=[listing_since_ms(state, kind) for kind in LISTS],
            notices=notices,
            withdrawn=[w.event_id for w in change.withdrawn],
            waiting={eid: a.message.source() for eid, a in new.items() if eid in state.waiting},
            settled=[eid for eid in stored.waiting if eid not in state.waiting],
        )
        return plan

    def _withdrawn(self, stored: SubjectRecord, facts: list[Fact], refusal: Ignored) -> Rejected:
        """The dead letter of a stored event that a later arrival turned away, as it would have
        been had it come in order: from where it was read, with the reason."""
        eid = refusal.event_id
        fact = next(f for f in facts if f.event_id == eid)
        # (An event stored before sources were kept names no source.)
        topic, partition, offset, key = json.loads(stored.waiting.get(eid) or '["",-1,-1,null]')
        raw_key = None if key is None else bytes.fromhex(key)
        message = Incoming(
            topic, partition, offset, raw_key, self.store.event_bytes(stored.events[eid])
        )
        return Rejected(
            message, refusal.reason_code, refusal.reason, None, fact.department_id, None
        )

    async def _feedback(
        self, answers: list[Accepted], now: datetime, report: BatchReport
    ) -> list[Rejected]:
        rejected = []
        for accepted in answers:
            if not isinstance(accepted.event, FeedbackReported):
                continue
            answer = await self._unmasked(accepted.event)
            notice = None
            if answer is not None:
                (notice,) = await self.store.notices(answer.subject_id, [answer.notice_id])
            else:
                answer = accepted.event
            outcome, created = "unknown_notice", 0
            if notice is not None:
                topic, key, value = build_relay(answer, notice, now, self.departments, self.topics)
                outcome, created = await self.store.feedback(
                    FeedbackChange(
                        answer.subject_id,
                        answer.notice_id,
                        answer.department_id,
                        accepted.event_id,
                        str(answer.status),
                        _ms(answer.occurred_at),
                        topic,
                        key,
                        value,
                    )
                )
            if outcome == "ok":
                report.events[(accepted.message.topic, "applied")] += 1
                report.feedback_seconds.append(max(0.0, _ms(answer.occurred_at) - created) / 1000)
            elif outcome == "duplicate":
                report.events[(accepted.message.topic, "duplicate")] += 1
            else:
                reason = {
                    "unknown_notice": f"no notice {answer.notice_id} was sent for this subject",
                    "wrong_department": f"notice {answer.notice_id} was not sent to "
                    f"{answer.department_id}",
                }[outcome]
                rejected.append(
                    Rejected(
                        accepted.message,
                        f"feedback.{outcome}",
                        reason,
                        "notice_id",
                        answer.department_id,
                        None,
                    )
                )
        return rejected

    async def _unmasked(self, answer: FeedbackReported) -> FeedbackReported | None:
        """The answer with the subject's real id where the department was shown it masked;
        None when the notice is unknown or was about someone else."""
        if not is_masked_resident_id(answer.subject_id):
            return answer
        subject = await self.store.notice_subject(answer.notice_id)
        if subject is None or mask_resident_id(subject) != answer.subject_id:
            return None
        name = await self.store.subject_name(subject) or answer.subject_name
        return answer.model_copy(update={"subject_id": subject, "subject_name": name})

    async def _dead_letter(self, rejection: Rejected, now: datetime, report: BatchReport) -> None:
        m = rejection.message
        letter = DeadLettered(
            event_id=dead_letter_id(m.topic, m.partition, m.offset),
            occurred_at=now,
            department_id=rejection.department_id,
            subject_id=rejection.subject_id,
            source_topic=m.topic,
            source_partition=m.partition,
            source_offset=m.offset,
            original_key=m.key,
            original_value=m.value,
            reason_code=rejection.reason_code,
            reason=rejection.reason,
            field=rejection.field,
            rejected_by=self.worker_id,
        )
        if self.seal_key is not None:
            letter = protect(letter, self.seal_key)
        key = rejection.subject_id.encode() if rejection.subject_id else None
        await self.dead_letters.send(key, encode_model(letter))
        report.events[(m.topic, "rejected")] += 1
        report.dead_letters[rejection.reason_code] += 1
        logger.warning(
            "dead letter: topic=%s partition=%s offset=%s key=%s reason=%s",
            m.topic,
            m.partition,
            m.offset,
            rejection.subject_id,
            rejection.reason_code,
        )


@dataclass
class _Plan:
    subject_id: str
    change: SubjectChange | None = None
    applied: list[Accepted] = field(default_factory=list)
    duplicates: list[Accepted] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    replayed: bool = False  # a late record made the subject's history be taken again

    def count(self, report: BatchReport, now: datetime) -> None:
        for accepted in self.applied:
            report.events[(accepted.message.topic, "applied")] += 1
            report.event_ages.append((now - accepted.event.occurred_at).total_seconds())
        for accepted in self.duplicates:
            report.events[(accepted.message.topic, "duplicate")] += 1
        if self.change is not None:
            report.subjects += 1
            report.replayed += self.replayed
            for notice in self.change.notices:
                report.notices[(notice.department_id, str(notice.record["action"]))] += 1


def _ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def _json(value: object) -> bytes:
    return orjson.dumps(value)
