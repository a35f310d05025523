"""Client-side rate limits: Kite allows 10 order requests a second (1 for quotes), else 429.

A sliding window, stricter than a token bucket: at most `limit` calls start in any window of
`window_s` seconds, however the windows are drawn (a refilling bucket lets up to twice the
limit through across a window boundary). Callers wait their turn in arrival order; none is
dropped. The clock and the sleep are injectable so tests never sleep.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """Thread-safe: a slot is reserved under the lock, the wait happens outside it."""

    def __init__(
        self,
        limit: int,
        window_s: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("a rate limit needs at least one call in a positive window")
        self.limit = limit
        self.window_s = window_s
        self._monotonic = monotonic
        self._sleep = sleep
        self._starts: deque[float] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait until a call may start; returns how long it waited (seconds)."""
        with self._lock:
            now = self._monotonic()
            start = now
            if len(self._starts) == self.limit:
                start = max(start, self._starts[0] + self.window_s)
            if self._starts:
                start = max(start, self._starts[-1])
            self._starts.append(start)
        wait = start - now
        if wait > 0:
            self._sleep(wait)
            return wait
        return 0.0
