"""A controlled clock for the tests (a module name no test folder shadows).

It has a wall side (the call) and a monotonic side (`monotonic()`): time that passes moves
both; a jump of the wall clock (NTP, a hand-set clock) moves only the wall side, as on a real
machine.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class FakeClock:
    """Time that moves only when a test says so. Thread-safe: broker threads read it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
        self._tick = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        """Seconds that only ever move forward; pass as a Runtime's `monotonic`."""
        with self._lock:
            return self._tick

    def advance(self, seconds: float) -> datetime:
        """Time passes: both sides move."""
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._tick += max(0.0, seconds)
            return self._now

    def jump_to(self, moment: datetime) -> None:
        """Set the wall clock anywhere, backwards too (NTP, a hand-set clock, a VM resumed);
        the monotonic side does not move."""
        with self._lock:
            self._now = moment
