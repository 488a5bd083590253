"""The notice ids a department has already handled, so that a redelivered notice is ignored."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path


class SeenIds:
    """Remembers the last ``capacity`` ids; with ``path``, also across restarts (one id a line)."""

    def __init__(self, path: Path | None = None, capacity: int = 1_000_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity
        self._path = path
        if path is not None and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                self._remember(line.strip())

    def __contains__(self, notice_id: object) -> bool:
        return notice_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, notice_id: str) -> None:
        if notice_id in self._ids:
            return
        self._remember(notice_id)
        if self._path is not None:
            with self._path.open("a", encoding="utf-8") as out:
                out.write(notice_id + "\n")

    def _remember(self, notice_id: str) -> None:
        if not notice_id:
            return
        self._ids[notice_id] = None
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
