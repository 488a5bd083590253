"""The worker's reordering of its input partitions into publishing order (streams.ordering)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.intake import Incoming
from streams.ordering import Partition, Reorder, Stamped, WaitingClock


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def msg(topic: str, offset: int, timestamp: int, partition: int = 0) -> Stamped:
    return Stamped(timestamp, Incoming(topic, partition, offset, b"k", b"v"))


def ids(messages: list[Incoming]) -> list[tuple[str, int]]:
    return [(m.topic, m.offset) for m in messages]


PENALTY, REPAIR = ("penalty", 0), ("repair", 0)


def test_a_later_message_waits_for_a_partition_that_is_behind() -> None:
    clock = Clock()
    reorder = Reorder(idle=1.0, clock=clock)
    reorder.assign([PENALTY, REPAIR])
    reorder.add([msg("repair", 0, timestamp=200)])
    behind = {PENALTY: True, REPAIR: False}
    assert reorder.release(behind.__getitem__) == []  # the penalty topic may hold earlier ones
    reorder.add([msg("penalty", 0, timestamp=100), msg("penalty", 1, timestamp=300)])
    behind[PENALTY] = False
    assert ids(reorder.release(behind.__getitem__)) == [
        ("penalty", 0),
        ("repair", 0),
        ("penalty", 1),
    ]
    assert reorder.held == 0


def test_a_silent_partition_stops_the_others_only_for_the_idle_time() -> None:
    clock = Clock()
    reorder = Reorder(idle=1.0, clock=clock)
    reorder.assign([PENALTY, REPAIR])
    reorder.add([msg("repair", 0, timestamp=200)])
    assert reorder.release(lambda p: p == PENALTY) == []
    clock.now = 1.5
    assert ids(reorder.release(lambda p: p == PENALTY)) == [("repair", 0)]


def test_messages_released_before_a_partition_that_is_behind_are_counted_as_forced() -> None:
    clock = Clock()
    reorder = Reorder(capacity=2, idle=1.0, clock=clock)
    reorder.assign([PENALTY, REPAIR])
    reorder.add([msg("repair", n, timestamp=n) for n in range(4)])
    assert len(reorder.release(lambda p: p == PENALTY)) == 2  # over capacity
    assert reorder.forced == {"capacity": 2}
    clock.now = 1.5
    assert len(reorder.release(lambda p: p == PENALTY)) == 2  # the penalty topic given up on
    assert reorder.forced == {"capacity": 2, "idle": 2}
    reorder.add([msg("penalty", 0, timestamp=9), msg("repair", 4, timestamp=10)])
    assert len(reorder.release(lambda p: False)) == 2  # all caught up: in order
    assert reorder.forced == {"capacity": 2, "idle": 2}


def test_the_waiting_clock_stops_while_the_worker_processes() -> None:
    base = Clock()
    clock = WaitingClock(base)
    base.now = 3.0
    assert clock() == 3.0
    with clock.stopped():
        base.now = 10.0
        assert clock() == 3.0
        with clock.stopped():  # nested: the outer stop counts
            base.now = 12.0
        assert clock() == 3.0
    assert clock() == 3.0
    base.now = 14.0
    assert clock() == 5.0


def test_a_partition_is_not_given_up_on_while_the_worker_is_busy() -> None:
    """A long batch is no silence: the penalty topic had no chance to deliver meanwhile."""
    base = Clock()
    clock = WaitingClock(base)
    reorder = Reorder(idle=1.0, clock=clock)
    reorder.assign([PENALTY, REPAIR])
    reorder.add([msg("repair", 0, timestamp=200)])
    with clock.stopped():
        base.now = 30.0
    assert reorder.release(lambda p: p == PENALTY) == []
    base.now = 31.5
    assert ids(reorder.release(lambda p: p == PENALTY)) == [("repair", 0)]


def test_a_partition_far_ahead_is_paused_until_it_holds_half_its_share() -> None:
    reorder = Reorder(capacity=40, idle=60.0, clock=Clock())
    reorder.assign([PENALTY, REPAIR])  # a share of half the capacity: 10 each
    reorder.add([msg("repair", n, timestamp=100 + n) for n in range(10)])
    assert reorder.to_pause(set()) == {REPAIR}
    reorder.add([msg("penalty", n, timestamp=n) for n in range(7)])
    behind = {PENALTY: True, REPAIR: True}
    assert len(reorder.release(behind.__getitem__)) == 7  # the penalty topic's, then it is awaited
    assert reorder.to_pause({REPAIR}) == {REPAIR}  # still holds 10
    behind[PENALTY] = False
    released = reorder.release(behind.__getitem__)
    assert ids(released) == [("repair", n) for n in range(10)]
    assert reorder.to_pause({REPAIR}) == set()
    reorder.add([msg("repair", n, timestamp=200 + n) for n in range(10, 16)])
    assert reorder.to_pause({REPAIR}) == {REPAIR}  # 6 held, more than half its share
    assert reorder.to_pause(set()) == set()  # not yet paused: not before 10
    assert reorder.forced == {}


def test_silent_partitions_are_those_behind_holding_nothing_unheard_of_for_long() -> None:
    clock = Clock()
    reorder = Reorder(idle=10.0, clock=clock)
    objection = ("objection", 0)
    reorder.assign([PENALTY, REPAIR, objection])
    clock.now = 4.0
    reorder.add([msg("repair", 0, timestamp=1)])
    clock.now = 6.0
    behind = {PENALTY: True, REPAIR: True, objection: False}
    assert reorder.silent(behind.__getitem__, 5.0) == [PENALTY]  # repair holds one, objection
    assert reorder.silent(behind.__getitem__, 7.0) == []  # is caught up


def test_held_messages_stay_bounded() -> None:
    reorder = Reorder(capacity=3, idle=60.0, clock=Clock())
    reorder.assign([PENALTY, REPAIR])
    reorder.add([msg("repair", n, timestamp=n) for n in range(5)])
    assert ids(reorder.release(lambda p: True)) == [("repair", 0), ("repair", 1)]
    assert reorder.held == 3


def test_revoked_partitions_are_dropped() -> None:
    reorder = Reorder(clock=Clock())
    reorder.assign([PENALTY, REPAIR])
    reorder.add([msg("repair", 0, timestamp=5), msg("penalty", 0, timestamp=9)])
    assert reorder.assign([PENALTY]) == 1
    assert ids(reorder.release(lambda p: False)) == [("penalty", 0)]
    assert reorder.held == 0


@given(
    st.lists(
        st.tuples(st.sampled_from(["penalty", "repair", "objection"]), st.integers(0, 50)),
        max_size=60,
    ),
    st.data(),
)
def test_whatever_the_delivery_the_order_is_the_publishing_order(
    published: list[tuple[str, int]], data: st.DataObject
) -> None:
    """Each topic delivered in offset order, in chunks, interleaved at random: once every topic
    has delivered all, what was released is in timestamp order."""
    topics: dict[str, list[Stamped]] = {}
    for n, (topic, _) in enumerate(published):
        queue = topics.setdefault(topic, [])
        queue.append(msg(topic, len(queue), timestamp=n))
    partitions: list[Partition] = [(t, 0) for t in topics]
    reorder = Reorder(idle=60.0, clock=Clock())
    reorder.assign(partitions)
    delivered = dict.fromkeys(topics, 0)
    released: list[Incoming] = []
    while any(delivered[t] < len(q) for t, q in topics.items()):
        topic = data.draw(st.sampled_from([t for t, q in topics.items() if delivered[t] < len(q)]))
        take = data.draw(st.integers(1, len(topics[topic]) - delivered[topic]))
        reorder.add(topics[topic][delivered[topic] : delivered[topic] + take])
        delivered[topic] += take
        released += reorder.release(lambda p: delivered[p[0]] < len(topics[p[0]]))
    released += reorder.release(lambda p: False)
    expected = sorted((s for q in topics.values() for s in q), key=lambda s: s.order)
    assert released == [s.message for s in expected]
