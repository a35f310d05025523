"""What the risk rules remember through a day (and across days), and how P&L moves it.

The engine owns one `RiskState` per account, persists it as JSON after every change, and
feeds it P&L polls through `on_pnl`. Everything here is a pure function of its arguments:
time comes in as `now`, never from a clock, so a test can walk a whole trading day in a
few lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from trader_gui.domain.market_time import IST
from trader_gui.domain.risk_config import RiskLimits, daily_floor, floor_sentence
from trader_gui.domain.risk_text import ist_time, max_loss_reached, money, share_used

STATE_VERSION = 1
ZERO = Decimal(0)

WARNED_DAILY_LOSS = "daily_loss"
WARNED_MAX_LOSS = "max_loss"


def ist_date(moment: datetime) -> date:
    """The Indian trading day a moment falls in."""
    return moment.astimezone(IST).date()


def _as_utc(moment: datetime | None, name: str) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone, got naive {moment.isoformat()}.")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class RiskState:
    """One account's risk memory. Daily fields reset at each new IST day (see `roll_day`).

    Datetimes are stored in UTC whatever zone they arrive in, so a state and its JSON
    round-trip compare equal field by field.
    """

    trading_day: date
    """The IST date the daily fields belong to."""
    day_peak_pnl: Decimal = ZERO
    """Highest P&L seen today; starts at 0 (flat). Drives the trailing floor."""
    daily_breached_at: datetime | None = None
    """When today's loss floor (daily or trailing) was first reached; starts the cooldown."""
    max_loss_tripped_at: datetime | None = None
    """When max loss was reached today: entries stay blocked for the rest of the day."""
    consecutive_losses: int = 0
    """Losing closing trades in a row today."""
    losing_days: int = 0
    """Losing days in a row, up to yesterday."""
    last_realised: Decimal = ZERO
    """Today's realised P&L at the last poll: a change in it is a closing trade."""
    warned: frozenset[str] = field(default_factory=frozenset)
    """Warnings already given today, so each is given once."""

    def __post_init__(self) -> None:
        for name in ("day_peak_pnl", "last_realised"):
            if not getattr(self, name).is_finite():
                raise ValueError(f"{name} must be a finite amount.")
        for name in ("consecutive_losses", "losing_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative.")
        object.__setattr__(
            self, "daily_breached_at", _as_utc(self.daily_breached_at, "daily_breached_at")
        )
        object.__setattr__(
            self, "max_loss_tripped_at", _as_utc(self.max_loss_tripped_at, "max_loss_tripped_at")
        )
        object.__setattr__(self, "warned", frozenset(self.warned))

    @classmethod
    def for_day(cls, now: datetime) -> RiskState:
        """A fresh state for the IST day `now` falls in (first run, or unreadable saved state)."""
        return cls(trading_day=ist_date(now))

    def to_json(self) -> str:
        """Decimals as strings (exact), datetimes as ISO 8601 UTC, warnings sorted."""
        return json.dumps(
            {
                "version": STATE_VERSION,
                "trading_day": self.trading_day.isoformat(),
                "day_peak_pnl": str(self.day_peak_pnl),
                "daily_breached_at": _iso(self.daily_breached_at),
                "max_loss_tripped_at": _iso(self.max_loss_tripped_at),
                "consecutive_losses": self.consecutive_losses,
                "losing_days": self.losing_days,
                "last_realised": str(self.last_realised),
                "warned": sorted(self.warned),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> RiskState:
        """The state `to_json` wrote. Anything else raises ValueError saying what is wrong."""
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict):
                raise TypeError("not a JSON object")
            return _state_from_dict(raw)
        except (KeyError, TypeError, ValueError, InvalidOperation) as error:
            raise ValueError(f"Saved risk state is not readable: {error!r}") from error


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _decimal(raw: dict[str, Any], name: str) -> Decimal:
    value = raw[name]
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {value!r}")
    return Decimal(value)


def _moment(raw: dict[str, Any], name: str) -> datetime | None:
    value = raw[name]
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be an ISO string, got {value!r}")
    return datetime.fromisoformat(value)


def _whole(raw: dict[str, Any], name: str) -> int:
    value = raw[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number, got {value!r}")
    return value


def _state_from_dict(raw: dict[str, Any]) -> RiskState:
    if raw.get("version") != STATE_VERSION:
        raise ValueError(f"unknown version {raw.get('version')!r}")
    warned = raw["warned"]
    if not isinstance(warned, list) or not all(isinstance(key, str) for key in warned):
        raise TypeError(f"warned must be a list of strings, got {warned!r}")
    return RiskState(
        trading_day=date.fromisoformat(raw["trading_day"]),
        day_peak_pnl=_decimal(raw, "day_peak_pnl"),
        daily_breached_at=_moment(raw, "daily_breached_at"),
        max_loss_tripped_at=_moment(raw, "max_loss_tripped_at"),
        consecutive_losses=_whole(raw, "consecutive_losses"),
        losing_days=_whole(raw, "losing_days"),
        last_realised=_decimal(raw, "last_realised"),
        warned=frozenset(warned),
    )


# ---- events --------------------------------------------------------------------------------


class RiskEventKind(StrEnum):
    """What a P&L poll asks of the engine."""

    WARN = "WARN"
    """Tell the trader (window, tray, Telegram); nothing is blocked yet."""
    DAILY_LOSS_BREACHED = "DAILY_LOSS_BREACHED"
    """Today's loss floor was reached: entries stop (and the cooldown starts)."""
    TRIP_KILL_SWITCH = "TRIP_KILL_SWITCH"
    """Max loss reached: turn the kill switch on, with the sentence as its reason."""
    FLATTEN = "FLATTEN"
    """Max loss reached and flatten_on_max_loss: cancel open orders and square off."""


@dataclass(frozen=True, slots=True)
class RiskEvent:
    kind: RiskEventKind
    sentence: str


# ---- transitions ---------------------------------------------------------------------------


def needs_roll(state: RiskState, now: datetime) -> bool:
    """True once `now` is in a later IST day than the state: call `roll_day` before `on_pnl`."""
    return ist_date(now) > state.trading_day


def roll_day(
    state: RiskState,
    now: datetime,
    final_pnl_of_previous_day: Decimal,
    *,
    limits: RiskLimits | None = None,
) -> RiskState:
    """The state for the new IST day `now` falls in; unchanged if that day is not later.

    Daily fields start over. The losing-day streak grows by one if the day being closed ended
    below zero and restarts at 0 otherwise. With `limits`, a day that was itself a losing-days
    cooldown (streak already at the limit) also restarts the streak whatever its P&L: the
    trader sat that session out, and exits of old positions on it must not chain cooldowns.
    """
    day = ist_date(now)
    if day <= state.trading_day:
        return state
    sat_out = (
        limits is not None
        and limits.losing_days_for_cooldown is not None
        and state.losing_days >= limits.losing_days_for_cooldown
    )
    lost = final_pnl_of_previous_day < 0
    losing_days = state.losing_days + 1 if lost and not sat_out else 0
    return RiskState(trading_day=day, losing_days=losing_days)


def on_pnl(
    state: RiskState,
    limits: RiskLimits,
    now: datetime,
    realised: Decimal,
    unrealised: Decimal,
) -> tuple[RiskState, list[RiskEvent]]:
    """Fold one P&L poll into the state and say what the engine must do about it.

    Order: closing trades (a change in realised P&L), the day's peak, max loss, the daily
    floor, then the early warnings. Each breach and each warning is reported once per day;
    the engine acts on the events and persists the returned state.
    Raises ValueError if `now` is not in the state's IST day: roll the day first.
    """
    if ist_date(now) != state.trading_day:
        raise ValueError(
            f"P&L at {now.isoformat()} is not for the state's day {state.trading_day}: "
            "call roll_day first."
        )
    total = realised + unrealised
    state = _count_closing_trade(state, realised)
    state = replace(state, day_peak_pnl=max(state.day_peak_pnl, total))
    events: list[RiskEvent] = []
    for step in (_max_loss_step, _daily_floor_step, _warning_step):
        state, found = step(state, limits, now, total)
        events.extend(found)
    return state, events


def _count_closing_trade(state: RiskState, realised: Decimal) -> RiskState:
    """Realised P&L only moves when a trade closes: down is a loss, up is a win."""
    change = realised - state.last_realised
    losses = state.consecutive_losses
    if change < 0:
        losses += 1
    elif change > 0:
        losses = 0
    return replace(state, consecutive_losses=losses, last_realised=realised)


Step = tuple[RiskState, list[RiskEvent]]


def _max_loss_step(state: RiskState, limits: RiskLimits, now: datetime, total: Decimal) -> Step:
    limit = limits.max_loss
    if limit is None or state.max_loss_tripped_at is not None or total > -limit:
        return state, []
    reached = max_loss_reached(limit, total)
    events = [
        RiskEvent(
            RiskEventKind.TRIP_KILL_SWITCH,
            f"{reached} Kill switch on: no new ENTRY today; EXIT orders and cancels still go.",
        )
    ]
    if limits.flatten_on_max_loss:
        events.append(RiskEvent(RiskEventKind.FLATTEN, f"{reached} Squaring off every position."))
    return replace(state, max_loss_tripped_at=now), events


def _daily_floor_step(state: RiskState, limits: RiskLimits, now: datetime, total: Decimal) -> Step:
    floor = daily_floor(limits, state.day_peak_pnl)
    if floor is None or state.daily_breached_at is not None or total > floor.level:
        return state, []
    sentence = floor_sentence(limits, floor, total, state.day_peak_pnl)
    if limits.cooldown_minutes is not None:
        until = now + timedelta(minutes=limits.cooldown_minutes)
        sentence += f" No new ENTRY until {ist_time(until)}, even if P&L recovers."
    event = RiskEvent(RiskEventKind.DAILY_LOSS_BREACHED, sentence)
    return replace(state, daily_breached_at=now), [event]


def _warning_step(state: RiskState, limits: RiskLimits, now: datetime, total: Decimal) -> Step:
    """Warn once a day per limit when P&L has used warn_share of it, before it blocks.

    A P&L that jumps straight past the limit gets the breach event instead, and the warning
    is marked given so a later recovery into the amber zone does not warn out of order.
    """
    share = limits.warn_share
    if share is None:
        return state, []
    events: list[RiskEvent] = []
    warned = set(state.warned)
    for key, limit in (
        (WARNED_DAILY_LOSS, limits.daily_loss_limit),
        (WARNED_MAX_LOSS, limits.max_loss),
    ):
        if limit is None or key in warned or total > -limit * share:
            continue
        warned.add(key)
        if total > -limit:
            events.append(RiskEvent(RiskEventKind.WARN, _warning(key, limit, total)))
    return replace(state, warned=frozenset(warned)), events


def _warning(key: str, limit: Decimal, total: Decimal) -> str:
    used = share_used(-total / limit)
    if key == WARNED_DAILY_LOSS:
        return (
            f"P&L {money(total)} has used {used} of the daily loss limit {money(limit)}; "
            f"new ENTRY orders stop at {money(-limit)}."
        )
    return (
        f"P&L {money(total)} has used {used} of the max loss limit {money(limit)}; "
        f"at {money(-limit)} the kill switch trips."
    )
