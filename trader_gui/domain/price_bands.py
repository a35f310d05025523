"""The exchange's limit price protection (LPP) for F&O: the band a limit price must stay in.

NSE and BSE reject an F&O limit order priced beyond a band around the contract's reference
price (the average trade price of the last 30 seconds): a BUY above the band's high, a SELL
below its low. Checking it here turns an exchange rejection into a sentence in the ticket,
before anything is sent.

The band, by the values below:

    options (CE/PE):    premium <= 50: reference +/- 20 rupees;  above 50: +/- 40 %
    index futures:      +/- 2 %, at least 200 rupees (so +/- 200 up to a reference of 10,000)
    stock futures:      +/- 3 %, at least 1.50 rupees (so +/- 1.50 up to a reference of 50)

Edges are rounded inward to the tick (the high down, the low up), so every price the band
lets through is one the exchange takes; the low is never below one tick. Both edges are
inclusive. Equities are not checked here: their daily circuit limits are the broker's to
enforce, and MCX has its own daily price range, not LPP.

Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trader_gui.domain.enums import Exchange, InstrumentKind, OrderType, Side
from trader_gui.domain.instruments import Instrument
from trader_gui.domain.order import OrderCommand
from trader_gui.domain.prices import round_to_tick
from trader_gui.domain.validation import FieldError

HUNDRED = Decimal(100)
DEFAULT_FNO_TICK = Decimal("0.05")
"""NSE's and BSE's tick for every F&O contract; callers with an instrument pass its own."""

# Sources, NSE (circulars NSE/FAOP/54242 of 28 Oct 2022 for index options; 25 Jan 2023 for
# stock options; 3 Feb 2023 for futures), as restated by brokers' help pages that quote them:
# Geojit (gfsl.freshdesk.com, "price is out of the current LPP range"), Navia
# (naviamarkets.freshdesk.com, "What is Limit Price Protection"), Zerodha
# (support.zerodha.com, "price-out-of-lpp-range"), Angel One (knowledge centre, LPP).
# The option values agree everywhere. For futures, Geojit and Navia give the per-instrument
# table used here; Zerodha and Angel One give a flat +/- 3 %. The table is the stricter of the
# two for index futures (2 % < 3 %), so an order it passes is one the exchange takes under
# either reading; it was not confirmed against NSE's own circular text.
OPTION_ABSOLUTE_UP_TO = Decimal("50")
"""A premium at or below this many rupees gets the absolute band."""
OPTION_ABSOLUTE_RANGE = Decimal("20")
OPTION_PERCENT = Decimal("40")
INDEX_FUTURE_PERCENT = Decimal("2")
INDEX_FUTURE_MIN_RANGE = Decimal("200")
STOCK_FUTURE_PERCENT = Decimal("3")
STOCK_FUTURE_MIN_RANGE = Decimal("1.50")

# BSE published wider option bands for BFO in April 2024 (+/- 60 %, at least 30 rupees;
# futures +/- 3 %, at least 1.50: Angel One and Fyers notices of BSE's 5 Apr 2024 circular).
# NSE's narrower values are applied to BFO too: whatever they pass, BSE takes as well.
BAND_EXCHANGES = frozenset({Exchange.NFO, Exchange.BFO})

INDEX_UNDERLYINGS = frozenset(
    {"NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50", "SENSEX", "BANKEX", "SENSEX50"}
)
"""Underlyings whose futures are index futures (FUTIDX); any other future is a stock future."""


@dataclass(frozen=True, slots=True)
class Band:
    """The prices the exchange accepts for a limit order, edges included, and the rule that
    made them, e.g. `premium 40.50: within 20 rupees`."""

    low: Decimal
    high: Decimal
    rule_sentence: str

    def contains(self, price: Decimal) -> bool:
        return self.low <= price <= self.high

    def allows(self, side: Side, price: Decimal) -> bool:
        """The exchange's test is one-sided: a BUY may not be above the high, a SELL may not be
        below the low. A BUY below the band only rests in the book, so it is let through."""
        return price <= self.high if side is Side.BUY else price >= self.low

    def describe(self) -> str:
        return f"{show(self.low)} - {show(self.high)}"


def show(price: Decimal) -> str:
    """Two decimals, more only when the tick needs them: `95.00`, `0.05`, `12.125`."""
    cents = price.quantize(Decimal("0.01"))
    return f"{price:.2f}" if price == cents else format(price.normalize(), "f")


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _rupees(value: Decimal) -> str:
    """`200` for a whole amount, `1.50` otherwise."""
    return _number(value) if value == value.to_integral_value() else show(value)


def is_index_underlying(underlying: str) -> bool:
    return underlying.strip().upper() in INDEX_UNDERLYINGS


def limit_price_band(
    kind: InstrumentKind,
    exchange: Exchange,
    reference_price: Decimal,
    *,
    tick: Decimal = DEFAULT_FNO_TICK,
    underlying: str | None = None,
    basis: str | None = None,
) -> Band | None:
    """The LPP band around `reference_price`, or None where the exchange applies none (equity,
    MCX). A future's band depends on whether it is on an index, so a future needs its
    `underlying`. `basis` names the reference in the rule sentence (`premium` for an option,
    `reference` for a future, unless given, e.g. `trigger`)."""
    if exchange not in BAND_EXCHANGES or kind is InstrumentKind.EQ:
        return None
    if reference_price <= 0:
        raise ValueError(f"a reference price must be positive, not {reference_price}")
    if tick <= 0:
        raise ValueError(f"a tick must be positive, not {tick}")
    if kind.is_option:
        label = basis or "premium"
        if reference_price <= OPTION_ABSOLUTE_UP_TO:
            reach = OPTION_ABSOLUTE_RANGE
            rule = f"within {_rupees(OPTION_ABSOLUTE_RANGE)} rupees"
        else:
            reach = reference_price * OPTION_PERCENT / HUNDRED
            rule = f"within {_number(OPTION_PERCENT)}%"
    else:
        if underlying is None:
            raise ValueError("a future's band depends on its underlying: pass `underlying`")
        label = basis or "reference"
        if is_index_underlying(underlying):
            percent, minimum = INDEX_FUTURE_PERCENT, INDEX_FUTURE_MIN_RANGE
        else:
            percent, minimum = STOCK_FUTURE_PERCENT, STOCK_FUTURE_MIN_RANGE
        by_percent = reference_price * percent / HUNDRED
        if by_percent >= minimum:
            reach, rule = by_percent, f"within {_number(percent)}%"
        else:
            reach, rule = minimum, f"within {_rupees(minimum)} rupees"
    high = round_to_tick(reference_price + reach, tick, "down")
    low = max(round_to_tick(reference_price - reach, tick, "up"), tick)
    return Band(low, high, f"{label} {show(reference_price)}: {rule}")


def check_band(
    command: OrderCommand, instrument: Instrument, reference_price: Decimal | None
) -> FieldError | None:
    """Refuse a limit price the exchange would reject for being outside its band.

    A LIMIT is checked against the band around `reference_price`. An SL (stop-limit) is
    checked by the exchange when it triggers, when the market is at the trigger, so its limit
    is checked against the band around its trigger price. MARKET and SL-M carry no limit
    (market protection prices them). Without a reference price there is nothing to predict
    the exchange's check from, so nothing is refused; the exchange still applies it.
    """
    price = command.price
    if price is None or command.order_type not in (OrderType.LIMIT, OrderType.SL):
        return None
    if command.order_type is OrderType.SL:
        if command.trigger_price is None or command.trigger_price <= 0:
            return None
        centre, basis, when = command.trigger_price, "trigger", " when the stop triggers"
    else:
        if reference_price is None or reference_price <= 0:
            return None
        centre, basis, when = reference_price, None, ""
    band = limit_price_band(
        instrument.kind,
        instrument.exchange,
        centre,
        tick=instrument.tick_size,
        underlying=instrument.underlying,
        basis=basis,
    )
    if band is None or band.allows(command.side, price):
        return None
    return FieldError(
        "price",
        f"Price {show(price)} is outside the exchange's price band {band.describe()} for "
        f"{instrument.symbol}{when} ({band.rule_sentence}).",
    )
