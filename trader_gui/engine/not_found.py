"""The not-found grace: how long a sent order may be missing from the broker's book.

An order whose outcome is unknown (the answer to place_order was lost) and that the broker's
book does not show is failed as NOT_FOUND_AT_BROKER only after a grace period, because some
brokers' books lag. Failing it early is the worst error the watcher can make: a live order
would be marked FAILED. So the grace must have passed on two clocks:

- the wall clock, since the row was sent (the only clock that spans a restart);
- the monotonic clock, since this process first saw the row missing. A wall clock that jumps
  forward (NTP, a laptop resumed) cannot cut this one short. After a restart it starts again
  from the new process's first poll, which only waits longer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Waited:
    """How long a missing row has waited, on each clock, in seconds."""

    since_sent: float
    """Wall clock, since the row was sent (negative when the clock was set back)."""
    missing_for: float
    """Monotonic clock, since this process first saw the row missing."""

    def past(self, grace_s: float) -> bool:
        return self.since_sent >= grace_s and self.missing_for >= grace_s


class MissingSince:
    """The monotonic moment each open row was first seen missing from the broker's book."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self._first_missing: dict[str, float] = {}

    def waited(self, command_id: str, sent_at: datetime, now: datetime) -> Waited:
        """Note the row as missing now (if it was not already) and say how long it has been."""
        tick = self._monotonic()
        first = self._first_missing.setdefault(command_id, tick)
        return Waited((now - sent_at).total_seconds(), tick - first)

    def keep_only(self, missing: Collection[str]) -> None:
        """Forget every row that is not missing this poll: found in the book, in flight, or
        closed. A row that goes missing again later starts a new grace (the safe side)."""
        for command_id in [c for c in self._first_missing if c not in missing]:
            del self._first_missing[command_id]
