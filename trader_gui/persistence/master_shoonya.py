"""Shoonya's (Noren's) symbol masters: `NSE_symbols.txt.zip`, `NFO_symbols.txt.zip`, ...

Shoonya publishes one zipped comma-separated file per exchange, with a header row that ends
in a trailing comma (so every row has an unnamed last cell). The layouts:

    NSE, BSE:  Exchange,Token,LotSize,Symbol,TradingSymbol,Instrument,TickSize,
    NFO, BFO:  Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize,
    MCX:       Exchange,Token,LotSize,GNGD,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize,
    CDS:       Exchange,Token,LotSize,Precision,Multiplier,Symbol,TradingSymbol,Expiry,... (not traded here)

e.g. `NSE,3045,1,SBIN,SBIN-EQ,EQ,5,` and `NFO,43650,65,NIFTY,NIFTY29DEC26F,29-DEC-2026,FUTIDX,XX,0,0.10,`.
Columns are read by name, so the order and extra columns do not matter. `Instrument` is the
series for NSE (EQ, BE, GS, ... and INDEX for index rows), the group for BSE (A, B, T, X, Z,
F, G, ...), and the contract type for derivatives (FUTIDX, FUTSTK, OPTIDX, OPTSTK, FUTCOM,
OPTFUT, ...). `OptionType` is CE, PE, or XX for a future. The token is the exchange's number.

Rules this reader applies (each keeps a wrong contract from reaching an order):

- Tick sizes: see `tick_sizes_in_paise` (the cash files give paise, `5` meaning 0.05).
- Equities: NSE rows of series EQ and BE are kept (EQ preferred when a symbol has both);
  other series (bonds GS/GB/N1..., SME SM/ST, partly paid E1, REIT/InvIT RR/IV) are skipped.
  BSE rows are kept except groups F (debt) and G (government securities). The common symbol
  is the plain symbol (`SBIN`); Shoonya's trading symbol (`SBIN-EQ`) is its broker symbol.
- Indices (Instrument INDEX/UNDIND) are skipped: they cannot be ordered.
- Derivatives: the common symbol is built from the underlying (index names mapped by
  `common_underlying`: `NIFTY BANK`, `BKXOPT`, ...), the expiry (`29-DEC-2026`), the strike
  and CE/PE/FUT.
- Placeholder rows (blank, or without token or trading symbol) and rows of exchanges this
  program does not trade (CDS, NCO, ...) are skipped and counted.
- A row that claims to be a contract but cannot be read (lot `abc`, expiry `31-FOO-2026`, an
  option without strike, cells shifted) refuses the whole file with its line: the previous
  master stays in use.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from trader_gui.domain.enums import Exchange, InstrumentKind
from trader_gui.domain.instruments import Instrument, future_symbol, option_symbol
from trader_gui.persistence.master_common import (
    EXCHANGE_TOKEN,
    EXCHANGES,
    KINDS,
    SHOONYA,
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

log = logging.getLogger(__name__)

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "Exchange": ("Exchange",),
    "Token": ("Token",),
    "LotSize": ("LotSize",),
    "Symbol": ("Symbol",),
    "TradingSymbol": ("TradingSymbol",),
    "Instrument": ("Instrument",),
    "TickSize": ("TickSize",),
    "Expiry": ("Expiry",),
    "OptionType": ("OptionType",),
    "StrikePrice": ("StrikePrice", "Strike"),
}
CASH_COLUMNS = ("Exchange", "Token", "LotSize", "Symbol", "TradingSymbol", "Instrument", "TickSize")
DERIVATIVE_COLUMNS = (*CASH_COLUMNS, "Expiry", "OptionType", "StrikePrice")

NSE_SERIES_RANK: Mapping[str, int] = {"EQ": 0, "BE": 1}
"""NSE series kept, best first: EQ (normal) and BE (trade-for-trade, delivery only)."""
BSE_GROUPS_SKIPPED: Mapping[str, str] = {"F": "debt", "G": "government securities"}
INDEX_WORDS = frozenset({"INDEX", "UNDIND"})

PAISE_EXCHANGES = frozenset({Exchange.NSE, Exchange.BSE, Exchange.NFO, Exchange.BFO})
"""Exchanges whose every real tick is a fraction of a rupee, so a file of whole numbers is paise.
Not MCX: its ticks are whole rupees for gold, silver and crude (`1`), and fractions for base
metals, so a whole number there is rupees."""
LARGEST_RUPEE_TICK = Decimal("5")
"""NSE's and BSE's largest tick (5.00 for shares above 20,000). In a file read as rupees, a
bigger tick means the file mixes paise and rupees, and it is refused."""
PAISE_PER_RUPEE = Decimal(100)


def tick_sizes_in_paise(exchange: Exchange, ticks: Iterable[Decimal]) -> bool:
    """Whether one exchange's tick sizes in one file are written in paise (`5` for 0.05).

    Shoonya's cash files (NSE_symbols, BSE_symbols) write the tick in paise, its derivative
    files in rupees; other Noren brokers and older files write rupees everywhere. So the
    unit is read from the file itself, per exchange, not from its name:

    1. MCX is always rupees (whole-rupee ticks are normal there).
    2. If any tick has a fraction (0.05, 0.10, 2.5), the file is in rupees: paise are whole.
    3. If every tick is a whole number, NSE/BSE/NFO/BFO ticks are paise: almost every real
       tick on those exchanges is below one rupee, so a whole list of `1`, `5`, `10` is paise.

    Zero ticks (index rows) are ignored. The caller refuses a rupee file with a tick above
    `LARGEST_RUPEE_TICK`: that file mixes both spellings and neither reading is safe.
    """
    if exchange not in PAISE_EXCHANGES:
        return False
    seen = False
    for tick in ticks:
        if tick <= 0:
            continue
        if tick != tick.to_integral_value():
            return False
        seen = True
    return seen


@dataclass(slots=True)
class _Pending:
    """A row read and checked, waiting for its file's tick unit to be known."""

    line: int
    exchange: Exchange
    kind: InstrumentKind
    underlying: str
    trading_symbol: str
    token: str
    lot_size: int
    raw_tick: Decimal
    expiry: date | None
    strike: Decimal | None
    rank: int
    name: str


