"""A worker that can no longer make progress ends itself, so that what supervises it starts it
again (the platform is built to be killed at any point: ``tests/integration/test_platform.py``).

The worker's event loop beats once a second and says whether faust is in a rebalance; a thread
of its own looks at the beats. The worker is stuck when its loop has not beaten for ``limit``
seconds, or when it has been in one rebalance for ``limit`` seconds. A member that never finishes
a rebalance holds up its whole consumer group. In some ``test_chaos`` runs, after the broker
restarted, a worker fell silent and no worker processed anything again; the new worker never got
a partition, so the group most likely never finished a rebalance (the cause is not known).

``limit`` must leave room for a rebalance that waits for a dead member's session to time out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Liveness:
    def __init__(self, limit: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._beat = clock()
        self._rebalancing_since: float | None = None

    def beat(self, rebalancing: bool) -> None:
        """The event loop runs; ``rebalancing``: faust is in a rebalance."""
        now = self._clock()
        self._beat = now
        if not rebalancing:
            self._rebalancing_since = None
        elif self._rebalancing_since is None:
            self._rebalancing_since = now

    def stuck(self) -> str | None:
        """Why the worker is stuck, or None."""
        now = self._clock()
        if now - self._beat > self.limit:
            return f"its event loop has not run for {now - self._beat:.0f} s"
        since = self._rebalancing_since
        if since is not None and now - since > self.limit:
            return f"it has been in one rebalance for {now - since:.0f} s"
        return None


def watch(liveness: Liveness, on_stuck: Callable[[str], None], every: float = 1.0) -> None:
    """Look at ``liveness`` every ``every`` seconds from a daemon thread; call ``on_stuck`` once
    with the reason when it is stuck."""

    def run() -> None:
        while True:
            time.sleep(every)
            reason = liveness.stuck()
            if reason is not None:
                on_stuck(reason)
                return

    threading.Thread(target=run, name="liveness", daemon=True).start()
