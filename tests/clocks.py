"""A controlled wall clock for the tests (a module name no test folder shadows)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class FakeClock:
    """Time that moves only when a test says so. Thread-safe: broker threads read it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def jump_to(self, moment: datetime) -> None:
        """Set the wall clock anywhere, backwards too (NTP, a hand-set clock, a VM resumed)."""
        with self._lock:
            self._now = moment
