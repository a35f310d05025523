"""The risk manager: today's P&L from the broker's positions, the limits, and their memory.

The broker is the source of truth for P&L: the watcher feeds each positions poll in here.
The rules themselves are pure (`domain.risk_limits`); this class holds the state they
remember through the day, rolls it at the IST day boundary, and hands it to the repository
to persist, so the day's peak, a running cooldown and losing days survive a restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from trader_gui.domain.order import OrderCommand
from trader_gui.domain.risk_limits import (
    LimitRoom,
    OrderContext,
    RiskEvent,
    RiskLimits,
    RiskState,
    RiskVerdict,
    check_order,
    needs_roll,
    on_pnl,
    roll_day,
    room_left,
)
from trader_gui.engine.send_window import SendWindow

STATE_KEY = "risk"


@dataclass(frozen=True, slots=True)
class PnlSnapshot:
    at: datetime
    realised: Decimal
    unrealised: Decimal

    @property
    def total(self) -> Decimal:
        return self.realised + self.unrealised


class RiskManager:
    def __init__(
        self,
        limits: RiskLimits | None = None,
        state: RiskState | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits or RiskLimits()
        self.state = state
        self.pnl: PnlSnapshot | None = None
        self.dirty = False
        """The state changed since it was last persisted."""
        self._monotonic = monotonic
        self.sends = SendWindow(monotonic)
        """Orders that passed step 2 in the last minute, for the per-minute limit."""
        self._breach_tick: float | None = None
        """The monotonic moment this process saw today's loss limit reached (the cooldown)."""

    # ---- the daily loss limit, the one limit the window edits most ---------------------------

    @property
    def daily_loss_limit(self) -> Decimal | None:
        return self.limits.daily_loss_limit

    @daily_loss_limit.setter
    def daily_loss_limit(self, value: Decimal | None) -> None:
        self.limits = replace(self.limits, daily_loss_limit=value)

    # ---- persisted memory -------------------------------------------------------------------

    def restore(self, saved: Any, now: datetime) -> None:
        """Take back what was persisted (None on a first start), rolled to today."""
        self.state = None
        last_total = Decimal(0)
        if isinstance(saved, dict) and "state" in saved:
            self.state = RiskState.from_json(saved["state"])
            last_total = Decimal(saved.get("last_pnl", "0"))
            if saved.get("last_pnl_at"):
                self.pnl = PnlSnapshot(
                    datetime.fromisoformat(saved["last_pnl_at"]), Decimal(0), last_total
                )
        self._ensure_day(now, last_total)

    def snapshot_for_storage(self) -> dict[str, str]:
        assert self.state is not None
        saved = {"state": self.state.to_json()}
        if self.pnl is not None:
            saved["last_pnl"] = str(self.pnl.total)
            saved["last_pnl_at"] = self.pnl.at.isoformat()
        return saved

    def _ensure_day(self, now: datetime, last_total: Decimal) -> RiskState:
        if self.state is None:
            self.state = RiskState.for_day(now)
            self.dirty = True
        elif needs_roll(self.state, now):
            self.state = roll_day(self.state, now, last_total, limits=self.limits)
            self.pnl = None
            self.dirty = True
        return self.state

    # ---- each poll and each order -----------------------------------------------------------

    def update_pnl(self, snapshot: PnlSnapshot) -> list[RiskEvent]:
        """Fold a positions poll in; the events say what the engine must do (warn, trip)."""
        previous_total = self.pnl.total if self.pnl is not None else Decimal(0)
        state = self._ensure_day(snapshot.at, previous_total)
        new_state, events = on_pnl(
            state, self.limits, snapshot.at, snapshot.realised, snapshot.unrealised
        )
        if new_state != state:
            if state.daily_breached_at is None and new_state.daily_breached_at is not None:
                self._breach_tick = self._monotonic()
            self.state = new_state
            self.dirty = True
        self.pnl = snapshot
        return events

    def verdict(
        self,
        command: OrderCommand,
        now: datetime,
        *,
        last_price: Decimal | None,
        open_orders: int,
        orders_last_minute: int,
        is_flatten: bool,
    ) -> RiskVerdict:
        state = self._ensure_day(now, self.pnl.total if self.pnl else Decimal(0))
        context = OrderContext(
            now=now,
            pnl_total=self.pnl.total if self.pnl is not None else Decimal(0),
            last_price=last_price,
            open_orders=open_orders,
            orders_last_minute=orders_last_minute,
            is_flatten=is_flatten,
            since_breach_s=self._since_breach(state),
        )
        return check_order(command, self.limits, state, context)

    def _since_breach(self, state: RiskState) -> float | None:
        if state.daily_breached_at is None or self._breach_tick is None:
            return None  # no breach today, or one from before this process started
        return self._monotonic() - self._breach_tick

    def needs_market_price(self, command: OrderCommand) -> bool:
        """Whether a check of this order wants the last price (value or fat-finger limits)."""
        return self.limits.fat_finger_pct is not None or self.limits.max_order_value is not None

    def max_loss_tripped_today(self) -> bool:
        return self.state is not None and self.state.max_loss_tripped_at is not None

    def rooms(self) -> list[LimitRoom]:
        if self.state is None:
            return []
        total = self.pnl.total if self.pnl is not None else Decimal(0)
        return room_left(self.limits, self.state, total)

    def room_left(self) -> Decimal | None:
        """How much more can be lost today before the daily limit blocks entries."""
        if self.daily_loss_limit is None or self.pnl is None:
            return None
        return self.daily_loss_limit + self.pnl.total
