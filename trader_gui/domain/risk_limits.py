"""The risk rules of step 2, as pure functions over plain data: import them from here.

- `RiskLimits`: what the trader allows (each limit optional).
- `RiskState`: what the rules remember through the day; the engine persists it as JSON.
- `roll_day` / `on_pnl`: how a new IST day and each P&L poll move the state, and the events
  (warnings, a daily breach, trip the kill switch, flatten) the engine must act on.
- `check_order`: may this order go; if not, the one sentence that says which limit, its value
  and today's figure.
- `room_left`: per loss limit, the room left and a colour for the P&L panel.

The code lives in `risk_config`, `risk_state`, `risk_check`, `risk_room` and `risk_text`;
this module is the one place the engine and the window import from.
"""

from __future__ import annotations

from trader_gui.domain.risk_check import (
    OrderContext,
    RiskRule,
    RiskVerdict,
    check_order,
)
from trader_gui.domain.risk_config import (
    DEFAULT_WARN_SHARE,
    DailyFloor,
    RiskLimits,
    daily_floor,
    limit_problems,
    trailing_floor,
)
from trader_gui.domain.risk_room import LimitLevel, LimitRoom, LossLimitKind, room_left
from trader_gui.domain.risk_state import (
    RiskEvent,
    RiskEventKind,
    RiskState,
    ist_date,
    needs_roll,
    on_pnl,
    roll_day,
)

__all__ = [
    "DEFAULT_WARN_SHARE",
    "DailyFloor",
    "LimitLevel",
    "LimitRoom",
    "LossLimitKind",
    "OrderContext",
    "RiskEvent",
    "RiskEventKind",
    "RiskLimits",
    "RiskRule",
    "RiskState",
    "RiskVerdict",
    "check_order",
    "daily_floor",
    "ist_date",
    "limit_problems",
    "needs_roll",
    "on_pnl",
    "roll_day",
    "room_left",
    "trailing_floor",
]
