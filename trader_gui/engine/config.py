"""The engine's settings: what a trader tunes, with the safe defaults."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from trader_gui.domain.risk_limits import RiskLimits


@dataclass(frozen=True, slots=True)
class EngineConfig:
    client_id: str = "PAPER"
    poll_interval_s: float = 1.0
    broker_timeout_s: float = 10.0
    """Longest wait for one broker call before its outcome counts as unknown."""
    not_found_grace_s: float = 30.0
    """How long an order sent but absent from the broker's book is given before it is FAILED."""
    max_backoff_s: float = 30.0
    daily_loss_limit: Decimal | None = None
    """A positive amount: ENTRY orders stop once today's P&L is at or below minus this."""
    risk_limits: RiskLimits = field(default_factory=RiskLimits)
    """Every other risk limit; `daily_loss_limit` above wins over the one in here."""
    allow_unlock_after_max_loss: bool = False
    """A max-loss trip keeps the kill switch on until the next trading day unless this is set."""
    broker_workers: int = 4
    max_slices_per_ticket: int | None = None
    """Kite takes at most 10 slices of one ticket; None leaves it to the broker."""
    orders_per_second: int | None = 10
    """The one order throttle per account; above 10 a second exchanges want an algo id."""

    def limits(self) -> RiskLimits:
        if self.daily_loss_limit is None:
            return self.risk_limits
        return replace(self.risk_limits, daily_loss_limit=self.daily_loss_limit)
