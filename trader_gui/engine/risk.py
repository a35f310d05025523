"""The risk manager: today's P&L from the broker's positions, and the limits it sets.

The broker is the source of truth for P&L: the watcher feeds each positions poll in here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from trader_gui.domain.order import OrderCommand
from trader_gui.domain.prices import format_money


@dataclass(frozen=True, slots=True)
class PnlSnapshot:
    at: datetime
    realised: Decimal
    unrealised: Decimal

    @property
    def total(self) -> Decimal:
        return self.realised + self.unrealised


class RiskManager:
    def __init__(self, daily_loss_limit: Decimal | None = None) -> None:
        self.daily_loss_limit = daily_loss_limit
        self.pnl: PnlSnapshot | None = None

    def update_pnl(self, snapshot: PnlSnapshot) -> None:
        self.pnl = snapshot

    def entry_block_reason(self, command: OrderCommand) -> str | None:
        """The sentence that blocks a new ENTRY, or None. EXIT orders never reach here."""
        limit = self.daily_loss_limit
        if limit is None or self.pnl is None:
            return None
        if self.pnl.total <= -limit:
            return (
                f"Daily loss limit {format_money(limit)} reached: today's P&L is "
                f"{format_money(self.pnl.total)}."
            )
        return None

    def room_left(self) -> Decimal | None:
        """How much more can be lost today before the daily limit blocks entries."""
        if self.daily_loss_limit is None or self.pnl is None:
            return None
        return self.daily_loss_limit + self.pnl.total
