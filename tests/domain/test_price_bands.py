"""Limit price protection: the F&O band, its edges, and the sentence a refused price gets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trader_gui.domain.enums import (
    Exchange,
    ExecutionType,
    InstrumentKind,
    OrderType,
    Product,
    Side,
)
from trader_gui.domain.instruments import Instrument
from trader_gui.domain.order import OrderCommand
from trader_gui.domain.price_bands import (
    Band,
    check_band,
    is_index_underlying,
    limit_price_band,
)

D = Decimal
TICK = D("0.05")

OPTION = Instrument(
    symbol="NIFTY01DEC2626000CE",
    exchange=Exchange.NFO,
    kind=InstrumentKind.CE,
    underlying="NIFTY",
    lot_size=65,
    tick_size=TICK,
    reference_price=D("40.50"),
    expiry=date(2026, 12, 1),
    strike=D("26000"),
)
INDEX_FUTURE = Instrument(
    symbol="NIFTY29DEC26FUT",
    exchange=Exchange.NFO,
    kind=InstrumentKind.FUT,
    underlying="NIFTY",
    lot_size=65,
    tick_size=TICK,
    reference_price=D("26000"),
    expiry=date(2026, 12, 29),
)
EQUITY = Instrument(
    symbol="SBIN",
    exchange=Exchange.NSE,
    kind=InstrumentKind.EQ,
    underlying="SBIN",
    lot_size=1,
    tick_size=TICK,
    reference_price=D("800"),
)


def order(**overrides: Any) -> OrderCommand:
    """A LIMIT BUY of one lot of the NIFTY call at 40.50 unless told otherwise."""
    fields: dict[str, Any] = {
        "command_id": "CMD1",
        "client_id": "PAPER",
        "symbol": OPTION.symbol,
        "exchange": Exchange.NFO,
        "side": Side.BUY,
        "quantity": 65,
        "order_type": OrderType.LIMIT,
        "product": Product.NRML,
        "strategy": "s1",
        "execution_type": ExecutionType.ENTRY,
        "price": D("40.50"),
    }
    fields.update(overrides)
    return OrderCommand(**fields)


def option_band(premium: str) -> Band:
    band = limit_price_band(InstrumentKind.CE, Exchange.NFO, D(premium))
    assert band is not None
    return band


# ---- the band ----------------------------------------------------------------------------------


def test_a_premium_of_exactly_50_gets_the_20_rupee_band() -> None:
    assert option_band("50") == Band(D("30.00"), D("70.00"), "premium 50.00: within 20 rupees")


def test_a_premium_one_tick_above_50_gets_the_40_percent_band() -> None:
    # 40 % of 50.05 is 20.02: the edges 30.03 and 70.07 round inward to the tick.
    assert option_band("50.05") == Band(D("30.05"), D("70.05"), "premium 50.05: within 40%")


def test_the_band_of_the_example_premium() -> None:
    assert option_band("40.50") == Band(D("20.50"), D("60.50"), "premium 40.50: within 20 rupees")


def test_edges_round_inward_to_the_tick() -> None:
    band = option_band("73.30")  # +/- 29.32

    assert (band.low, band.high) == (D("44.00"), D("102.60"))


def test_the_low_edge_is_never_below_one_tick() -> None:
    assert option_band("10").low == TICK
    assert option_band("0.05") == Band(TICK, D("20.05"), "premium 0.05: within 20 rupees")


def test_puts_and_bse_options_use_the_same_band() -> None:
    put = limit_price_band(InstrumentKind.PE, Exchange.NFO, D("80"))
    bse = limit_price_band(InstrumentKind.CE, Exchange.BFO, D("80"))

    assert put == bse == Band(D("48.00"), D("112.00"), "premium 80.00: within 40%")


def test_an_index_future_is_within_2_percent_or_200_rupees() -> None:
    large = limit_price_band(InstrumentKind.FUT, Exchange.NFO, D("26000"), underlying="NIFTY")
    small = limit_price_band(InstrumentKind.FUT, Exchange.NFO, D("8000"), underlying="FINNIFTY")

    assert large == Band(D("25480.00"), D("26520.00"), "reference 26000.00: within 2%")
    assert small == Band(D("7800.00"), D("8200.00"), "reference 8000.00: within 200 rupees")


def test_a_stock_future_is_within_3_percent_or_150_paise() -> None:
    large = limit_price_band(InstrumentKind.FUT, Exchange.NFO, D("1000"), underlying="SBIN")
    small = limit_price_band(InstrumentKind.FUT, Exchange.NFO, D("40"), underlying="IDEA")

    assert large == Band(D("970.00"), D("1030.00"), "reference 1000.00: within 3%")
    assert small == Band(D("38.50"), D("41.50"), "reference 40.00: within 1.50 rupees")


def test_a_future_needs_its_underlying() -> None:
    with pytest.raises(ValueError, match="underlying"):
        limit_price_band(InstrumentKind.FUT, Exchange.NFO, D("26000"))


def test_index_underlyings() -> None:
    assert is_index_underlying("nifty")
    assert is_index_underlying("SENSEX")
    assert not is_index_underlying("SBIN")


def test_equities_and_commodities_have_no_band_here() -> None:
    assert limit_price_band(InstrumentKind.EQ, Exchange.NSE, D("800")) is None
    assert limit_price_band(InstrumentKind.FUT, Exchange.MCX, D("6000"), underlying="CRUDE") is None


def test_a_reference_price_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        limit_price_band(InstrumentKind.CE, Exchange.NFO, D("0"))


@given(
    premium_ticks=st.integers(min_value=1, max_value=400_000),
    tick=st.sampled_from([D("0.05"), D("0.10"), D("0.01")]),
)
def test_edges_are_on_the_tick_and_bracket_the_reference(premium_ticks: int, tick: Decimal) -> None:
    premium = premium_ticks * tick
    band = limit_price_band(InstrumentKind.CE, Exchange.NFO, premium, tick=tick)

    assert band is not None
    assert band.low % tick == 0
    assert band.high % tick == 0
    assert tick <= band.low <= premium <= band.high
    assert band.allows(Side.BUY, band.high)
    assert not band.allows(Side.BUY, band.high + tick)
    assert band.allows(Side.SELL, band.low)


# ---- checking a ticket -------------------------------------------------------------------------


def test_a_price_on_the_high_edge_passes_and_one_tick_past_is_refused() -> None:
    assert check_band(order(price=D("60.50")), OPTION, D("40.50")) is None

    error = check_band(order(price=D("60.55")), OPTION, D("40.50"))

    assert error is not None
    assert error.field == "price"
    assert error.message == (
        "Price 60.55 is outside the exchange's price band 20.50 - 60.50 for "
        "NIFTY01DEC2626000CE (premium 40.50: within 20 rupees)."
    )


def test_the_example_sentence() -> None:
    error = check_band(order(price=D("95.00")), OPTION, D("40.50"))

    assert error is not None
    assert error.message == (
        "Price 95.00 is outside the exchange's price band 20.50 - 60.50 for "
        "NIFTY01DEC2626000CE (premium 40.50: within 20 rupees)."
    )


def test_a_sell_on_the_low_edge_passes_and_one_tick_below_is_refused() -> None:
    assert check_band(order(side=Side.SELL, price=D("20.50")), OPTION, D("40.50")) is None
    assert check_band(order(side=Side.SELL, price=D("20.45")), OPTION, D("40.50")) is not None


def test_the_exchange_checks_only_the_side_that_could_trade_through() -> None:
    """A BUY below the band or a SELL above it only rests in the book: the exchange takes it."""
    assert check_band(order(side=Side.BUY, price=D("5.00")), OPTION, D("40.50")) is None
    assert check_band(order(side=Side.SELL, price=D("95.00")), OPTION, D("40.50")) is None


def test_a_sell_at_one_tick_passes_when_the_low_edge_is_floored() -> None:
    assert check_band(order(side=Side.SELL, price=TICK), OPTION, D("10")) is None


def test_a_stop_limit_is_checked_around_its_trigger() -> None:
    far_stop = order(order_type=OrderType.SL, trigger_price=D("100"), price=D("140.00"))
    too_far = order(order_type=OrderType.SL, trigger_price=D("100"), price=D("140.05"))

    assert check_band(far_stop, OPTION, D("40.50")) is None
    error = check_band(too_far, OPTION, D("40.50"))
    assert error is not None
    assert error.message == (
        "Price 140.05 is outside the exchange's price band 60.00 - 140.00 for "
        "NIFTY01DEC2626000CE when the stop triggers (trigger 100.00: within 40%)."
    )


def test_a_future_is_checked_with_its_index_rule() -> None:
    error = check_band(
        order(symbol=INDEX_FUTURE.symbol, price=D("26520.05")), INDEX_FUTURE, D("26000")
    )

    assert error is not None
    assert "band 25480.00 - 26520.00" in error.message
    assert "(reference 26000.00: within 2%)" in error.message


def test_orders_without_a_limit_price_are_not_checked() -> None:
    assert check_band(order(order_type=OrderType.MARKET, price=None), OPTION, D("40.50")) is None
    sl_m = order(order_type=OrderType.SL_M, price=None, trigger_price=D("30"))
    assert check_band(sl_m, OPTION, D("40.50")) is None


def test_without_a_reference_price_nothing_is_refused() -> None:
    assert check_band(order(price=D("95.00")), OPTION, None) is None


def test_equities_are_left_to_the_broker() -> None:
    equity_order = order(symbol="SBIN", exchange=Exchange.NSE, price=D("9999"))

    assert check_band(equity_order, EQUITY, D("800")) is None
