"""Noren's words to the program's words and back: products, sides, order types, statuses, rows.

Pure functions over the JSON rows of the order book and the position book (every value a
string, as Noren sends it). Symbols go through a `SymbolMap` built once from the instrument
catalog, so a Shoonya trading symbol (`SBIN-EQ`) reads as the common symbol (`SBIN`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from trader_gui.brokers.base import BrokerOrder, BrokerPosition
from trader_gui.domain.enums import BrokerState, Exchange, OrderType, Product, Side
from trader_gui.domain.instruments import Instrument, InstrumentCatalog

V = TypeVar("V")

BROKER_KEY = "shoonya"
"""The key of Shoonya's spelling in `Instrument.broker_symbols` and `Instrument.tokens`."""
IST = timezone(timedelta(hours=5, minutes=30), "IST")
NOREN_TIME_FORMAT = "%H:%M:%S %d-%m-%Y"
"""`norentm` in the order book, e.g. "14:12:36 25-11-2026", Indian time."""

PRODUCT_TO_NOREN: Mapping[Product, str] = {Product.MIS: "I", Product.CNC: "C", Product.NRML: "M"}
PRODUCT_FROM_NOREN: Mapping[str, Product] = {v: k for k, v in PRODUCT_TO_NOREN.items()}
SIDE_TO_NOREN: Mapping[Side, str] = {Side.BUY: "B", Side.SELL: "S"}
SIDE_FROM_NOREN: Mapping[str, Side] = {v: k for k, v in SIDE_TO_NOREN.items()}
ORDER_TYPE_TO_NOREN: Mapping[OrderType, str] = {
    OrderType.MARKET: "MKT",
    OrderType.LIMIT: "LMT",
    OrderType.SL: "SL-LMT",
    OrderType.SL_M: "SL-MKT",
}
ORDER_TYPE_FROM_NOREN: Mapping[str, OrderType] = {v: k for k, v in ORDER_TYPE_TO_NOREN.items()}

STATUS_WORDS: Mapping[str, BrokerState] = {
    "OPEN": BrokerState.OPEN,
    "PENDING": BrokerState.PENDING,
    "TRIGGER_PENDING": BrokerState.TRIGGER_PENDING,
    "COMPLETE": BrokerState.COMPLETE,
    "REJECTED": BrokerState.REJECTED,
    "REJECT": BrokerState.REJECTED,
    "CANCELED": BrokerState.CANCELLED,  # Shoonya's spelling
    "CANCELLED": BrokerState.CANCELLED,
}
"""Order-book status words as Shoonya sends them, matched without regard to case."""


class RowError(ValueError):
    """A row of a book that cannot be read; the message says which field."""


def state_for(status: str, filled_qty: int) -> BrokerState:
    """The common state of a status word; an unknown word is UNRECOGNISED (shown, not acted on)."""
    state = STATUS_WORDS.get(status.strip().upper(), BrokerState.UNRECOGNISED)
    if state is BrokerState.OPEN and filled_qty > 0:
        return BrokerState.PARTIALLY_FILLED
    return state


class SymbolMap:
    """Common symbol <-> Shoonya trading symbol, per exchange, from the catalog.

    The reverse map is rebuilt when the catalog's list is replaced (the daily masters), so a
    contract listed today is known by its trading symbol too.
    """

    def __init__(self, catalog: InstrumentCatalog) -> None:
        self._catalog = catalog
        self._version = -1
        self._by_tsym: dict[tuple[Exchange, str], Instrument] = {}
        self._reverse()

    def _reverse(self) -> dict[tuple[Exchange, str], Instrument]:
        version = self._catalog.version
        if version != self._version:
            by_tsym: dict[tuple[Exchange, str], Instrument] = {}
            for instrument in self._catalog:
                tsym = instrument.broker_symbols.get(BROKER_KEY)
                if tsym:
                    by_tsym[(instrument.exchange, tsym.upper())] = instrument
            self._by_tsym, self._version = by_tsym, version
        return self._by_tsym

    def instrument(self, exchange: Exchange, symbol: str) -> Instrument | None:
        return self._catalog.get(exchange, symbol)

    def by_tsym(self, exchange: Exchange, tsym: str) -> Instrument | None:
        return self._reverse().get((exchange, tsym.upper()))

    def common_symbol(self, exchange: Exchange, tsym: str) -> str:
        """The common symbol, or the trading symbol itself for an instrument not in the list."""
        instrument = self.by_tsym(exchange, tsym)
        return instrument.symbol if instrument is not None else tsym


