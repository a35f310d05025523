"""The risk check of step 2: may this order go, and if not, which limit stops it and why.

Rule order, first block wins:

1. order rate (every order: it stops runaway loops, not losses);
2. ENTRY only, loss-based: max loss, the daily floor (daily loss limit or trailing floor),
   the cooldown after a daily breach, consecutive losses, the losing-days cooldown, the
   daily profit target;
3. size, ENTRY and EXIT: max order quantity, max order value;
4. ENTRY only: max open orders;
5. LIMIT and SL, ENTRY and EXIT: the fat-finger price guard.

EXIT orders pass every loss-based limit because the trader must always be able to get flat.
Orders the kill switch sends to square off (`is_flatten`) skip the rate, size and fat-finger
rules too: the program sized and priced them, and a flatten cut short by a rule would leave
the account exposed exactly when the trader asked to be out. Cancels never come here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from trader_gui.domain.enums import ExecutionType, OrderType, Source
from trader_gui.domain.order import OrderCommand
from trader_gui.domain.risk_config import RiskLimits, daily_floor, floor_sentence
from trader_gui.domain.risk_state import RiskState
from trader_gui.domain.risk_text import (
    HUNDRED,
    count,
    ist_time,
    max_loss_reached,
    minutes,
    money,
    percent,
    percent_up,
    plural,
)


@dataclass(frozen=True, slots=True)
class OrderContext:
    """The figures the rules need, gathered by the engine at the moment of the check."""

    now: datetime
    pnl_total: Decimal
    """Today's realised + unrealised P&L."""
    last_price: Decimal | None = None
    """The instrument's last traded price, None when no quote is known."""
    open_orders: int = 0
    """This account's orders at the broker that are not terminal."""
    orders_last_minute: int = 0
    """This account's orders that passed step 2 in the last 60 seconds."""
    is_flatten: bool = False
    """An EXIT the kill switch sends to square off."""
    since_breach_s: float | None = None
    """Monotonic seconds since this process saw today's loss limit reached; None when the
    breach came before this process started (only the wall clock then spans it)."""

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError("OrderContext.now must carry a time zone.")


class RiskRule(StrEnum):
    """Which limit blocked an order: the blockers panel counts per rule."""

    ORDER_RATE = "ORDER_RATE"
    MAX_LOSS = "MAX_LOSS"
    DAILY_LOSS = "DAILY_LOSS"
    TRAILING_LOSS = "TRAILING_LOSS"
    COOLDOWN = "COOLDOWN"
    CONSECUTIVE_LOSSES = "CONSECUTIVE_LOSSES"
    LOSING_DAYS = "LOSING_DAYS"
    PROFIT_TARGET = "PROFIT_TARGET"
    ORDER_QTY = "ORDER_QTY"
    ORDER_VALUE = "ORDER_VALUE"
    OPEN_ORDERS = "OPEN_ORDERS"
    FAT_FINGER = "FAT_FINGER"


@dataclass(frozen=True, slots=True)
class RiskVerdict:
    """A block sentence (None: the order may go) and notes about checks that could not run."""

    blocked_sentence: str | None = None
    rule: RiskRule | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return self.blocked_sentence is not None


@dataclass(frozen=True, slots=True)
class _Facts:
    command: OrderCommand
    limits: RiskLimits
    state: RiskState
    context: OrderContext

    @property
    def pnl(self) -> Decimal:
        return self.context.pnl_total

    @property
    def peak(self) -> Decimal:
        """The day's peak including this very moment, in case the last poll missed it."""
        return max(self.state.day_peak_pnl, self.context.pnl_total)


@dataclass(frozen=True, slots=True)
class _Outcome:
    rule: RiskRule
    sentence: str | None = None
    note: str | None = None


Rule = Callable[[_Facts], _Outcome | None]