def parse_shoonya(table: CsvTable) -> MasterLoadResult:
    """Every instrument in one Shoonya symbol file (already opened as a CSV table)."""
    derivatives = "expiry" in (name.lower() for name in table.header)
    required = DERIVATIVE_COLUMNS if derivatives else CASH_COLUMNS
    skips = Skips()
    warnings: list[str] = []
    unknown_codes: set[str] = set()
    pending: list[_Pending] = []
    for row in table.rows(COLUMNS, required):
        try:
            item = _read_row(row, derivatives, skips, unknown_codes)
        except ValueError as error:
            raise MasterFileError(table.source, row.line, str(error)) from None
        if item is not None:
            pending.append(item)
    if unknown_codes:
        warnings.append(
            f"{table.source}: underlying read from the trading symbol for "
            f"{', '.join(sorted(unknown_codes))} (names not known to this program)"
        )
    instruments = _build(table.source, pending, skips)
    return MasterLoadResult(
        instruments=instruments,
        skipped_rows=skips.total,
        warnings=warnings,
        broker=SHOONYA,
        sources=(table.source,),
        skipped_by_reason=dict(skips.by_reason),
    )


def _read_row(
    row: Row, derivatives: bool, skips: Skips, unknown_codes: set[str]
) -> _Pending | None:
    if not any(row.cells.values()):
        skips.add("blank rows")
        return None
    token, trading_symbol = row.get("Token"), row.get("TradingSymbol")
    exchange_text = row.get("Exchange").upper()
    if not token or not trading_symbol or not exchange_text:
        skips.add("placeholders without token or symbol")
        return None
    exchange = EXCHANGES.get(exchange_text)
    if exchange is None:
        skips.add(f"{exchange_text} (exchange not traded here)")
        return None
    instrument = row.get("Instrument").upper()
    if instrument in INDEX_WORDS:
        skips.add("indices")
        return None
    if exchange.is_derivatives:
        if not derivatives:
            raise ValueError(f"a {exchange} row in a file without Expiry/OptionType/StrikePrice")
        return _derivative(row, exchange, instrument, skips, unknown_codes)
    return _equity(row, exchange, instrument, skips)


def _equity(row: Row, exchange: Exchange, series: str, skips: Skips) -> _Pending | None:
    trading_symbol = row.get("TradingSymbol")
    rank = 0
    if exchange is Exchange.NSE:
        if series not in NSE_SERIES_RANK:
            skips.add(f"NSE series {series or 'blank'} (only EQ and BE are traded)")
            return None
        rank = NSE_SERIES_RANK[series]
    elif series in BSE_GROUPS_SKIPPED:
        skips.add(f"BSE group {series} ({BSE_GROUPS_SKIPPED[series]})")
        return None
    symbol = row.get("Symbol").upper() or _without_series(trading_symbol, series)
    return _Pending(
        line=row.line,
        exchange=exchange,
        kind=InstrumentKind.EQ,
        underlying=symbol,
        trading_symbol=trading_symbol,
        token=row.get("Token"),
        lot_size=parse_lot("LotSize", row.get("LotSize")),
        raw_tick=parse_decimal("TickSize", row.get("TickSize")),
        expiry=None,
        strike=None,
        rank=rank,
        name="",
    )


def _without_series(trading_symbol: str, series: str) -> str:
    suffix = f"-{series}"
    upper = trading_symbol.upper()
    return upper[: -len(suffix)] if series and upper.endswith(suffix) else upper


