"""Order independence and idempotence of the rules, by property-based testing."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.rules import Fact, derive
from tests import factories as f
from tests.unit.rules_helpers import at, fact, policy

DOCS = ["泰市监处罚〔2024〕101号", "泰市监处罚〔2024〕102号", "泰市监处罚〔2024〕103号"]


def _pool() -> list[Fact]:
    """Everything that can happen to one subject, several times over."""
    events = []
    for i, doc in enumerate(DOCS):
        decided = date(2023, 1 + 4 * i, 10)
        events.append(
            f.penalty(
                document_number=doc,
                decided_on=decided,
                serious=i != 1,
                occurred_at=at(decided.year, decided.month, decided.day),
            )
        )
        record = f.ref(doc)
        events.append(
            f.repair(
                record=record, route="BLACKLIST_REMOVAL", decided_on=decided + timedelta(days=400)
            )
        )
        events.append(
            f.repair(
                record=record, decided_on=decided + timedelta(days=30), decision_number=f"early-{i}"
            )
        )
        events.append(f.objection_filed(record=record, objection_id=f"O-{i}"))
    events.append(f.objection_revoked(record=f.ref(DOCS[0]), objection_id="O-0"))
    events.append(f.objection_upheld(record=f.ref(DOCS[2]), objection_id="O-2"))
    events.append(f.objection_corrected(objection_id="O-9"))  # corrects DOCS' first sample doc
    events.append(f.commendation(valid_from=date(2022, 6, 1), valid_until=date(2026, 6, 1)))
    events.append(
        f.commendation(
            document_number="泰税〔2025〕1号",
            valid_from=date(2025, 1, 1),
            valid_until=date(2027, 1, 1),
        )
    )
    events.append(f.permit(decided_on=date(2018, 5, 1), valid_from=date(2018, 5, 1)))
    return [fact(e) for e in events]


POOL = _pool()
NOWS = [
    at(2023, 2, 1),
    at(2023, 6, 1),
    at(2024, 3, 1),
    at(2025, 6, 1),
    at(2026, 3, 1),
    at(2031, 1, 1),
]


@settings(max_examples=300, deadline=None)
@given(
    chosen=st.lists(st.sampled_from(POOL), max_size=len(POOL)),
    data=st.data(),
    now=st.sampled_from(NOWS),
)
def test_any_order_and_any_repetition_give_the_same_state(
    chosen: list[Fact], data: st.DataObject, now: object
) -> None:
    repeated = data.draw(st.lists(st.sampled_from(chosen), max_size=10)) if chosen else []
    shuffled = data.draw(st.permutations(chosen + repeated))
    assert derive(shuffled, policy(), now) == derive(chosen, policy(), now)  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None)
@given(chosen=st.lists(st.sampled_from(POOL), max_size=len(POOL)), now=st.sampled_from(NOWS))
def test_next_change_is_the_next_instant_the_state_changes(chosen: list[Fact], now: object) -> None:
    state = derive(chosen, policy(), now)  # type: ignore[arg-type]
    if state.next_change is None:
        return
    just_before = state.next_change - timedelta(seconds=1)
    assert derive(chosen, policy(), just_before).listings == state.listings
    assert derive(chosen, policy(), just_before).measures == state.measures