def check_order(
    command: OrderCommand, limits: RiskLimits, state: RiskState, context: OrderContext
) -> RiskVerdict:
    """The first rule that blocks this order, with its sentence; notes from every rule run."""
    facts = _Facts(command, limits, state, context)
    notes: list[str] = []
    for rule in _rules_for(command, context):
        outcome = rule(facts)
        if outcome is None:
            continue
        if outcome.note is not None:
            notes.append(outcome.note)
        if outcome.sentence is not None:
            return RiskVerdict(outcome.sentence, outcome.rule, notes)
    return RiskVerdict(None, None, notes)


def _rules_for(command: OrderCommand, context: OrderContext) -> Sequence[Rule]:
    if command.execution_type is ExecutionType.ENTRY:
        return (_order_rate, *LOSS_RULES, *SIZE_RULES, _open_orders, _fat_finger)
    if context.is_flatten or command.source is Source.FLATTEN:
        return ()
    return (_order_rate, *SIZE_RULES, _fat_finger)


def _block(rule: RiskRule, sentence: str) -> _Outcome:
    return _Outcome(rule, sentence=sentence)


# ---- every order ---------------------------------------------------------------------------


def _order_rate(facts: _Facts) -> _Outcome | None:
    limit = facts.limits.max_orders_per_minute
    sent = facts.context.orders_last_minute
    if limit is None or sent < limit:
        return None
    return _block(
        RiskRule.ORDER_RATE,
        f"Order rate limit {count(limit)} per minute reached: {plural(sent, 'order')} "
        "already went in the last 60 seconds.",
    )


# ---- loss-based, ENTRY only ----------------------------------------------------------------


def _max_loss(facts: _Facts) -> _Outcome | None:
    """Max loss is a hard floor: once reached today, entries stay blocked even on a recovery."""
    limit = facts.limits.max_loss
    if limit is None:
        return None
    if facts.pnl <= -limit:
        return _block(RiskRule.MAX_LOSS, max_loss_reached(limit, facts.pnl))
    tripped = facts.state.max_loss_tripped_at
    if tripped is None:
        return None
    return _block(
        RiskRule.MAX_LOSS,
        f"Max loss limit {money(limit)} was reached at {ist_time(tripped)}: no new ENTRY "
        f"until the next session (today's P&L is {money(facts.pnl)}).",
    )


def _daily_loss(facts: _Facts) -> _Outcome | None:
    floor = daily_floor(facts.limits, facts.peak)
    if floor is None or facts.pnl > floor.level:
        return None
    rule = RiskRule.TRAILING_LOSS if floor.trailing else RiskRule.DAILY_LOSS
    return _block(rule, floor_sentence(facts.limits, floor, facts.pnl, facts.peak))


def _cooldown(facts: _Facts) -> _Outcome | None:
    """Blocks from the first breach until exactly breached_at + cooldown (that moment passes),
    and, when this process saw the breach, until the cooldown has also passed on the monotonic
    clock: a wall clock jumping forward does not end it early."""
    length = facts.limits.cooldown_minutes
    breached = facts.state.daily_breached_at
    if length is None or breached is None:
        return None
    now = facts.context.now
    until = breached + timedelta(minutes=length)
    since = facts.context.since_breach_s
    if since is not None:
        until = max(until, now + timedelta(seconds=length * 60 - since))
    if now >= until:
        return None
    return _block(
        RiskRule.COOLDOWN,
        f"Cooldown of {minutes(length)} after today's loss limit was reached at "
        f"{ist_time(breached)}: no new ENTRY until {ist_time(until)} "
        f"(today's P&L is {money(facts.pnl)}).",
    )


def _consecutive_losses(facts: _Facts) -> _Outcome | None:
    limit = facts.limits.max_consecutive_losses
    losses = facts.state.consecutive_losses
    if limit is None or losses < limit:
        return None
    return _block(
        RiskRule.CONSECUTIVE_LOSSES,
        f"Max consecutive losses {count(limit)} reached: the last "
        f"{plural(losses, 'closing trade')} today lost money.",
    )


def _losing_days(facts: _Facts) -> _Outcome | None:
    limit = facts.limits.losing_days_for_cooldown
    days = facts.state.losing_days
    if limit is None or days < limit:
        return None
    return _block(
        RiskRule.LOSING_DAYS,
        f"Losing-days limit {count(limit)} reached: the last {plural(days, 'trading day')} "
        "closed in loss, so no new ENTRY this session.",
    )


