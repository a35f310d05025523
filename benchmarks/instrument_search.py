"""Symbol search and master loading with a full day's contracts (100,000 by default).

Why: the order ticket completes the symbol on every keystroke through
`InstrumentCatalog.search(prefix)`; with the brokers' full masters loaded the catalog holds
about 100,000 contracts (index and stock options across strikes and expiries), and a search
that takes more than a few milliseconds makes typing stutter. The target is well under 5 ms
per query at p99. Loading and merging the masters happens once a day, off the window's
thread, but its time decides how long a start-up shows yesterday's list.

Measured on one synthetic catalog:

- build:   `InstrumentCatalog(instruments)` (sorting the symbols)
- search:  `catalog.search(prefix)` over typical prefixes, each query timed alone: p50, p99,
           max; also per prefix, and the same prefixes typed one key at a time
- nocopy:  the same search without copying the tail of the sorted list (see the note printed
           at the end), to show what the change would save
- load:    Shoonya's NFO master (zipped) and Kite's instruments CSV of the same contracts
           written to a temporary folder, then `load_master` of each, `merge_masters`, and
           `refresh_catalog` end to end (load, merge, freeze quantities, replace_all)

    python -m benchmarks.instrument_search [--contracts 100000] [--queries 20000] [--json]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.common import emit, machine, percentile
from trader_gui.domain.enums import Exchange, InstrumentKind
from trader_gui.domain.instruments import (
    MONTH_ABBREVIATIONS,
    Instrument,
    InstrumentCatalog,
    future_symbol,
    option_symbol,
)
from trader_gui.persistence.instrument_masters import (
    EXCHANGE_TOKEN,
    KITE,
    SHOONYA,
    load_master,
    merge_masters,
    refresh_catalog,
)
from trader_gui.persistence.master_kite import KITE_COLUMNS

INDICES: tuple[tuple[str, int, int, int], ...] = (
    # underlying, lot, spot, strike step
    ("NIFTY", 65, 26000, 50),
    ("BANKNIFTY", 30, 59000, 100),
    ("FINNIFTY", 60, 27500, 50),
    ("MIDCPNIFTY", 120, 13500, 25),
    ("SENSEX", 20, 85000, 100),
)
STOCKS = [
    "ADANIENT",
    "ADANIPORTS",
    "APOLLOHOSP",
    "ASIANPAINT",
    "AXISBANK",
    "BAJAJ-AUTO",
    "BAJFINANCE",
    "BEL",
    "BHARTIARTL",
    "BPCL",
    "BRITANNIA",
    "CIPLA",
    "COALINDIA",
    "DIVISLAB",
    "DRREDDY",
    "EICHERMOT",
    "ETERNAL",
    "GRASIM",
    "HCLTECH",
    "HDFCBANK",
    "HDFCLIFE",
    "HEROMOTOCO",
    "HINDALCO",
    "HINDUNILVR",
    "ICICIBANK",
    "IDEA",
    "INDUSINDBK",
    "INFY",
    "ITC",
    "JSWSTEEL",
    "KOTAKBANK",
    "LT",
    "M&M",
    "MARUTI",
    "NESTLEIND",
    "NTPC",
    "ONGC",
    "POWERGRID",
    "RELIANCE",
    "SBILIFE",
    "SBIN",
    "SHRIRAMFIN",
    "SUNPHARMA",
    "TATACONSUM",
    "TATAMOTORS",
    "TATASTEEL",
    "TCS",
    "TECHM",
    "TITAN",
    "TRENT",
    "ULTRACEMCO",
    "WIPRO",
]
PREFIXES = (
    "N",
    "NI",
    "NIFTY",
    "NIFTY0",
    "NIFTY01DEC26",
    "NIFTY01DEC2626",
    "BANKNIFTY29DEC2659",
    "FINNIFTY",
    "SENSEX01DEC2685",
    "SBIN",
    "RELI",
    "A",
    "M&M",
    "TCS29DEC26",
    "Z",
    "ZZZ",
)
TYPED = "BANKNIFTY29DEC2659000CE"
FIRST_EXPIRY = date(2026, 12, 1)


def synthetic_instruments(count: int) -> list[Instrument]:
    """`count` contracts shaped like a real day: index options weekly, stocks monthly."""
    out: list[Instrument] = []
    token = iter(range(100_000, 10_000_000))
    for instrument in _contracts(token):
        out.append(instrument)
        if len(out) == count:
            break
    return out


def _contracts(token: Iterator[int]) -> Iterator[Instrument]:
    for stock in STOCKS:
        yield _make(stock, Exchange.NSE, InstrumentKind.EQ, 1, None, None, next(token))
    weekly = [FIRST_EXPIRY + timedelta(weeks=week) for week in range(12)]
    monthly = [date(2026, 12, 29), date(2027, 1, 25), date(2027, 2, 23)]
    while True:  # more strikes each round until the count is reached
        for width in range(1, 10_000):
            for underlying, lot, spot, step in INDICES:
                exchange = Exchange.BFO if underlying == "SENSEX" else Exchange.NFO
                for expiry in weekly:
                    for strike in (spot - width * step, spot + width * step):
                        for kind in (InstrumentKind.CE, InstrumentKind.PE):
                            yield _make(
                                underlying, exchange, kind, lot, expiry, strike, next(token)
                            )
            for number, stock in enumerate(STOCKS):
                spot, step = 500 + 37 * number, 10
                for expiry in monthly:
                    if width == 1:
                        yield _make(
                            stock, Exchange.NFO, InstrumentKind.FUT, 500, expiry, None, next(token)
                        )
                    for strike in (spot - width * step, spot + width * step):
                        if strike <= 0:
                            continue
                        for kind in (InstrumentKind.CE, InstrumentKind.PE):
                            yield _make(stock, Exchange.NFO, kind, 500, expiry, strike, next(token))


def _make(
    underlying: str,
    exchange: Exchange,
    kind: InstrumentKind,
    lot: int,
    expiry: date | None,
    strike: int | None,
    token: int,
) -> Instrument:
    if kind is InstrumentKind.EQ:
        symbol, shoonya = underlying, f"{underlying}-EQ"
    elif kind is InstrumentKind.FUT:
        assert expiry is not None
        symbol = future_symbol(underlying, expiry)
        shoonya = f"{underlying}{_ddmmmyy(expiry)}F"
    else:
        assert expiry is not None
        assert strike is not None
        symbol = option_symbol(underlying, expiry, Decimal(strike), kind)
        shoonya = f"{underlying}{_ddmmmyy(expiry)}{kind.value[0]}{strike}"
    return Instrument(
        symbol=symbol,
        exchange=exchange,
        kind=kind,
        underlying=underlying,
        lot_size=lot,
        tick_size=Decimal("0.05"),
        reference_price=Decimal("0.05"),
        expiry=expiry,
        strike=Decimal(strike) if strike is not None else None,
        broker_symbols={SHOONYA: shoonya, KITE: symbol},
        tokens={SHOONYA: str(token), KITE: str(token * 256 + 1), EXCHANGE_TOKEN: str(token)},
    )


def _ddmmmyy(day: date) -> str:
    return f"{day.day:02d}{MONTH_ABBREVIATIONS[day.month - 1]}{day.year % 100:02d}"


def _dd_mmm_yyyy(day: date) -> str:
    return f"{day.day:02d}-{MONTH_ABBREVIATIONS[day.month - 1]}-{day.year}"


def write_shoonya_master(instruments: list[Instrument], folder: Path) -> list[Path]:
    """Shoonya's NSE and NFO/BFO files of the instruments, zipped as Shoonya publishes them."""
    cash = io.StringIO()
    cash.write("Exchange,Token,LotSize,Symbol,TradingSymbol,Instrument,TickSize,\n")
    derivatives = io.StringIO()
    derivatives.write(
        "Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize,\n"
    )
    for i in instruments:
        token, tsym = i.tokens[SHOONYA], i.broker_symbols[SHOONYA]
        if i.kind is InstrumentKind.EQ:
            cash.write(f"{i.exchange},{token},1,{i.symbol},{tsym},EQ,5,\n")
            continue
        assert i.expiry is not None
        index = i.underlying in {name for name, *_ in INDICES}
        kind = ("FUT" if i.kind is InstrumentKind.FUT else "OPT") + ("IDX" if index else "STK")
        option = "XX" if i.kind is InstrumentKind.FUT else i.kind.value
        strike = i.strike if i.strike is not None else "-0.01"
        derivatives.write(
            f"{i.exchange},{token},{i.lot_size},{i.underlying},{tsym},{_dd_mmm_yyyy(i.expiry)},"
            f"{kind},{option},{strike},{i.tick_size},\n"
        )
    paths = []
    for name, text in (("NSE_symbols.txt", cash), ("NFO_symbols.txt", derivatives)):
        path = folder / f"{name}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, text.getvalue())
        paths.append(path)
    return paths


