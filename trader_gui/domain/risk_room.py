"""How much room each loss limit leaves: what the P&L panel draws beside the chart.

The panel shows, per limit, the P&L line it sits at, the rupees left before it blocks, and a
colour: ok, amber once warn_share of it is used (the same moment the warning event fires),
red once it is reached (the same moment ENTRY orders stop).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from trader_gui.domain.risk_config import RiskLimits, trailing_floor
from trader_gui.domain.risk_state import RiskState

ZERO = Decimal(0)
ONE = Decimal(1)


class LimitLevel(StrEnum):
    OK = "ok"
    AMBER = "amber"
    RED = "red"


class LossLimitKind(StrEnum):
    DAILY_LOSS = "DAILY_LOSS"
    TRAILING_LOSS = "TRAILING_LOSS"
    MAX_LOSS = "MAX_LOSS"


@dataclass(frozen=True, slots=True)
class LimitRoom:
    kind: LossLimitKind
    name: str
    """As the panel labels it: "Daily loss limit"."""
    value: Decimal
    """The limit as the trader reads it: 5,000.00 for a daily loss limit; the floor itself
    (which can be above zero) for the trailing floor."""
    floor: Decimal
    """The P&L line where it blocks: -5,000.00."""
    room: Decimal
    """P&L minus the floor: rupees left before it blocks; negative once passed."""
    share_used: Decimal
    """0 when untouched, 1 at the limit, above 1 beyond it."""
    level: LimitLevel


def room_left(limits: RiskLimits, state: RiskState, pnl_total: Decimal) -> list[LimitRoom]:
    """One row per loss limit in force: daily, trailing floor (once above the daily), max loss."""
    peak = max(state.day_peak_pnl, pnl_total)
    rows: list[LimitRoom] = []
    if limits.daily_loss_limit is not None:
        rows.append(_loss_row(LossLimitKind.DAILY_LOSS, limits.daily_loss_limit, limits, pnl_total))
    trailing = _trailing_row(limits, peak, pnl_total)
    if trailing is not None:
        rows.append(trailing)
    if limits.max_loss is not None:
        rows.append(_loss_row(LossLimitKind.MAX_LOSS, limits.max_loss, limits, pnl_total))
    return rows


def _level(share: Decimal, limits: RiskLimits) -> LimitLevel:
    if share >= ONE:
        return LimitLevel.RED
    if limits.warn_share is not None and share >= limits.warn_share:
        return LimitLevel.AMBER
    return LimitLevel.OK


def _loss_row(kind: LossLimitKind, limit: Decimal, limits: RiskLimits, pnl: Decimal) -> LimitRoom:
    """A fixed loss limit: the share used is today's loss over the limit."""
    share = max(ZERO, -pnl) / limit
    name = "Daily loss limit" if kind is LossLimitKind.DAILY_LOSS else "Max loss limit"
    return LimitRoom(kind, name, limit, -limit, pnl + limit, share, _level(share, limits))


def _trailing_row(limits: RiskLimits, peak: Decimal, pnl: Decimal) -> LimitRoom | None:
    """The trailing floor, shown only once it is above the daily floor (before, it adds nothing).

    Its share used is how much of the way from the day's peak down to the floor P&L has
    fallen: 0 at the peak, 1 on the floor.
    """
    floor = trailing_floor(limits, peak)
    if floor is None:
        return None
    if limits.daily_loss_limit is not None and floor <= -limits.daily_loss_limit:
        return None
    share = max(ZERO, peak - pnl) / (peak - floor)
    return LimitRoom(
        LossLimitKind.TRAILING_LOSS,
        "Trailing loss floor",
        floor,
        floor,
        pnl - floor,
        share,
        _level(share, limits),
    )