def _derivative(
    row: Row, exchange: Exchange, instrument: str, skips: Skips, unknown_codes: set[str]
) -> _Pending | None:
    option_type = row.get("OptionType").upper()
    if not instrument.startswith(("FUT", "OPT")):
        skips.add(f"type {instrument or 'blank'} (not a future or option)")
        return None
    if instrument.startswith("OPT"):
        if option_type not in ("CE", "PE"):
            raise ValueError(f"option {instrument} has OptionType {option_type!r}, not CE or PE")
        kind = KINDS[option_type]
    else:
        if option_type not in ("XX", ""):
            raise ValueError(f"future {instrument} has OptionType {option_type!r}, not XX")
        kind = InstrumentKind.FUT
    trading_symbol = row.get("TradingSymbol")
    underlying = _underlying(row.get("Symbol"), trading_symbol, unknown_codes)
    expiry = parse_expiry(row.get("Expiry"))
    strike: Decimal | None = None
    if kind.is_option:
        strike = tidy_strike(parse_decimal("StrikePrice", row.get("StrikePrice")))
        if strike <= 0:
            raise ValueError(f"StrikePrice {row.get('StrikePrice')!r} is not above zero")
    return _Pending(
        line=row.line,
        exchange=exchange,
        kind=kind,
        underlying=underlying,
        trading_symbol=trading_symbol,
        token=row.get("Token"),
        lot_size=parse_lot("LotSize", row.get("LotSize")),
        raw_tick=parse_decimal("TickSize", row.get("TickSize")),
        expiry=expiry,
        strike=strike,
        rank=0,
        name=describe(underlying, expiry, strike, kind.value),
    )


def _underlying(name: str, trading_symbol: str, unknown_codes: set[str]) -> str:
    """The common underlying: Shoonya's `Symbol`, index names mapped.

    Shoonya's BFO file names a contract series (`BSXOPT`, `BKXFUT`) rather than the index;
    the known ones are mapped, and an unknown `...OPT`/`...FUT` code falls back on the letters
    that start the trading symbol (`SENSEX` of `SENSEX26SEP91000PE`), with a warning.
    """
    underlying = common_underlying(name) if name else ""
    if not underlying or (
        underlying == name.upper() and underlying.endswith(("OPT", "FUT")) and len(underlying) > 3
    ):
        derived = leading_letters(trading_symbol.upper())
        if not derived:
            raise ValueError(f"no underlying in Symbol {name!r} or {trading_symbol!r}")
        if name:
            unknown_codes.add(name.upper())
        return common_underlying(derived)
    return underlying


def _build(source: str, pending: list[_Pending], skips: Skips) -> list[Instrument]:
    """Instruments from the checked rows, each exchange's ticks in the unit its rows use."""
    by_exchange: dict[Exchange, list[_Pending]] = {}
    for item in pending:
        by_exchange.setdefault(item.exchange, []).append(item)
    chosen: dict[tuple[object, str], Candidate] = {}
    for exchange, items in by_exchange.items():
        paise = tick_sizes_in_paise(exchange, (item.raw_tick for item in items))
        log.info("%s: %s tick sizes read in %s", source, exchange, "paise" if paise else "rupees")
        for item in items:
            if item.raw_tick <= 0:
                skips.add("rows with tick size 0")
                continue
            tick = tidy_tick(item.raw_tick / PAISE_PER_RUPEE if paise else item.raw_tick)
            if not paise and exchange in PAISE_EXCHANGES and tick > LARGEST_RUPEE_TICK:
                raise MasterFileError(
                    source,
                    item.line,
                    f"TickSize {item.raw_tick} beside ticks in rupees elsewhere in the file: "
                    f"no {exchange} tick is above {LARGEST_RUPEE_TICK}, so the file mixes "
                    "paise and rupees",
                )
            keep_unique(
                chosen, Candidate(_instrument(item, tick), item.line, item.rank), source, skips
            )
    return [candidate.instrument for candidate in chosen.values()]


def _instrument(item: _Pending, tick: Decimal) -> Instrument:
    if item.kind is InstrumentKind.EQ:
        symbol = item.underlying
    elif item.kind is InstrumentKind.FUT:
        assert item.expiry is not None
        symbol = future_symbol(item.underlying, item.expiry)
    else:
        assert item.expiry is not None
        assert item.strike is not None
        symbol = option_symbol(item.underlying, item.expiry, item.strike, item.kind)
    return Instrument(
        symbol=symbol,
        exchange=item.exchange,
        kind=item.kind,
        underlying=item.underlying,
        lot_size=item.lot_size,
        tick_size=tick,
        reference_price=tick,
        expiry=item.expiry,
        strike=item.strike,
        broker_symbols={SHOONYA: item.trading_symbol},
        tokens={SHOONYA: item.token, EXCHANGE_TOKEN: item.token},
        name=item.name,
    )