def write_kite_master(instruments: list[Instrument], folder: Path) -> Path:
    path = folder / "instruments.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(KITE_COLUMNS)
        for i in instruments:
            segment = i.exchange.value if i.kind is InstrumentKind.EQ else f"{i.exchange}-OPT"
            writer.writerow(
                [
                    i.tokens[KITE],
                    i.tokens[EXCHANGE_TOKEN],
                    i.broker_symbols[KITE],
                    i.underlying,
                    "0.0",
                    i.expiry.isoformat() if i.expiry else "",
                    f"{i.strike}.0" if i.strike is not None else "0.0",
                    i.tick_size,
                    i.lot_size,
                    i.kind.value,
                    segment,
                    i.exchange.value,
                ]
            )
    return path


def time_queries(
    search: Callable[[str], list[Instrument]], queries: list[str]
) -> dict[str, list[float]]:
    """Milliseconds per query, each timed alone, grouped by prefix."""
    timings: dict[str, list[float]] = {}
    clock = time.perf_counter_ns
    for prefix in queries:
        start = clock()
        search(prefix)
        timings.setdefault(prefix, []).append((clock() - start) / 1e6)
    return timings


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": percentile(values, 0.50),
        "p99_ms": percentile(values, 0.99),
        "max_ms": max(values) if values else 0.0,
    }


