"""Importing a file: rows → events → the publisher; rejected rows → the report and dead letters.

One producer serves the whole file and no row waits for its acknowledgement: delivery
callbacks count what Kafka took, and a final flush waits for the rest. A row that is not
valid is never sent; it goes to the report and, unless disabled, to the dead-letter topic.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

from confluent_kafka import KafkaException

from creditflow.topics import CONTRACT, TopicNames
from producers.columns import ImportKind
from producers.errors import PublishError
from producers.publisher import Delivery
from producers.reader import ROW, SourceFile, SourceRow
from producers.rows import BuiltRow, EventBuilder
from schemas.enums import SubjectKind
from schemas.errors import ContractError, Problem
from schemas.events import Event

logger = logging.getLogger(__name__)


class RecordPublisher(Protocol):
    """What the importer needs of ``DepartmentPublisher``."""

    def publish(
        self, event: Event, on_delivery: Callable[[Delivery], None] | None = None
    ) -> Delivery: ...

    def flush(self, timeout: float = 30.0) -> int: ...


class DeadLetters(Protocol):
    """What the importer needs of ``DeadLetterSink``."""

    sent: int
    failed: int

    def send(
        self,
        *,
        source_topic: str,
        original: bytes,
        problems: tuple[Problem, ...],
        subject_id: str | None,
        subject_kind: SubjectKind | None,
    ) -> None: ...

    def flush(self, timeout: float) -> int: ...


@dataclass(frozen=True, slots=True)
class ImportProgress:
    lines_done: int
    lines_total: int
    sent: int
    acknowledged: int
    rejected: int


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that was not sent, and why."""

    number: int
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class FailedRow:
    """A valid row that Kafka did not acknowledge."""

    number: int
    event_id: uuid.UUID
    reason: str
    reason_code: str


@dataclass
class ImportReport:
    """What became of every row of one file."""

    path: Path
    kind: ImportKind
    department_id: str
    topic: str
    dry_run: bool = False
    rows_read: int = 0
    valid: int = 0
    sent: int = 0
    published: int = 0  # acknowledged by Kafka
    rejected: list[RejectedRow] = field(default_factory=list)
    failed: list[FailedRow] = field(default_factory=list)
    dead_letters_sent: int = 0
    dead_letters_failed: int = 0

    @property
    def succeeded(self) -> bool:
        """Every row was published and acknowledged (in a dry run: every row is valid)."""
        if self.rejected or self.failed:
            return False
        return self.dry_run or self.published == self.rows_read


class FileImporter:
    """Imports the rows of one file for one department and kind."""

    def __init__(
        self,
        builder: EventBuilder,
        publisher: RecordPublisher | None,
        dead_letters: DeadLetters | None = None,
        *,
        topics: TopicNames = CONTRACT,
        ack_timeout: float = 60.0,
        on_progress: Callable[[ImportProgress], None] | None = None,
    ) -> None:
        """``publisher`` None is a dry run: rows are checked and reported, nothing is sent.

        ``topics`` must be the publisher's (``settings.topics``): rejected rows name the topic
        they were meant for.
        """
        self.builder = builder
        self.publisher = publisher
        self.dead_letters = dead_letters
        self.ack_timeout = ack_timeout
        self.on_progress = on_progress
        self.topic = topics.event(builder.kind.value)
        self._pending: dict[int, uuid.UUID] = {}

    def run(self, source: SourceFile) -> ImportReport:
        report = ImportReport(
            source.path,
            self.builder.kind,
            self.builder.department_id,
            self.topic,
            dry_run=self.publisher is None,
        )
        for row in source.rows():
            report.rows_read += 1
            self._import_row(row, report)
            self._progress(source, report)
        self._wait_for_acknowledgements(source, report)
        if self.dead_letters is not None:
            undelivered = self.dead_letters.flush(self.ack_timeout)
            report.dead_letters_sent = self.dead_letters.sent
            report.dead_letters_failed = self.dead_letters.failed + undelivered
        return report

    def _import_row(self, row: SourceRow, report: ImportReport) -> None:
        # A row that could be read only in part is still checked, so that all is reported.
        built = self.builder.build(row.values) if row.values else None
        problems = row.problems + (built.problems if built is not None else ())
        if not problems and built is None:
            problems = (Problem(ROW, "has no values", "invalid.row"),)
        if built is not None and built.event is not None and not problems:
            report.valid += 1
            if self.publisher is not None:
                self._publish(self.publisher, row, built, report)
            return
        self._reject(row, problems, built, report)

    def _publish(
        self, publisher: RecordPublisher, row: SourceRow, built: BuiltRow, report: ImportReport
    ) -> None:
        event = built.event
        if event is None:  # pragma: no cover - only valid rows are published
            return
        self._pending[row.number] = event.event_id
        try:
            publisher.publish(event, on_delivery=partial(self._delivered, report, row.number))
        except ContractError as exc:
            # The publisher's own checks (encoding, plausibility) found what the row's did not.
            self._pending.pop(row.number, None)
            report.valid -= 1
            problem = Problem(exc.field or "(event)", exc.detail, exc.reason_code)
            self._reject(row, (problem,), built, report)
            return
        except KafkaException as exc:
            self._pending.pop(row.number, None)
            reason = f"not handed to Kafka: {exc.args[0].str() if exc.args else exc}"
            report.failed.append(FailedRow(row.number, event.event_id, reason, "delivery.failed"))
            return
        report.sent += 1

    def _delivered(self, report: ImportReport, number: int, delivery: Delivery) -> None:
        self._pending.pop(number, None)
        try:
            delivery.result(timeout=0)
        except PublishError as exc:
            report.failed.append(
                FailedRow(number, delivery.event.event_id, str(exc), "delivery.failed")
            )
        else:
            report.published += 1

    def _reject(
        self,
        row: SourceRow,
        problems: tuple[Problem, ...],
        built: BuiltRow | None,
        report: ImportReport,
    ) -> None:
        report.rejected.append(RejectedRow(row.number, problems))
        if self.dead_letters is None:
            return
        self.dead_letters.send(
            source_topic=self.topic,
            original=row.original,
            problems=problems,
            subject_id=built.subject_id if built is not None else None,
            subject_kind=built.subject_kind if built is not None else None,
        )

    def _wait_for_acknowledgements(self, source: SourceFile, report: ImportReport) -> None:
        if self.publisher is None:
            return
        deadline = time.monotonic() + self.ack_timeout
        while self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.publisher.flush(min(0.5, left))
            self._progress(source, report)
        for number, event_id in sorted(self._pending.items()):
            reason = f"no acknowledgement from Kafka within {self.ack_timeout:g} s"
            report.failed.append(FailedRow(number, event_id, reason, "delivery.timeout"))
        self._pending.clear()

    def _progress(self, source: SourceFile, report: ImportReport) -> None:
        if self.on_progress is not None:
            self.on_progress(
                ImportProgress(
                    source.lines_done,
                    source.total_lines,
                    report.sent,
                    report.published,
                    len(report.rejected),
                )
            )
