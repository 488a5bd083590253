"""Redis key names. A subject's keys carry its id as a hash tag (``{id}``) so that they share a
Redis Cluster slot; the indexes across subjects live under the same prefix."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.enums import ListKind

LISTS = (ListKind.BLACK, ListKind.RED, ListKind.THREE_YEAR_CLEAN)
NOTICE_STATUSES = ("pending", "overdue", "answered")


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "cf:"

    def state(self, subject_id: str) -> str:
        return f"{self.prefix}{{{subject_id}}}:state"

    def events(self, subject_id: str) -> str:
        return f"{self.prefix}{{{subject_id}}}:events"

    def waiting(self, subject_id: str) -> str:
        """Event id → where it was read (JSON), for stored events waiting for their record."""
        return f"{self.prefix}{{{subject_id}}}:waiting"

    def notices(self, subject_id: str) -> str:
        return f"{self.prefix}{{{subject_id}}}:notices"

    @property
    def due(self) -> str:
        return f"{self.prefix}due"

    @property
    def outbox(self) -> str:
        return f"{self.prefix}outbox"

    def list(self, kind: ListKind) -> str:
        return f"{self.prefix}list:{kind}"

    def department_notices(self, status: str, department_id: str) -> str:
        return f"{self.prefix}notices:{status}:{department_id}"

    @property
    def notice_subjects(self) -> str:
        """Notice id → subject id, for feedback that names the subject masked: only notices
        about subjects whose id is personal (``schemas.identifiers.is_personal``), the ones
        departments are shown masked."""
        return f"{self.prefix}notice-subjects"

    @property
    def positions(self) -> str:
        """ "topic|partition" → the next input offset to process: what the state has taken in."""
        return f"{self.prefix}positions"

    def applied(self, token: str) -> str:
        """How many changes of the pipeline ``token`` names were applied (kept for a minute):
        the positions queued after them are recorded only if all were (``Store.apply``)."""
        return f"{self.prefix}applied:{token}"

    @property
    def packing(self) -> str:
        """The dictionaries stored events are packed with (streams.store.eventpacking):
        ``events:<id>`` → a dictionary, ``events:current`` → the id new events are packed with."""
        return f"{self.prefix}packing"

    @property
    def clock(self) -> str:
        return f"{self.prefix}clock"