def _seconds(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def run(contracts: int, queries: int, seed: int) -> dict[str, Any]:
    instruments = synthetic_instruments(contracts)
    build_s, catalog = _seconds(lambda: InstrumentCatalog(instruments))
    rng = random.Random(seed)
    mix = [rng.choice(PREFIXES) for _ in range(queries)]
    for prefix in PREFIXES:  # warm up
        catalog.search(prefix)
    typed = [TYPED[: n + 1] for n in range(len(TYPED))] * max(1, queries // (10 * len(TYPED)))

    current = time_queries(catalog.search, mix)
    current_typed = time_queries(catalog.search, typed)
    all_current = [ms for values in current.values() for ms in values]
    all_typed = [ms for values in current_typed.values() for ms in values]

    with tempfile.TemporaryDirectory() as folder:
        shoonya_paths = write_shoonya_master(instruments, Path(folder))
        kite_path = write_kite_master(instruments, Path(folder))
        shoonya_s, shoonya_results = _seconds(lambda: [load_master(p) for p in shoonya_paths])
        kite_s, kite_result = _seconds(lambda: load_master(kite_path))
        shoonya = [i for result in shoonya_results for i in result.instruments]
        merge_s, merged = _seconds(lambda: merge_masters(shoonya, kite_result.instruments))
        target = InstrumentCatalog()
        refresh_s, sentence = _seconds(lambda: refresh_catalog(target, [*shoonya_paths, kite_path]))
        sizes = {p.name: p.stat().st_size for p in [*shoonya_paths, kite_path]}

    return {
        "machine": machine(),
        "contracts": len(instruments),
        "queries": queries,
        "build_catalog_s": build_s,
        "search": _stats(all_current),
        "search_typed": _stats(all_typed),
        "per_prefix_p50_ms": {
            prefix: {
                "current": percentile(current[prefix], 0.5),
                "results": len(catalog.search(prefix)),
            }
            for prefix in PREFIXES
        },
        "load_shoonya_s": shoonya_s,
        "load_kite_s": kite_s,
        "merge_s": merge_s,
        "merged": len(merged),
        "refresh_catalog_s": refresh_s,
        "refresh_sentence": sentence,
        "file_bytes": sizes,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.contracts, args.queries, args.seed)

    def stats(name: str) -> str:
        s = report[name]
        return f"p50 {s['p50_ms']:.3f} ms, p99 {s['p99_ms']:.3f} ms, max {s['max_ms']:.3f} ms"

    table = [
        ("contracts", f"{report['contracts']:,}"),
        ("build catalog", f"{report['build_catalog_s'] * 1000:.0f} ms"),
        (f"search ({report['queries']:,} queries)", stats("search")),
        (f"search typing {TYPED}", stats("search_typed")),
    ]
    for prefix, row in report["per_prefix_p50_ms"].items():
        table.append(
            (
                f"  p50 {prefix!r}",
                f"{row['current']:.3f} ms, {row['results']} found",
            )
        )
    table += [
        ("load Shoonya NSE+NFO zips", f"{report['load_shoonya_s']:.2f} s"),
        ("load Kite instruments.csv", f"{report['load_kite_s']:.2f} s"),
        ("merge_masters", f"{report['merge_s']:.2f} s ({report['merged']:,} instruments)"),
        ("refresh_catalog (all of it)", f"{report['refresh_catalog_s']:.2f} s"),
        ("file sizes", ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in report["file_bytes"].items())),
    ]
    emit(report, args.json, table)


if __name__ == "__main__":
    main()
