"""What departments are told does not depend on how the log is cut or interleaved
(``streams.rules.change``), by property-based testing over one subject's possible records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.rules import Fact
from streams.rules.change import plan_change
from streams.rules.notices import ACTIVE, Notified
from tests.unit.rules_helpers import policy
from tests.unit.test_rules_properties import NOWS, POOL

Told = dict[tuple[str, str], Notified]


def _process(batches: Sequence[Sequence[Fact]], now: datetime) -> tuple[set[str], Told, list[str]]:
    """Batches through the planner as the processor takes them: (kept ids, told, notice ids)."""
    stored: list[Fact] = []
    told: Told = {}
    sent: list[str] = []
    for batch in batches:
        known = {f.event_id for f in stored}
        new = list({f.event_id: f for f in batch if f.event_id not in known}.values())
        change = plan_change("S", stored, told, new, policy=policy(), now=now)
        gone = {i.event_id for i in change.withdrawn}
        kept = set(change.kept)
        stored = [f for f in stored if f.event_id not in gone] + [
            f for f in new if f.event_id in kept
        ]
        told = change.told
        sent += [i.notice_id for i in change.intents]
    return {f.event_id for f in stored}, told, sent


def _cut(facts: list[Fact], data: st.DataObject) -> list[list[Fact]]:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(facts)), max_size=5)))
    bounds = [0, *cuts, len(facts)]
    return [facts[a:b] for a, b in pairwise(bounds)]


def _applied(told: Told) -> set[tuple[str, str]]:
    """The measures departments apply: told to (and not to stop, suspend or lift)."""
    return {key for key, n in told.items() if n.status == ACTIVE}


CHOSEN = st.lists(st.sampled_from(POOL), max_size=len(POOL), unique_by=lambda f: f.event_id)


@settings(max_examples=300, deadline=None)
@given(chosen=CHOSEN, data=st.data(), now=st.sampled_from(NOWS))
def test_records_in_decision_order_give_the_same_notices_however_batched(
    chosen: list[Fact], data: st.DataObject, now: datetime
) -> None:
    ordered = sorted(chosen, key=lambda f: f.order)
    kept, told, sent = _process([ordered], now)
    kept_cut, told_cut, sent_cut = _process(_cut(ordered, data), now)
    assert (kept_cut, told_cut, sent_cut) == (kept, told, sent)
    assert len(set(sent)) == len(sent)


@settings(max_examples=500, deadline=None)
@given(chosen=CHOSEN, data=st.data(), now=st.sampled_from(NOWS))
def test_records_arriving_late_lose_no_notice_and_leave_departments_told_the_state(
    chosen: list[Fact], data: st.DataObject, now: datetime
) -> None:
    kept, told, sent = _process([sorted(chosen, key=lambda f: f.order)], now)
    arrival = data.draw(st.permutations(chosen))
    kept_late, told_late, sent_late = _process(_cut(list(arrival), data), now)
    if kept_late == kept:  # the same records took effect (a refusal can depend on the order)
        assert set(sent) <= set(sent_late)  # every notice the ordered history calls for was sent
        # and each department ends applying what it applies when told in order (a measure it
        # was told to lift, where in order it would be suspended, it does not apply either)
        assert _applied(told_late) == _applied(told)
        assert len(set(sent_late)) == len(sent_late)  # never one id twice


@settings(max_examples=500, deadline=None)
@given(chosen=CHOSEN, data=st.data(), now=st.sampled_from(NOWS))
def test_records_in_any_order_give_the_same_notices_however_batched(
    chosen: list[Fact], data: st.DataObject, now: datetime
) -> None:
    """Published in any order: cut into batches anyhow, the log gives what it gives taken one
    record at a time (two workers and one cut the same log differently)."""
    arrival = list(data.draw(st.permutations(chosen)))
    one_by_one = _process([[fact] for fact in arrival], now)
    assert _process(_cut(arrival, data), now) == one_by_one
    assert _process([arrival], now) == one_by_one
