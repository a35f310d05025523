"""Kite's (Zerodha's) instruments CSV, as `GET /instruments` returns it.

    instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
    779521,3045,SBIN,STATE BANK OF INDIA,0.0,,0.0,0.05,1,EQ,NSE,NSE
    12345678,48215,NIFTY26DEC24000CE,NIFTY,0.0,2026-12-29,24000.0,0.05,65,CE,NFO-OPT,NFO

Ticks are in rupees, expiries ISO dates, `name` the company for equities and the underlying
for derivatives (`NIFTY`, `SENSEX`). Rules this reader applies:

- The common symbol of a derivative is built from `name` (index names mapped by
  `common_underlying`), `expiry`, `strike` and `instrument_type` (CE, PE, FUT); of an equity
  it is the trading symbol without a series suffix (Kite writes `SBIN`, `AAKASH-BE`).
- Kite's trading symbol is kept as its broker symbol, `instrument_token` as its token, and
  `exchange_token` as the exchange's number (`tokens["exchange"]`), which the merge uses to
  find the same contract in Shoonya's master.
- Indices (segment INDICES) are skipped, as are exchanges this program does not trade (CDS,
  BCD, NCO, ...) and, on NSE, series other than EQ and BE (`-GS`, `-SM`, `-N1`, ...).
- `last_price`, when above zero, becomes the reference price; otherwise the tick stands in
  (a master is a list of contracts, not of prices: the broker's quote is the price).
- A row that claims to be a contract but cannot be read refuses the whole file with its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from trader_gui.domain.enums import Exchange, InstrumentKind
from trader_gui.domain.instruments import Instrument, future_symbol, option_symbol
from trader_gui.persistence.master_common import (
    EXCHANGE_TOKEN,
    EXCHANGES,
    KINDS,
    KITE,
    Candidate,
    CsvTable,
    MasterFileError,
    MasterLoadResult,
    Row,
    Skips,
    common_underlying,
    describe,
    keep_unique,
    leading_letters,
    parse_decimal,
    parse_expiry,
    parse_lot,
    tidy_strike,
    tidy_tick,
)

KITE_COLUMNS = (
    "instrument_token",
    "exchange_token",
    "tradingsymbol",
    "name",
    "last_price",
    "expiry",
    "strike",
    "tick_size",
    "lot_size",
    "instrument_type",
    "segment",
    "exchange",
)
"""Kite's instruments CSV, in the order Kite writes it."""
COLUMNS: Mapping[str, tuple[str, ...]] = {name: (name,) for name in KITE_COLUMNS}
REQUIRED = tuple(name for name in COLUMNS if name != "last_price")

NSE_SERIES_RANK: Mapping[str, int] = {"EQ": 0, "BE": 1}
SERIES_SUFFIX = re.compile(r"^(?P<base>.+)-(?P<series>[A-Z0-9]{2})$")
"""`AAKASH-BE`, `IRFC-N5`: a two-character series after the last hyphen. `BAJAJ-AUTO` and
`MCDOWELL-N` are names, not series (the part after the hyphen is not two characters)."""


def is_kite_header(header: list[str]) -> bool:
    return "instrument_token" in (name.lower() for name in header)


def parse_kite(table: CsvTable) -> MasterLoadResult:
    """Every instrument this program trades in Kite's instruments CSV."""
    skips = Skips()
    chosen: dict[tuple[object, str], Candidate] = {}
    for row in table.rows(COLUMNS, REQUIRED):
        try:
            candidate = _read_row(row, skips)
        except ValueError as error:
            raise MasterFileError(table.source, row.line, str(error)) from None
        if candidate is not None:
            keep_unique(chosen, candidate, table.source, skips)
    return MasterLoadResult(
        instruments=[candidate.instrument for candidate in chosen.values()],
        skipped_rows=skips.total,
        warnings=[],
        broker=KITE,
        sources=(table.source,),
        skipped_by_reason=dict(skips.by_reason),
    )


def _read_row(row: Row, skips: Skips) -> Candidate | None:
    if not any(row.cells.values()):
        skips.add("blank rows")
        return None
    token, trading_symbol = row.get("instrument_token"), row.get("tradingsymbol")
    exchange_text = row.get("exchange").upper()
    if not token or not trading_symbol or not exchange_text:
        skips.add("placeholders without token or symbol")
        return None
    segment = row.get("segment").upper()
    if segment == "INDICES":
        skips.add("indices")
        return None
    exchange = EXCHANGES.get(exchange_text)
    if exchange is None:
        skips.add(f"{exchange_text} (exchange not traded here)")
        return None
    type_text = row.get("instrument_type").upper()
    kind = KINDS.get(type_text)
    if kind is None:
        skips.add(f"type {type_text or 'blank'} (not EQ, FUT, CE, PE)")
        return None
    if (kind is InstrumentKind.EQ) == exchange.is_derivatives:
        raise ValueError(f"instrument_type {type_text} on exchange {exchange}")
    tick = parse_decimal("tick_size", row.get("tick_size"))
    if tick <= 0:
        skips.add("rows with tick size 0")
        return None
    tick = tidy_tick(tick)
    lot_size = parse_lot("lot_size", row.get("lot_size"))
    if kind is InstrumentKind.EQ:
        symbol, rank = trading_symbol.upper(), 0
        match = SERIES_SUFFIX.match(symbol)
        if exchange is Exchange.NSE and match:
            series = match["series"]
            if series not in NSE_SERIES_RANK:
                skips.add(f"NSE series {series} (only EQ and BE are traded)")
                return None
            symbol, rank = match["base"], NSE_SERIES_RANK[series]
        name, underlying, expiry, strike = row.get("name"), symbol, None, None
    else:
        underlying = common_underlying(row.get("name") or leading_letters(trading_symbol.upper()))
        if not underlying:
            raise ValueError(f"no underlying in name or tradingsymbol {trading_symbol!r}")
        expiry = parse_expiry(row.get("expiry"))
        strike = None
        if kind.is_option:
            strike = tidy_strike(parse_decimal("strike", row.get("strike")))
            if strike <= 0:
                raise ValueError(f"strike {row.get('strike')!r} of an option is not above zero")
            symbol = option_symbol(underlying, expiry, strike, kind)
        else:
            symbol = future_symbol(underlying, expiry)
        name, rank = describe(underlying, expiry, strike, kind.value), 0
    instrument = Instrument(
        symbol=symbol,
        exchange=exchange,
        kind=kind,
        underlying=underlying,
        lot_size=lot_size,
        tick_size=tick,
        reference_price=_reference_price(row.get("last_price"), tick),
        expiry=expiry,
        strike=strike,
        broker_symbols={KITE: trading_symbol},
        tokens=_tokens(token, row.get("exchange_token")),
        name=name,
    )
    return Candidate(instrument, row.line, rank)


def _tokens(instrument_token: str, exchange_token: str) -> dict[str, str]:
    tokens = {KITE: instrument_token}
    if exchange_token:
        tokens[EXCHANGE_TOKEN] = exchange_token
    return tokens


def _reference_price(text: str, tick: Decimal) -> Decimal:
    """Kite's last price when it has one; a bad or zero price is not worth refusing a file."""
    if not text:
        return tick
    try:
        price = parse_decimal("last_price", text)
    except ValueError:
        return tick
    return price if price > 0 else tick