def _profit_target(facts: _Facts) -> _Outcome | None:
    """Once reached today the target holds for the day, even if P&L slips back under it."""
    target = facts.limits.daily_profit_target
    if target is None or facts.peak < target:
        return None
    if facts.pnl >= target:
        figure = f"today's P&L is {money(facts.pnl)}"
    else:
        figure = f"today's P&L peaked at {money(facts.peak)} and is {money(facts.pnl)} now"
    return _block(
        RiskRule.PROFIT_TARGET,
        f"Daily profit target {money(target)} reached: {figure}; no new ENTRY today.",
    )


LOSS_RULES: tuple[Rule, ...] = (
    _max_loss,
    _daily_loss,
    _cooldown,
    _consecutive_losses,
    _losing_days,
    _profit_target,
)


# ---- size, ENTRY and EXIT ------------------------------------------------------------------


def _order_qty(facts: _Facts) -> _Outcome | None:
    limit = facts.limits.max_order_qty
    quantity = facts.command.quantity
    if limit is None or quantity <= limit:
        return None
    return _block(
        RiskRule.ORDER_QTY,
        f"Max order quantity {count(limit)} exceeded: this order is for {count(quantity)}.",
    )


def _valuation_price(facts: _Facts) -> tuple[Decimal | None, str]:
    """The price an order's value is judged at, and how to say where it came from."""
    command, last = facts.command, facts.context.last_price
    if command.order_type.needs_price:
        return command.price, ""
    if last is not None and last > 0:
        return last, " at the last price"
    if command.order_type is OrderType.SL_M and command.trigger_price is not None:
        return command.trigger_price, " at its trigger price"
    return None, ""


def _order_value(facts: _Facts) -> _Outcome | None:
    limit = facts.limits.max_order_value
    if limit is None:
        return None
    price, basis = _valuation_price(facts)
    if price is None:
        return _Outcome(
            RiskRule.ORDER_VALUE,
            note=f"Max order value {money(limit)} not checked: no last price for "
            f"{facts.command.symbol} to value this {facts.command.order_type} order.",
        )
    value = price * facts.command.quantity
    if value <= limit:
        return None
    return _block(
        RiskRule.ORDER_VALUE,
        f"Max order value {money(limit)} exceeded: this order is worth {money(value)} "
        f"({count(facts.command.quantity)} × {money(price)}{basis}).",
    )


SIZE_RULES: tuple[Rule, ...] = (_order_qty, _order_value)


# ---- open orders, ENTRY only ---------------------------------------------------------------


def _open_orders(facts: _Facts) -> _Outcome | None:
    limit = facts.limits.max_open_orders
    open_now = facts.context.open_orders
    if limit is None or open_now < limit:
        return None
    verb = "is" if open_now == 1 else "are"
    return _block(
        RiskRule.OPEN_ORDERS,
        f"Max open orders {count(limit)} reached: {plural(open_now, 'order')} {verb} "
        "already open at the broker.",
    )


# ---- price sanity, LIMIT and SL ------------------------------------------------------------


def _fat_finger(facts: _Facts) -> _Outcome | None:
    """A typed price far from the market is a typo until proven otherwise; at exactly pct it passes."""
    limit, command = facts.limits.fat_finger_pct, facts.command
    if limit is None or not command.order_type.needs_price or command.price is None:
        return None
    last = facts.context.last_price
    if last is None or last <= 0:
        return _Outcome(
            RiskRule.FAT_FINGER,
            note=f"Fat-finger guard {percent(limit)}% not checked: no last price for "
            f"{command.symbol}.",
        )
    away = abs(command.price - last) / last * HUNDRED
    if away <= limit:
        return None
    direction = "above" if command.price > last else "below"
    return _block(
        RiskRule.FAT_FINGER,
        f"Fat-finger guard {percent(limit)}%: price {money(command.price)} is "
        f"{percent_up(away)}% {direction} the last price {money(last)}.",
    )
