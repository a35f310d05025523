"""What the paper exchange and its RMS check, with refusals worded as real brokers word them.

These are the exchange's and the broker's rules (lots, freeze quantity, tick, price band,
trigger side, margin), not the trading program's: a real broker would refuse the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from trader_gui.brokers.base import BrokerRejected
from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.domain.enums import OrderType, Product, Side
from trader_gui.domain.instruments import PRODUCTS_BY_EXCHANGE, Instrument
from trader_gui.domain.prices import format_money, is_on_tick, round_to_tick

PAISA = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class OrderTerms:
    """The parts of an order the exchange checks, for a new order and for a modification.

    After `check_terms` a price is present exactly when the order type uses one, and so is
    the trigger."""

    side: Side
    quantity: int
    order_type: OrderType
    product: Product
    price: Decimal | None
    trigger_price: Decimal | None


def money(amount: Decimal) -> Decimal:
    return amount.quantize(PAISA, rounding=ROUND_HALF_UP)


def show_price(price: Decimal) -> str:
    """A price as brokers print it: two decimals, more only when the tick needs them."""
    return f"{price:.2f}" if price == price.quantize(PAISA) else str(price)


def check_terms(
    instrument: Instrument,
    terms: OrderTerms,
    last: Decimal,
    config: PaperConfig,
    *,
    stop_armed: bool = True,
) -> OrderTerms:
    """Raise BrokerRejected for an order the exchange would refuse; else the tidied terms.

    `stop_armed` is False when modifying a stop that already triggered and keeps its trigger:
    the market is past the trigger by then, and that is no reason to refuse the change."""
    _check_product(instrument, terms.product)
    _check_quantity(instrument, terms.quantity)
    order_type = terms.order_type
    price = (
        _checked_price(instrument, "Price", terms.price, order_type, config)
        if order_type.needs_price
        else None
    )
    trigger = (
        _checked_price(instrument, "Trigger price", terms.trigger_price, order_type, config)
        if order_type.needs_trigger
        else None
    )
    if trigger is not None:
        _check_trigger_side(terms.side, trigger, price, last if stop_armed else None)
    return OrderTerms(terms.side, terms.quantity, order_type, terms.product, price, trigger)


def _check_product(instrument: Instrument, product: Product) -> None:
    allowed = PRODUCTS_BY_EXCHANGE.get(instrument.exchange, frozenset(Product))
    if product not in allowed:
        raise BrokerRejected(f"Product {product} is not allowed on {instrument.exchange}")


def _check_quantity(instrument: Instrument, quantity: int) -> None:
    if quantity <= 0:
        raise BrokerRejected(f"Quantity {quantity} is invalid: it must be more than zero")
    lot = max(1, instrument.lot_size)
    if quantity % lot:
        raise BrokerRejected(
            f"RMS:Rule: Check lot size, quantity {quantity} is not a multiple of lot size {lot}"
        )
    if instrument.freeze_qty is not None and quantity > instrument.freeze_qty:
        raise BrokerRejected(f"Quantity {quantity} exceeds freeze limit {instrument.freeze_qty}")


def _checked_price(
    instrument: Instrument,
    what: str,
    price: Decimal | None,
    order_type: OrderType,
    config: PaperConfig,
) -> Decimal:
    if price is None:
        raise BrokerRejected(f"{what} is required for a {order_type} order")
    if not price.is_finite() or price <= 0:
        raise BrokerRejected(f"{what} {price} is invalid: it must be more than zero")
    tick = instrument.tick_size
    if not is_on_tick(price, tick):
        raise BrokerRejected(f"{what} {price} is not a multiple of tick size {tick}")
    low, high = price_band(instrument, config)
    if not low <= price <= high:
        raise BrokerRejected(
            f"{what} {show_price(price)} is outside the price band "
            f"{show_price(low)} - {show_price(high)}"
        )
    return price


def price_band(instrument: Instrument, config: PaperConfig) -> tuple[Decimal, Decimal]:
    """The day's allowed price range: the reference price plus or minus the kind's percent."""
    reference = instrument.reference_price
    tick = instrument.tick_size
    pct = config.band_pct_for(instrument.kind)
    low = round_to_tick(reference * (100 - pct) / 100, tick, "up")
    high = round_to_tick(reference * (100 + pct) / 100, tick, "down")
    return max(low, tick), high


def _check_trigger_side(
    side: Side, trigger: Decimal, price: Decimal | None, last: Decimal | None
) -> None:
    """A stop must wait on the far side of the market, and its limit must be beyond the stop."""
    word = "higher" if side is Side.BUY else "lower"
    if last is not None and (
        (side is Side.BUY and trigger <= last) or (side is Side.SELL and trigger >= last)
    ):
        raise BrokerRejected(
            f"Trigger price {show_price(trigger)} for a stoploss {side} order must be {word} "
            f"than the last traded price {show_price(last)}"
        )
    if price is None:
        return
    if (side is Side.BUY and price < trigger) or (side is Side.SELL and price > trigger):
        limit_word = "lower" if side is Side.BUY else "higher"
        raise BrokerRejected(
            f"Price {show_price(price)} for a stoploss {side} order cannot be {limit_word} "
            f"than the trigger price {show_price(trigger)}"
        )


def margin_required(
    instrument: Instrument,
    product: Product,
    side: Side,
    quantity: int,
    price: Decimal,
    config: PaperConfig,
) -> Decimal:
    """Margin for `quantity` more of exposure at `price` (option writing: strike based)."""
    if quantity <= 0:
        return Decimal(0)
    if instrument.kind.is_option and side is Side.SELL:
        base = instrument.strike if instrument.strike is not None else price
        return money(base * quantity * config.option_sell_margin_pct / 100)
    return money(price * quantity / config.leverage_for(product, instrument.kind))


def margin_message(required: Decimal, available: Decimal) -> str:
    return (
        f"RMS:Margin Exceeds, Required: {format_money(required)}, "
        f"Available: {format_money(available)}"
    )
