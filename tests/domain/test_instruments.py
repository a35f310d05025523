"""Equity tick bands, the common-symbol helpers and the catalog's look-ups."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from trader_gui.domain.enums import Exchange, InstrumentKind
from trader_gui.domain.instruments import (
    Instrument,
    InstrumentCatalog,
    equity_tick_for_price,
    expiry_code,
    future_symbol,
    option_symbol,
    strike_code,
)


@pytest.mark.parametrize(
    ("price", "tick"),
    [
        ("0.05", "0.01"),
        ("249.99", "0.01"),
        ("250", "0.05"),
        ("999.95", "0.05"),
        ("1000", "0.10"),
        ("4999.90", "0.10"),
        ("5000", "0.50"),
        ("9999.50", "0.50"),
        ("10000", "1.00"),
        ("19999", "1.00"),
        ("20000", "5.00"),
        ("156000", "5.00"),
    ],
)
def test_equity_tick_at_band_edges(price: str, tick: str) -> None:
    assert equity_tick_for_price(Decimal(price)) == Decimal(tick)


def test_common_symbols() -> None:
    assert expiry_code(date(2026, 12, 1)) == "01DEC26"
    assert future_symbol("NIFTY", date(2026, 12, 29)) == "NIFTY29DEC26FUT"
    assert (
        option_symbol("NIFTY", date(2026, 12, 1), Decimal("26000.00"), InstrumentKind.CE)
        == "NIFTY01DEC2626000CE"
    )
    assert strike_code(Decimal("102.50")) == "102.5"
    with pytest.raises(ValueError, match="not an option"):
        option_symbol("NIFTY", date(2026, 12, 1), Decimal(26000), InstrumentKind.FUT)


def _equity(symbol: str, exchange: Exchange = Exchange.NSE) -> Instrument:
    return Instrument(
        symbol=symbol,
        exchange=exchange,
        kind=InstrumentKind.EQ,
        underlying=symbol,
        lot_size=1,
        tick_size=Decimal("0.05"),
        reference_price=Decimal("500"),
    )


@pytest.fixture
def catalog() -> InstrumentCatalog:
    symbols = ["SBIN", "SBILIFE", "SBICARD", "HDFCBANK", "HDFCLIFE", "INFY", "ICICIBANK"]
    return InstrumentCatalog(
        [*(_equity(symbol) for symbol in symbols), _equity("SBIN", Exchange.BSE)]
    )


def test_get_by_exchange_and_symbol(catalog: InstrumentCatalog) -> None:
    found = catalog.get(Exchange.NSE, "SBIN")
    assert found is not None
    assert found.key == (Exchange.NSE, "SBIN")
    assert catalog.get("BSE", " sbin ") == _equity("SBIN", Exchange.BSE)
    assert catalog.get(Exchange.NFO, "SBIN") is None
    assert catalog.get("NOPE", "SBIN") is None
    assert catalog.get(Exchange.NSE, "TCS") is None
    assert len(catalog) == 8


def test_by_symbol_spans_exchanges(catalog: InstrumentCatalog) -> None:
    assert {instrument.exchange for instrument in catalog.by_symbol("sbin")} == {
        Exchange.NSE,
        Exchange.BSE,
    }
    assert catalog.by_symbol("TCS") == []


def test_search_is_by_prefix_in_symbol_order(catalog: InstrumentCatalog) -> None:
    assert [i.symbol for i in catalog.search("sbi")] == ["SBICARD", "SBILIFE", "SBIN", "SBIN"]
    assert [i.symbol for i in catalog.search("HDFC")] == ["HDFCBANK", "HDFCLIFE"]
    assert [i.symbol for i in catalog.search("I")] == ["ICICIBANK", "INFY"]
    assert catalog.search("TCS") == []


def test_search_stops_at_the_limit(catalog: InstrumentCatalog) -> None:
    assert [i.symbol for i in catalog.search("SBI", limit=2)] == ["SBICARD", "SBILIFE"]
    assert [i.symbol for i in catalog.search("S", limit=1)] == ["SBICARD"]


@pytest.mark.parametrize("prefix", ["", "   "])
def test_search_of_an_empty_prefix_returns_nothing(catalog: InstrumentCatalog, prefix: str) -> None:
    assert catalog.search(prefix) == []


def test_replace_all_drops_the_old_instruments(catalog: InstrumentCatalog) -> None:
    catalog.replace_all([_equity("TCS")])
    assert catalog.search("SBI") == []
    assert [i.symbol for i in catalog.all()] == ["TCS"]
