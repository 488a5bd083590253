"""The garbage collector's settings for a long-running worker or a rebuild.

Processing a batch allocates many short-lived objects (decoded records, validated events, facts,
derived states), few of them in reference cycles. With CPython's default thresholds (700, 10,
10) the collector then ran some 50 young collections for every thousand events and now and then
a full one over everything the worker holds (its cache of facts among it): a tenth of a worker's
time, measured with ``gc.callbacks`` on a 50,000-event backlog. Young collections every 50,000
allocations bring that under 1%, at the cost of some cyclic garbage living a little longer.

``gc.freeze()`` moves what exists once the worker is set up (modules, schemas, the policy) out
of the collector's sight, so that full collections do not walk it again and again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: (young, middle, old) thresholds: see the module's text.
THRESHOLDS = (50_000, 20, 10)


def tune_for_throughput() -> None:
    """For the rest of the process (a worker)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


@contextmanager
def tuned_for_throughput() -> Iterator[None]:
    """For one long step (a rebuild); the collector as it was afterwards. Inside another such
    step (a part of a rebuild run in its process), it leaves the collector as it is."""
    before = gc.get_threshold()
    if before == THRESHOLDS:
        yield
        return
    tune_for_throughput()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
