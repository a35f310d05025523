"""The daily symbol-master refresh against the loop it must not freeze (100,000 contracts).

Why: at start-up (and from File → Refresh symbol masters…) the day's masters are downloaded,
parsed, merged and swapped into the catalog while the window paints and tickets go out. The
refresh runs on its own thread; Python's GIL still hands the loop thread the interpreter only
between the worker's switch intervals, so what the trader feels is the loop's longest stall.

Measured, with Shoonya's zips of a synthetic day served from 127.0.0.1:

- refresh:   `MasterRefresher.refresh_now()` end to end (download, load, merge, freeze
             quantities, cache, swap), with a 5 ms ticker on the loop recording how late
             each tick woke: p50, p99, max
- reference: `refresh_catalog` of the same files called on the loop thread (what the refresh
             would cost the window without its thread): the stall is the whole load

    python -m benchmarks.master_refresh [--contracts 100000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import tempfile
import threading
import time
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmarks.common import emit, machine, percentile
from benchmarks.instrument_search import synthetic_instruments, write_shoonya_master
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.engine.events import EventBus
from trader_gui.engine.master_refresh import MasterRefresher, ShoonyaMasters
from trader_gui.persistence.instrument_files import load_bundled_instruments
from trader_gui.persistence.instrument_masters import refresh_catalog

TICK_S = 0.005
EMPTY = {
    "BSE_symbols.txt": "Exchange,Token,LotSize,Symbol,TradingSymbol,Instrument,TickSize,\n",
    "BFO_symbols.txt": "Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument,"
    "OptionType,StrikePrice,TickSize,\n",
    "MCX_symbols.txt": "Exchange,Token,LotSize,GNGD,Symbol,TradingSymbol,Expiry,Instrument,"
    "OptionType,StrikePrice,TickSize,\n",
}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(folder: Path) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def _ticker(stop: asyncio.Event, lateness: list[float]) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(TICK_S)  # allow-sleep: the ticker measures the loop's lateness
        lateness.append(time.perf_counter() - before - TICK_S)


async def _timed(work: Any) -> tuple[float, list[float]]:
    stop = asyncio.Event()
    lateness: list[float] = []
    ticker = asyncio.create_task(_ticker(stop, lateness))
    await asyncio.sleep(0)  # allow-sleep: let the ticker start
    started = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - started
    stop.set()
    await ticker
    return elapsed, lateness


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": percentile(values, 0.5) * 1000,
        "p99_ms": percentile(values, 0.99) * 1000,
        "max_ms": max(values) * 1000,
        "ticks": len(values),
    }


async def _measure(contracts: int, folder: Path) -> dict[str, Any]:
    files = write_shoonya_master(synthetic_instruments(contracts), folder)
    for name, header in EMPTY.items():
        with zipfile.ZipFile(folder / f"{name}.zip", "w") as archive:
            archive.writestr(name, header)
    server = _serve(folder)
    host, port = server.server_address[:2]
    try:
        catalog = InstrumentCatalog(load_bundled_instruments())
        refresher = MasterRefresher(
            catalog,
            EventBus(),
            cache_dir=folder / "cache",
            source=ShoonyaMasters(f"http://{host!s}:{port}", timeout_s=120),
        )

        async def refresh() -> None:
            outcome = await refresher.refresh_now()
            assert outcome.loaded, outcome.sentence

        refresh_s, refresh_lateness = await _timed(refresh)
        await refresher.stop()
        loaded = len(catalog)

        reference = InstrumentCatalog(load_bundled_instruments())

        async def on_the_loop() -> None:
            refresh_catalog(reference, files)

        reference_s, reference_lateness = await _timed(on_the_loop)
    finally:
        server.shutdown()
        server.server_close()
    return {
        "machine": machine(),
        "contracts": contracts,
        "loaded": loaded,
        "refresh_s": refresh_s,
        "refresh_stall": _stats(refresh_lateness),
        "reference_s": reference_s,
        "reference_stall": _stats(reference_lateness),
    }


def measure(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parser().parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_measure(args.contracts, Path(folder)))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    report = measure(argv)

    def stall(name: str) -> str:
        figures = report[name]
        return (
            f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
            f"max {figures['max_ms']:.1f} ms over {figures['ticks']} ticks"
        )

    emit(
        report,
        args.json,
        [
            ("contracts loaded", f"{report['loaded']:,} of {report['contracts']:,}"),
            ("refresh on its thread", f"{report['refresh_s']:.2f} s"),
            ("  loop lateness", stall("refresh_stall")),
            ("reference on the loop", f"{report['reference_s']:.2f} s"),
            ("  loop lateness", stall("reference_stall")),
        ],
    )


if __name__ == "__main__":
    main()
