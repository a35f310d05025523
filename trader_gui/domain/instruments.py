"""Instruments in one broker-independent symbol format, and the rules the exchange sets on them.

Common symbols: equity `SBIN`; future `NIFTY30JAN25FUT`; option `NIFTY28NOV2524000CE`
(underlying, expiry as DDMMMYY, strike, CE/PE). Each broker spells them its own way; the
instrument carries its spelling per broker.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from trader_gui.domain.enums import Exchange, InstrumentKind, Product

EQUITY_TICK_BANDS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("250"), Decimal("0.01")),
    (Decimal("1000"), Decimal("0.05")),
    (Decimal("5000"), Decimal("0.10")),
    (Decimal("10000"), Decimal("0.50")),
    (Decimal("20000"), Decimal("1.00")),
)
"""NSE's equity tick by price band (upper bound exclusive, tick); above the last: 5.00."""
EQUITY_TICK_ABOVE = Decimal("5.00")


def equity_tick_for_price(price: Decimal) -> Decimal:
    for upper, tick in EQUITY_TICK_BANDS:
        if price < upper:
            return tick
    return EQUITY_TICK_ABOVE


MONTH_ABBREVIATIONS = (
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
)
"""Literal, not strftime("%b"), which follows the locale."""


def expiry_code(expiry: date) -> str:
    """An expiry as the common symbols spell it: DDMMMYY, e.g. `29DEC26`."""
    return f"{expiry.day:02d}{MONTH_ABBREVIATIONS[expiry.month - 1]}{expiry.year % 100:02d}"


def strike_code(strike: Decimal) -> str:
    """A strike as the symbols spell it: `26000`, not `26000.00`; `102.5` keeps its half."""
    return format(strike.normalize(), "f")


def future_symbol(underlying: str, expiry: date) -> str:
    """The common symbol of a future, e.g. `NIFTY29DEC26FUT`."""
    return f"{underlying}{expiry_code(expiry)}FUT"


def option_symbol(underlying: str, expiry: date, strike: Decimal, kind: InstrumentKind) -> str:
    """The common symbol of an option, e.g. `NIFTY01DEC2626000CE`."""
    if not kind.is_option:
        raise ValueError(f"{kind} is not an option kind")
    return f"{underlying}{expiry_code(expiry)}{strike_code(strike)}{kind.value}"


PRODUCTS_BY_EXCHANGE: Mapping[Exchange, frozenset[Product]] = {
    Exchange.NSE: frozenset({Product.CNC, Product.MIS}),
    Exchange.BSE: frozenset({Product.CNC, Product.MIS}),
    Exchange.NFO: frozenset({Product.NRML, Product.MIS}),
    Exchange.BFO: frozenset({Product.NRML, Product.MIS}),
    Exchange.MCX: frozenset({Product.NRML, Product.MIS}),
}


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    exchange: Exchange
    kind: InstrumentKind
    underlying: str
    lot_size: int
    tick_size: Decimal
    reference_price: Decimal
    """A recent price: where the paper broker starts and what sets an equity's tick band."""
    freeze_qty: int | None = None
    expiry: date | None = None
    strike: Decimal | None = None
    broker_symbols: Mapping[str, str] = field(default_factory=dict)
    tokens: Mapping[str, str] = field(default_factory=dict)
    name: str = ""

    @property
    def key(self) -> tuple[Exchange, str]:
        return (self.exchange, self.symbol)

    @property
    def is_derivative(self) -> bool:
        return self.kind is not InstrumentKind.EQ

    def broker_symbol(self, broker: str) -> str:
        return self.broker_symbols.get(broker, self.symbol)


@dataclass(frozen=True, slots=True)
class _Index:
    by_key: dict[tuple[Exchange, str], Instrument]
    by_symbol: dict[str, list[Instrument]]
    sorted_symbols: list[str]


class InstrumentCatalog:
    """Look-up by (exchange, symbol) and prefix search for symbol completion."""

    def __init__(self, instruments: Iterable[Instrument] = ()) -> None:
        self._index = _Index({}, {}, [])
        self._version = 0
        self.replace_all(instruments)

    def replace_all(self, instruments: Iterable[Instrument]) -> None:
        """Swap in a new list at once: a search on another thread sees the old or the new."""
        by_key = {instrument.key: instrument for instrument in instruments}
        by_symbol: dict[str, list[Instrument]] = {}
        for instrument in by_key.values():
            by_symbol.setdefault(instrument.symbol, []).append(instrument)
        self._index = _Index(by_key, by_symbol, sorted(by_symbol))
        self._version += 1

    @property
    def version(self) -> int:
        """Goes up with every `replace_all`: a map built from the list knows it must rebuild."""
        return self._version

    def __len__(self) -> int:
        return len(self._index.by_key)

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._index.by_key.values())

    def all(self) -> list[Instrument]:
        return list(self._index.by_key.values())

    def get(self, exchange: Exchange | str, symbol: str) -> Instrument | None:
        try:
            exchange = Exchange(exchange)
        except ValueError:
            return None
        return self._index.by_key.get((exchange, symbol.strip().upper()))

    def by_symbol(self, symbol: str) -> list[Instrument]:
        return list(self._index.by_symbol.get(symbol.strip().upper(), ()))

    def search(self, prefix: str, limit: int = 50) -> list[Instrument]:
        """Instruments whose symbol starts with the prefix, in symbol order: O(log n + limit)."""
        prefix = prefix.strip().upper()
        if not prefix:
            return []
        index = self._index
        symbols = index.sorted_symbols
        position = bisect.bisect_left(symbols, prefix)
        found: list[Instrument] = []
        while position < len(symbols) and len(found) < limit:
            symbol = symbols[position]
            if not symbol.startswith(prefix):
                break
            found.extend(index.by_symbol[symbol])
            position += 1
        return found[:limit]
