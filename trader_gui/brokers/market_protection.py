"""Market protection: MARKET and SL-M orders go out as LIMIT and SL-LIMIT at a protected price.

Since April 2026 Indian exchanges refuse API market orders without protection. Shoonya's API
takes no protection percentage, so a MARKET order is sent as a LIMIT a few per cent beyond the
last price, and an SL-M as an SL-LIMIT a few per cent beyond its trigger: far enough to fill
like a market order in a normal market, near enough that a sudden spike cannot fill it at any
price.

The per cent depends on the reference price p (the last price, or the trigger for SL-M):

    equity, futures:  p < 100: 2%    100 <= p <= 500: 1%    p > 500: 0.5%
    options:          p < 10: 5%     10 <= p <= 100: 3%     100 < p <= 500: 2%    p > 500: 1%

BUY adds it, SELL subtracts it. The result is rounded to the tick away from the market (BUY up,
SELL down), so the room to fill is never less than the slab gives, and it is never below one
tick. Pure functions, no I/O: the window can show the sentence before the order is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trader_gui.domain.enums import InstrumentKind, OrderType, Side
from trader_gui.domain.prices import round_to_tick

HUNDRED = Decimal(100)

EQUITY_SLABS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("100"), Decimal("2")),
    (Decimal("500"), Decimal("1")),
)
"""(upper bound, per cent) for equity and futures; a price equal to a bound is in its slab."""
EQUITY_ABOVE = Decimal("0.5")

OPTION_SLABS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("10"), Decimal("5")),
    (Decimal("100"), Decimal("3")),
    (Decimal("500"), Decimal("2")),
)
OPTION_ABOVE = Decimal("1")


def protection_percent(kind: InstrumentKind, price: Decimal) -> Decimal:
    """The slab's per cent for a reference price.

    The lowest slab is strictly below its bound ("2% below 100"); every later slab includes its
    upper bound ("1% from 100 to 500"), so 100 is 1% and 500 is still 1% for equity.
    """
    slabs, above = (OPTION_SLABS, OPTION_ABOVE) if kind.is_option else (EQUITY_SLABS, EQUITY_ABOVE)
    first_bound, first_percent = slabs[0]
    if price < first_bound:
        return first_percent
    for bound, percent in slabs[1:]:
        if price <= bound:
            return percent
    return above


def protected_price(
    side: Side, kind: InstrumentKind, last_price: Decimal, tick: Decimal
) -> Decimal:
    """The limit price that protects a market order: last price moved by the slab, on the tick."""
    if last_price <= 0:
        raise ValueError(f"a protected price needs a positive reference price, not {last_price}")
    if tick <= 0:
        raise ValueError(f"a protected price needs a positive tick, not {tick}")
    percent = protection_percent(kind, last_price)
    move = last_price * percent / HUNDRED
    if side is Side.BUY:
        return round_to_tick(last_price + move, tick, "up")
    return max(round_to_tick(last_price - move, tick, "down"), tick)


@dataclass(frozen=True, slots=True)
class Protection:
    """What a MARKET or SL-M order becomes at the broker, and the sentence that says so."""

    order_type: OrderType
    """LIMIT for a MARKET order, SL for an SL-M order."""
    price: Decimal
    """The protected limit price."""
    reference: Decimal
    """The last price (MARKET) or the trigger (SL-M) the protection was measured from."""
    percent: Decimal
    sentence: str


def needs_protection(order_type: OrderType) -> bool:
    return order_type in (OrderType.MARKET, OrderType.SL_M)


def protect(
    order_type: OrderType,
    side: Side,
    kind: InstrumentKind,
    tick: Decimal,
    *,
    last_price: Decimal | None = None,
    trigger_price: Decimal | None = None,
) -> Protection:
    """Protect a MARKET order (from `last_price`) or an SL-M order (from `trigger_price`)."""
    if order_type is OrderType.MARKET:
        if last_price is None:
            raise ValueError("a MARKET order needs the last price to be protected")
        sent_as, reference, reference_name = OrderType.LIMIT, last_price, "last"
    elif order_type is OrderType.SL_M:
        if trigger_price is None:
            raise ValueError("an SL-M order needs its trigger price to be protected")
        sent_as, reference, reference_name = OrderType.SL, trigger_price, "trigger"
    else:
        raise ValueError(f"{order_type} orders are not protected: they carry their own price")
    price = protected_price(side, kind, reference, tick)
    percent = protection_percent(kind, reference)
    how = f"{reference_name} {reference} {'+' if side is Side.BUY else '-'} {_percent(percent)}%"
    if sent_as is OrderType.LIMIT:
        sentence = f"MARKET {side.value} goes out as LIMIT {price} ({how})"
    else:
        sentence = (
            f"SL-M {side.value} goes out as SL-LIMIT, trigger {reference}, limit {price} ({how})"
        )
    return Protection(sent_as, price, reference, percent, sentence)


def _percent(percent: Decimal) -> str:
    return format(percent.normalize(), "f")
