"""The rules: pure functions from a subject's records, the policy and the time to its state.

Nothing here does I/O or imports Kafka, Redis or faust.
"""

from streams.rules.derive import derive
from streams.rules.facts import Fact, fact_from_datum
from streams.rules.state import SubjectState

__all__ = ["Fact", "SubjectState", "derive", "fact_from_datum"]
