"""The orders that passed step 2 in the last minute, on the monotonic clock.

The per-minute order limit counts the account's rows stamped `sent_at` in the last 60 s,
which spans a restart but not a wall clock jumping forward: the window then looks empty and
a minute's worth of orders more could pass. This process's own count, on the monotonic clock,
is the floor the database count cannot go under.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0


class SendWindow:
    def __init__(self, monotonic: Callable[[], float], window_s: float = WINDOW_S) -> None:
        self._monotonic = monotonic
        self._window_s = window_s
        self._passed: dict[str, deque[float]] = {}

    def note(self, client_id: str) -> None:
        """An order of the account passed step 2 now."""
        ticks = self._passed.setdefault(client_id, deque())
        ticks.append(self._monotonic())
        self._prune(ticks)

    def count(self, client_id: str) -> int:
        ticks = self._passed.get(client_id)
        if not ticks:
            return 0
        self._prune(ticks)
        return len(ticks)

    def _prune(self, ticks: deque[float]) -> None:
        start = self._monotonic() - self._window_s
        while ticks and ticks[0] <= start:
            ticks.popleft()
