"""Records the platform must refuse: each is published raw (no publisher validation) and must end
in the dead-letter topic with the reason given here.

Each is made from a good record of the city and broken in one way a department's system breaks
things: a mistyped check character, an empty required field, a bad birth date, …
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from stdnum.cn import ric

from creditflow.demo.catalog import PENALTIES, PenaltyType, for_kind
from creditflow.demo.records import RecordBuilder, Subject
from creditflow.demo.stories import STEP, Scheduled, StoryTeller
from schemas.codec import encode, model_to_datum
from schemas.enums import RepairRoute, RepairWay, SubjectKind
from schemas.events import Event, PenaltyImposed
from streams.policy import Policy
from streams.rules.facts import PenaltyFact, fact_from_datum
from streams.rules.periods import earliest_repair, is_published

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True, slots=True)
class BadRecord:
    """Raw bytes for an input topic, and why the platform must refuse them."""

    day: date
    topic_kind: str  # permit, penalty, repair, …
    key: bytes
    value: bytes
    reason_code: str  # the dead letter's reason code the platform must give
    what: str  # what is wrong, in words
    event_id: str | None  # None where the bytes carry no readable event


def _raw(day: date, event: Event, datum: dict[str, Any], reason: str, what: str) -> BadRecord:
    value = encode(type(event).__name__, datum)
    key = str(datum["subject_id"]).encode()
    return BadRecord(day, event.topic_kind, key, value, reason, what, str(datum["event_id"]))


def _other_check(code: str) -> str:
    alphabet = "0123456789X" if code[:-1].isdigit() else USCC_ALPHABET
    return code[:-1] + alphabet[(alphabet.index(code[-1]) + 1) % len(alphabet)]


class BadRecords:
    """Makes each kind of bad record in turn, from the city's subjects and penalties."""

    def __init__(self, rng: random.Random, builder: RecordBuilder, teller: StoryTeller) -> None:
        self.rng = rng
        self.builder = builder
        self.teller = teller
        self.kinds: list[Callable[[Scheduled], BadRecord | None]] = [
            self.wrong_check_character,
            self.missing_document_number,
            self.invalid_birth_date,
            self.unknown_department,
            self.from_the_future,
            self.key_not_subject,
            self.not_avro,
            self.repair_too_early,
        ]

    def _subject(self, event: Event) -> Subject:
        return Subject(event.subject_id, event.subject_kind, event.subject_name)

    def _penalty(self, base: Scheduled) -> tuple[PenaltyImposed, dict[str, Any]]:
        kind = self.teller.rng.choice(_ordinary_for(base.event.subject_kind))
        penalty = self.builder.penalty(
            self._subject(base.event), kind, base.day, self.teller.at(base.day)
        )
        return penalty, model_to_datum(penalty)

    def wrong_check_character(self, base: Scheduled) -> BadRecord | None:
        if base.event.subject_kind == SubjectKind.NATURAL_PERSON:
            return None
        penalty, datum = self._penalty(base)
        wrong = _other_check(penalty.subject_id)
        datum.update(subject_id=wrong, uscc=wrong)
        return _raw(base.day, penalty, datum, "invalid.uscc", "USCC with a wrong check character")

    def missing_document_number(self, base: Scheduled) -> BadRecord | None:
        penalty, datum = self._penalty(base)
        datum["document_number"] = ""
        return _raw(base.day, penalty, datum, "invalid.event", "no document number (CF_WSH)")

    def invalid_birth_date(self, base: Scheduled) -> BadRecord | None:
        if base.event.subject_kind != SubjectKind.NATURAL_PERSON:
            return None
        penalty, datum = self._penalty(base)
        # 31 February, with the check digit made right so that only the date is wrong.
        body = penalty.subject_id[:10] + "0231" + penalty.subject_id[14:17]
        wrong = body + str(ric.calc_check_digit(body + "0"))
        datum.update(subject_id=wrong, id_number=wrong)
        return _raw(
            base.day, penalty, datum, "invalid.resident_id", "resident ID with birth date 0231"
        )

    def unknown_department(self, base: Scheduled) -> BadRecord | None:
        penalty, datum = self._penalty(base)
        datum["department_id"] = "tourism"
        return _raw(base.day, penalty, datum, "invalid.department", "unknown department")

    def from_the_future(self, base: Scheduled) -> BadRecord | None:
        penalty, datum = self._penalty(base)
        # A year ahead: a department's system with its clock set wrong.
        datum["occurred_at"] = penalty.occurred_at + timedelta(days=365)
        return _raw(base.day, penalty, datum, "invalid.future", "decision dated a year ahead")

    def key_not_subject(self, base: Scheduled) -> BadRecord | None:
        penalty, datum = self._penalty(base)
        bad = _raw(base.day, penalty, datum, "invalid.key", "message key is not the subject id")
        return BadRecord(
            bad.day, bad.topic_kind, b"00000000000000000X", bad.value, bad.reason_code,
            bad.what, bad.event_id,
        )  # fmt: skip

    def not_avro(self, base: Scheduled) -> BadRecord | None:
        penalty, datum = self._penalty(base)
        value = json.dumps(datum, default=str, ensure_ascii=False).encode()
        return BadRecord(
            base.day, "penalty", penalty.subject_id.encode(), value,
            "decode.not_single_object", "JSON instead of Avro", None,
        )  # fmt: skip

    def repair_too_early(self, base: Scheduled) -> BadRecord | None:
        """A repair of a stored penalty decided before its minimum publicity has passed."""
        penalty = base.event
        if not isinstance(penalty, PenaltyImposed) or penalty.serious_dishonesty:
            return None
        fact = fact_from_datum("PenaltyImposed", penalty.model_dump(mode="python"))
        policy: Policy = self.teller.policy
        if not isinstance(fact, PenaltyFact) or not is_published(fact, policy):
            return None
        earliest, _ = earliest_repair(fact, str(RepairRoute.PUBLICITY_ENDED_EARLY), policy)
        # Late enough after the penalty that the platform holds it (else the repair would wait).
        day = base.day + timedelta(days=STEP[0])
        if day >= earliest or day > self.teller.last:
            return None
        repair = self.builder.repair(
            penalty, RepairRoute.PUBLICITY_ENDED_EARLY, RepairWay.CREDIT_COMMITMENT, day,
            self.teller.at(day),
        )  # fmt: skip
        return _raw(
            day, repair, model_to_datum(repair), "repair.before_minimum",
            "repair before the minimum publicity period",
        )  # fmt: skip


def _ordinary_for(kind: SubjectKind) -> tuple[PenaltyType, ...]:
    return tuple(t for t in for_kind(PENALTIES, kind) if not t.simplified)
