"""The kill switch's state: a persisted fact, with who or what set it and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class KillSwitchState:
    active: bool
    changed_at: datetime
    changed_by: str
    """"trader", "command line", "max-loss trip", ..."""
    reason: str = ""

    @classmethod
    def off(cls) -> KillSwitchState:
        return cls(False, datetime.fromtimestamp(0, UTC), "default", "")