def parse_order(row: Mapping[str, Any], symbols: SymbolMap) -> BrokerOrder:
    """One order-book row in common words. Raises `RowError` for a row it cannot read."""
    exchange = exchange_field(row)
    filled = int_field(row, "fillshares", default=0)
    status = text_field(row, "status")
    remarks = text_field(row, "remarks")
    avg_price = decimal_field(row, "avgprc") if filled > 0 else None
    return BrokerOrder(
        broker_order_id=required_field(row, "norenordno"),
        tag=remarks or None,
        symbol=symbols.common_symbol(exchange, required_field(row, "tsym")),
        exchange=exchange,
        side=mapped_field(row, "trantype", SIDE_FROM_NOREN),
        quantity=int_field(row, "qty"),
        order_type=mapped_field(row, "prctyp", ORDER_TYPE_FROM_NOREN),
        product=mapped_field(row, "prd", PRODUCT_FROM_NOREN),
        state=state_for(status, filled),
        status_text=status,
        filled_qty=filled,
        avg_price=avg_price,
        price=_positive(decimal_field(row, "prc")),
        trigger_price=_positive(decimal_field(row, "trgprc")),
        message=text_field(row, "rejreason"),
        placed_at=parse_noren_time(text_field(row, "norentm")),
    )


def parse_position(row: Mapping[str, Any], symbols: SymbolMap) -> BrokerPosition:
    """One position-book row; amounts as Decimals. Raises `RowError` for a row it cannot read."""
    exchange = exchange_field(row)
    return BrokerPosition(
        symbol=symbols.common_symbol(exchange, required_field(row, "tsym")),
        exchange=exchange,
        product=mapped_field(row, "prd", PRODUCT_FROM_NOREN),
        quantity=int_field(row, "netqty"),
        avg_price=decimal_field(row, "netavgprc") or Decimal(0),
        last_price=decimal_field(row, "lp") or Decimal(0),
        realised_pnl=decimal_field(row, "rpnl") or Decimal(0),
        unrealised_pnl=decimal_field(row, "urmtom") or Decimal(0),
    )


def parse_noren_time(text: str) -> datetime | None:
    """`norentm` as an aware UTC datetime; None when absent or in another shape."""
    if not text:
        return None
    try:
        return datetime.strptime(text, NOREN_TIME_FORMAT).replace(tzinfo=IST).astimezone(UTC)
    except ValueError:
        return None


def price_text(value: Decimal) -> str:
    """A price as Noren takes it: plain digits, never an exponent."""
    return format(value, "f")


# -- fields --------------------------------------------------------------------------------------


def text_field(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    return str(value).strip() if value is not None else ""


def required_field(row: Mapping[str, Any], name: str) -> str:
    text = text_field(row, name)
    if not text:
        raise RowError(f"field {name} is missing")
    return text


def exchange_field(row: Mapping[str, Any], name: str = "exch") -> Exchange:
    text = required_field(row, name)
    try:
        return Exchange(text.upper())
    except ValueError:
        raise RowError(f"field {name} has {text!r}, which this program does not trade") from None


def mapped_field(row: Mapping[str, Any], name: str, table: Mapping[str, V]) -> V:
    text = required_field(row, name)
    try:
        return table[text.upper()]
    except KeyError:
        raise RowError(f"field {name} has {text!r}, which this program does not know") from None


def int_field(row: Mapping[str, Any], name: str, *, default: int | None = None) -> int:
    text = text_field(row, name)
    if not text and default is not None:
        return default
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value():
        raise RowError(f"field {name} has {text!r}, not a whole number")
    return int(number)


def decimal_field(row: Mapping[str, Any], name: str) -> Decimal | None:
    text = text_field(row, name).replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RowError(f"field {name} has {text!r}, not a number") from None
    if not number.is_finite():
        raise RowError(f"field {name} has {text!r}, not a number")
    return number


def _positive(value: Decimal | None) -> Decimal | None:
    """Noren writes 0 (or 0.00) for an order without a price or trigger."""
    return value if value is not None and value > 0 else None
