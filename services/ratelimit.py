# SPDX-License-Identifier: EUPL-1.2
"""Failures counted per client address over a sliding minute (wrong Open311 API keys): past
the limit, the address waits until its oldest failure leaves the window.

>>> f = FailureLimit(2, window_s=60)
>>> f.fail("a", now=0); f.fail("a", now=1); f.wait("a", now=2), f.wait("b", now=2)
(58, 0)
>>> f.wait("a", now=61)
0

One count per process: behind several instances each keeps its own (the limit per address
is then at most N times the setting).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque


class FailureLimit:
    """At most ``limit`` failures per address in ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float = 60.0, max_addresses: int = 100_000
                 ) -> None:
        self.limit = limit
        self.window = window_s
        self.max_addresses = max_addresses
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.get(address, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def fail(self, address: str, now: float | None = None) -> None:
        """Count one failure of ``address``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._failures) >= self.max_addresses:  # bounded memory: forget the idle
                self._failures = {a: t for a, t in self._failures.items()
                                  if self._recent(a, now)}
            times = self._recent(address, now)
            times.append(now)
            self._failures[address] = times

    def wait(self, address: str, now: float | None = None) -> int:
        """Seconds ``address`` must wait before trying again (0: it may try now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(address, now)
            if len(times) < self.limit:
                return 0
            return max(1, math.ceil(times[-self.limit] + self.window - now))
