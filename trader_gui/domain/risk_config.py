"""The trader's risk limits, and the P&L floors they set.

Every limit is optional: None switches it off, so a fresh install with no settings blocks
nothing. The values are checked once, when the limits are built, so no rule below has to ask
whether a limit is negative or half-configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from trader_gui.domain.risk_text import daily_loss_reached, money, trailing_floor_reached

DEFAULT_WARN_SHARE = Decimal("0.80")


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """What the trader allows; None means that limit is off.

    Money is in rupees, positive: a daily loss limit of 5,000 blocks ENTRY orders once today's
    P&L is -5,000.00 or worse. Building limits that make no sense (a negative limit, a trailing
    step without its giveback, a max loss below the daily limit) raises ValueError with every
    problem in one message, so the settings dialog can show it as is.
    """

    daily_loss_limit: Decimal | None = None
    """ENTRY blocked while today's P&L (realised + unrealised) <= -limit."""
    max_loss: Decimal | None = None
    """The hard floor: blocks ENTRY for the rest of the day and trips the kill switch."""
    flatten_on_max_loss: bool = False
    """Also square off every position when max loss is reached."""
    cooldown_minutes: int | None = None
    """After the daily loss limit is first reached, no ENTRY for this long even if P&L recovers."""
    max_order_qty: int | None = None
    max_order_value: Decimal | None = None
    """Quantity × price (× last price for MARKET and SL-M)."""
    max_open_orders: int | None = None
    max_orders_per_minute: int | None = None
    """Rolling 60 s, ENTRY and EXIT alike: it stops runaway loops, not losses."""
    max_consecutive_losses: int | None = None
    """Losing closing trades in a row today."""
    losing_days_for_cooldown: int | None = None
    """After this many losing days in a row, no ENTRY for the whole next session."""
    trailing_loss_step: Decimal | None = None
    """Trailing loss limit: the floor moves up each time the day's peak gains a whole step."""
    trailing_giveback: Decimal | None = None
    """Trailing loss limit: how far below the last step reached the floor sits (see
    `trailing_floor` for the formula)."""
    fat_finger_pct: Decimal | None = None
    """A LIMIT or SL price further than this % from the last price is refused."""
    daily_profit_target: Decimal | None = None
    """Once today's P&L reaches it, no new ENTRY for the rest of the day."""
    warn_share: Decimal | None = DEFAULT_WARN_SHARE
    """Warn once P&L has used this share of the daily loss limit or the max loss."""

    def __post_init__(self) -> None:
        problems = limit_problems(self)
        if problems:
            raise ValueError(" ".join(problems))

    @property
    def has_trailing(self) -> bool:
        return self.trailing_loss_step is not None and self.trailing_giveback is not None


def limit_problems(limits: RiskLimits) -> list[str]:
    """Every reason these limits cannot be used, one sentence each."""
    problems = [
        *_positive_money(limits),
        *_positive_counts(limits),
        *_trailing_problems(limits),
    ]
    share = limits.warn_share
    if share is not None and not (share.is_finite() and 0 < share < 1):
        problems.append(f"Warning share must be between 0 and 1 (exclusive), not {share}.")
    daily, hard = limits.daily_loss_limit, limits.max_loss
    if daily is not None and hard is not None and _ok(daily) and _ok(hard) and hard < daily:
        problems.append(
            f"Max loss {money(hard)} is below the daily loss limit {money(daily)}: "
            "the kill switch would trip before entries stop."
        )
    return problems


def _ok(value: Decimal) -> bool:
    return value.is_finite() and value > 0


def _positive_money(limits: RiskLimits) -> list[str]:
    named = {
        "Daily loss limit": limits.daily_loss_limit,
        "Max loss": limits.max_loss,
        "Max order value": limits.max_order_value,
        "Trailing loss step": limits.trailing_loss_step,
        "Trailing giveback": limits.trailing_giveback,
        "Fat-finger percentage": limits.fat_finger_pct,
        "Daily profit target": limits.daily_profit_target,
    }
    return [
        f"{name} must be a positive amount, not {value}."
        for name, value in named.items()
        if value is not None and not _ok(value)
    ]


def _positive_counts(limits: RiskLimits) -> list[str]:
    named = {
        "Cooldown minutes": limits.cooldown_minutes,
        "Max order quantity": limits.max_order_qty,
        "Max open orders": limits.max_open_orders,
        "Max orders per minute": limits.max_orders_per_minute,
        "Max consecutive losses": limits.max_consecutive_losses,
        "Losing days for cooldown": limits.losing_days_for_cooldown,
    }
    return [
        f"{name} must be a whole number above 0, not {value}."
        for name, value in named.items()
        if value is not None and (isinstance(value, bool) or value < 1)
    ]


def _trailing_problems(limits: RiskLimits) -> list[str]:
    if (limits.trailing_loss_step is None) != (limits.trailing_giveback is None):
        return ["The trailing loss limit needs both its step and its giveback."]
    return []


# ---- the P&L floors ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DailyFloor:
    """The P&L at or below which ENTRY orders stop today, and which limit sets it."""

    level: Decimal
    trailing: bool


def trailing_floor(limits: RiskLimits, peak: Decimal) -> Decimal | None:
    """The trailing loss floor for a day whose P&L has peaked at `peak`, or None if not in force.

    Formula, with step S and giveback G:

        floor = ⌊peak / S⌋ × S − G      once peak ≥ S;  no trailing floor before that.

    The peak is rounded DOWN to a whole number of steps, so the floor moves in jumps of S
    rather than tick by tick (a wobbling P&L does not drag the floor around), and since the
    day's peak only rises, the floor only rises. With S = 2,000 and G = 3,000: peak 1,999 →
    no trailing floor; peak 2,000..3,999 → -1,000; peak 4,000..5,999 → +1,000. Once the peak
    has passed one step, at most G of the last step reached can be given back (from the true
    peak, less than G + S). The daily loss limit still applies: the effective floor is the
    higher of the two (see `daily_floor`).
    """
    step, giveback = limits.trailing_loss_step, limits.trailing_giveback
    if step is None or giveback is None or peak < step:
        return None
    steps = (peak / step).to_integral_value(rounding=ROUND_FLOOR)
    return steps * step - giveback


def daily_floor(limits: RiskLimits, peak: Decimal) -> DailyFloor | None:
    """The effective daily floor: the higher of -daily_loss_limit and the trailing floor."""
    plain = None if limits.daily_loss_limit is None else -limits.daily_loss_limit
    trailing = trailing_floor(limits, peak)
    if trailing is not None and (plain is None or trailing > plain):
        return DailyFloor(trailing, trailing=True)
    if plain is not None:
        return DailyFloor(plain, trailing=False)
    return None


def floor_sentence(limits: RiskLimits, floor: DailyFloor, pnl: Decimal, peak: Decimal) -> str:
    """Why the daily floor stops entries, in the words of the limit that set it."""
    if floor.trailing and limits.trailing_giveback is not None:
        return trailing_floor_reached(floor.level, pnl, peak, limits.trailing_giveback)
    return daily_loss_reached(-floor.level, pnl)
