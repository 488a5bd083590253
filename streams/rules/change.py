"""One change to a subject: which new records take effect, the state, and what to tell whom.

Departments are told what the subject's records call for when taken in the order of their
decisions (``Fact.order``), whatever order the log delivered them in. Records of one subject come
from several topics, and a consumer reads topics at different paces (more so while it catches up
on a backlog or after a restart), so a record decided earlier can arrive after one decided later.

* Records arriving in decision order (the usual case) are taken one at a time, continuing from
  what the departments were told: the notices planned after each.
* A record that arrives late (decided before a record already kept) makes the whole history be
  taken again in decision order, from nothing. Its notices carry the ids that the history in order
  gives them; those the departments already received (same measure, same count) are not sent
  again. Where the departments were told more than the ordered history calls for, they are told
  what the state now is, continuing their own count. (A measure they were told to lift where
  the ordered history has it suspended stays lifted: in neither case is it applied.)
* A stored record that the history in order would have refused on arrival (a repair that came
  before its penalty, too early for it) is withdrawn.
* Records that arrive together (one batch) out of decision order are taken one at a time in the
  order they arrived, as if each had come in a batch of its own.

So the ids of the notices a subject's departments receive depend on its records, the order they
were published in and the time, never on how the log was cut into batches; and the departments
end up told what the records call for in decision order, whatever the order of publishing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise

from streams.policy import Policy
from streams.rules.derive import derive
from streams.rules.facts import Fact
from streams.rules.notices import NoticeIntent, Notified, plan_notices
from streams.rules.state import Ignored, SubjectState

Told = Mapping[tuple[str, str], Notified]


@dataclass(frozen=True, slots=True)
class Change:
    kept: tuple[str, ...]  # ids of the new records that take effect, in decision order
    refused: tuple[Ignored, ...]  # new records the rules would keep without effect, and why
    withdrawn: tuple[Ignored, ...]  # stored records that a late record leaves without effect
    state: SubjectState  # after the kept records
    intents: tuple[NoticeIntent, ...]  # notices to send now
    told: dict[tuple[str, str], Notified]  # what the departments will then have been told
    replayed: bool  # the history was taken again because a record arrived late


def plan_change(
    subject_id: str,
    stored: Sequence[Fact],
    told: Told,
    new: Sequence[Fact],
    *,
    policy: Policy,
    now: datetime,
) -> Change:
    """The change that ``new`` records (not yet stored, distinct, in the order they arrived)
    make to a subject.

    With no new records it is the change that time alone made: the notices that the state at
    ``now`` calls for.
    """
    latest = max((fact.order for fact in stored), default=None)
    orders = [fact.order for fact in new]
    if all(a <= b for a, b in pairwise(orders)) and (
        latest is None or not orders or latest <= orders[0]
    ):
        return _in_order(subject_id, stored, told, list(new), policy=policy, now=now)
    if len(new) == 1:
        return _replay(subject_id, stored, told, list(new), policy=policy, now=now)
    return _one_by_one(subject_id, stored, told, new, policy=policy, now=now)


def _one_by_one(
    subject_id: str,
    stored: Sequence[Fact],
    told: Told,
    new: Sequence[Fact],
    *,
    policy: Policy,
    now: datetime,
) -> Change:
    """``new`` taken one record at a time, in the order it arrived."""
    facts = list(stored)
    arrived = _ids(new)
    kept: list[str] = []
    refused: list[Ignored] = []
    withdrawn: list[Ignored] = []
    intents: list[NoticeIntent] = []
    replayed = False
    change: Change | None = None
    for fact in new:
        change = plan_change(subject_id, facts, told, [fact], policy=policy, now=now)
        gone = {turned.event_id for turned in change.withdrawn}
        for turned in change.withdrawn:  # one that arrived with it was never stored: refused
            (refused if turned.event_id in arrived else withdrawn).append(turned)
        kept = [eid for eid in kept if eid not in gone] + list(change.kept)
        refused += change.refused
        facts = [f for f in facts if f.event_id not in gone] + ([fact] if change.kept else [])
        told = change.told
        intents += change.intents
        replayed = replayed or change.replayed
    assert change is not None  # new has more than one record
    order = {fact.event_id: fact.order for fact in new}
    return Change(
        tuple(sorted(kept, key=order.__getitem__)),
        tuple(refused),
        tuple(withdrawn),
        change.state,
        tuple(intents),
        dict(told),
        replayed,
    )


def _in_order(
    subject_id: str,
    stored: Sequence[Fact],
    told: Told,
    arriving: list[Fact],
    *,
    policy: Policy,
    now: datetime,
) -> Change:
    facts = list(stored)
    after = dict(told)
    kept: list[str] = []
    refused: list[Ignored] = []
    intents: list[NoticeIntent] = []
    state: SubjectState | None = None
    for fact in arriving:
        state = derive([*facts, fact], policy, now)
        ignored = _ignored(state, fact.event_id)
        if ignored is not None:
            refused.append(ignored)
            state = None
            continue
        facts.append(fact)
        kept.append(fact.event_id)
        planned, after = plan_notices(subject_id, after, state)
        intents += planned
    if state is None:
        state = derive(facts, policy, now)
    if not kept:  # time alone: what the state now calls for
        planned, after = plan_notices(subject_id, after, state)
        intents += planned
    return Change(tuple(kept), tuple(refused), (), state, tuple(intents), after, replayed=False)


def _replay(
    subject_id: str,
    stored: Sequence[Fact],
    told: Told,
    arriving: list[Fact],
    *,
    policy: Policy,
    now: datetime,
) -> Change:
    history = sorted([*stored, *arriving], key=lambda fact: fact.order)
    ordered = _in_order(subject_id, [], {}, history, policy=policy, now=now)
    late = _ids(arriving)
    refused = tuple(i for i in ordered.refused if i.event_id in late)
    withdrawn = tuple(i for i in ordered.refused if i.event_id not in late)
    # Told more than the ordered history calls for (or told otherwise at the same count): those
    # departments are brought to the state from what they were told, continuing their count.
    ahead = {
        key: before
        for key, before in told.items()
        if key not in ordered.told
        or ordered.told[key].seq < before.seq
        or (ordered.told[key].seq == before.seq and ordered.told[key].status != before.status)
    }
    sent = {key: before.seq for key, before in told.items()}
    intents = [
        intent
        for intent in ordered.intents
        if intent.measure.key not in ahead and intent.seq > sent.get(intent.measure.key, 0)
    ]
    after = {key: entry for key, entry in ordered.told.items() if key not in ahead}
    state = ordered.state
    theirs = replace(state, measures=tuple(m for m in state.measures if m.key in ahead))
    corrections, corrected = plan_notices(subject_id, ahead, theirs)
    after.update(corrected)
    return Change(
        tuple(eid for eid in ordered.kept if eid in late),
        refused,
        withdrawn,
        state,
        (*intents, *corrections),
        after,
        replayed=True,
    )


def _ids(facts: Sequence[Fact]) -> set[str]:
    return {fact.event_id for fact in facts}


def _ignored(state: SubjectState, event_id: str) -> Ignored | None:
    return next((i for i in state.ignored if i.event_id == event_id), None)
