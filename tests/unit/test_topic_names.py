"""Topic names of the contract under a prefix, and the event kind an input topic carries."""

from __future__ import annotations

import pytest

from creditflow.topics import RECORD_KINDS, TopicNames


@pytest.mark.parametrize("prefix", ["", "t1.", "bench.credit."])
def test_each_input_topic_names_its_kind_and_nothing_else_does(prefix: str) -> None:
    topics = TopicNames(prefix)
    for kind in (*RECORD_KINDS, "feedback"):
        assert topics.kind_of(topics.event(kind)) == kind
    for other in (topics.deadletter, topics.audit, topics.notice("finance"), "credit.penalty.v2"):
        assert topics.kind_of(other) is None
    assert topics.kind_of(f"x{topics.event('penalty')}") is None
