"""How a rebuild shares the log among its processes: by partition number, so that each subject's
records of every topic, and every copy of one event, are read by one process; and how the told
maps its parts restored are joined."""

from __future__ import annotations

import orjson

from streams.logread import LogRange
from streams.rebuild import _joined, _split

TOPICS = ("credit.permit.v1", "credit.penalty.v1", "credit.repair.v1")


def _log(partitions: int) -> LogRange:
    keys = [(t, p) for t in TOPICS for p in range(partitions)]
    return LogRange(dict.fromkeys(keys, 0), {k: 10 + k[1] for k in keys})


def test_each_partition_number_goes_to_one_part_with_every_topic() -> None:
    log = _log(6)
    parts = _split(log, 4)
    assert len(parts) == 4
    owner = {}
    for index, part in enumerate(parts):
        assert part.starts.keys() == part.ends.keys()
        for _topic, partition in part.ends:
            assert owner.setdefault(partition, index) == index
            assert {(t, partition) for t in TOPICS} <= part.ends.keys()
    assert sorted(k for part in parts for k in part.ends) == sorted(log.ends)
    assert sum(part.total for part in parts) == log.total


def test_no_empty_part_when_there_are_more_processes_than_partitions() -> None:
    parts = _split(_log(2), 4)
    assert len(parts) == 2
    assert all(part.ends for part in parts)
    assert _split(LogRange({}, {}), 2) == [LogRange({}, {})]


def test_told_maps_restored_apart_are_joined_pair_by_pair() -> None:
    masked = orjson.dumps([{"status": "ACTIVE", "seq": 1, "measure": {"measure_id": "B01"}}])
    full = orjson.dumps(
        [
            {"status": "LIFTED", "seq": 2, "measure": {"measure_id": "B07"}},
            {"status": "ACTIVE", "seq": 1, "measure": {"measure_id": "R02"}},
        ]
    )
    assert _joined([full]) == full  # one part: as it was written
    joined = orjson.loads(_joined([masked, full]))
    assert [p["measure"]["measure_id"] for p in joined] == ["B01", "B07", "R02"]
    assert joined[1] == {"status": "LIFTED", "seq": 2, "measure": {"measure_id": "B07"}}
