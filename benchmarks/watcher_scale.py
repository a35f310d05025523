"""One watcher pass against the size of the order book: it must grow linearly.

Why: the watcher reads the whole book every second and brings each open row to what the
broker says, so its pass is paid every poll for the whole trading day. A pass that grows
faster than the book, or costs a second at 100,000 rows, would stall the window's updates.

For each size N the database is filled directly with N open orders (SENT_TO_BROKER, OPEN at
the broker) and a stub broker (`BookBroker`) returns the matching prebuilt book, so the pass
measures the engine and the database, not a simulator. Each timed pass first changes a share
of the book (default 1%: one more share filled), so that many rows are written and the rest
are compared and left alone. Timed, medians over `--passes`:

- `Reconciler.reconcile` with 1% changed, and with nothing changed (the read-only floor)
- `Watcher.poll_once` with 1% changed (kill switch read, book, reconcile, positions, events)

Printed per size: seconds, µs per row, and the ratio to the smallest size's pass scaled to
this size (1.00 is linear). Target: linear, and 100,000 rows under 1 s.

    python -m benchmarks.watcher_scale [--sizes 1000 10000 100000] [--changed 0.01]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, insert

from benchmarks.brokers import BookBroker
from benchmarks.common import CLIENT_ID, SYMBOL, catalog, emit, machine
from benchmarks.sql_reference import ORDERS_TABLE
from trader_gui.brokers.base import BrokerOrder
from trader_gui.domain.enums import BrokerState, Exchange, OrderType, Product, Side
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.runtime import Runtime
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.repository import OrderRepository

TARGET_ROWS = 100_000
TARGET_S = 1.0
QUANTITY = 1_000_000
"""Large enough that a row touched every pass stays open (one share filled per touch)."""
CHUNK = 10_000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SizeRun:
    """Median seconds of each kind of pass for one book size."""

    rows: int
    changed: int
    written: int
    """Rows the timed reconcile passes actually wrote (median): should equal `changed`."""
    first_reconcile_s: float
    reconcile_s: float
    reconcile_unchanged_s: float
    poll_s: float


def populate(engine: Engine, rows: int, at: datetime) -> list[BrokerOrder]:
    """N open orders written straight into the table, and the broker book that matches them."""
    book: list[BrokerOrder] = []
    with engine.begin() as connection:
        for start in range(0, rows, CHUNK):
            values = [_row(index, at) for index in range(start, min(rows, start + CHUNK))]
            connection.execute(insert(ORDERS_TABLE), values)
            book.extend(_book_order(row) for row in values)
    return book


def _row(index: int, at: datetime) -> dict[str, Any]:
    return {
        "command_id": f"W{index:019d}",
        "ticket_id": None,
        "client_id": CLIENT_ID,
        "symbol": SYMBOL,
        "exchange": Exchange.NSE.value,
        "side": Side.BUY.value,
        "quantity": QUANTITY,
        "order_type": OrderType.LIMIT.value,
        "price": None,
        "trigger_price": None,
        "product": Product.MIS.value,
        "strategy": f"bench{index}",
        "execution_type": "ENTRY",
        "source": "MANUAL",
        "status": "SENT_TO_BROKER",
        "tag": None,
        "detail": "OPEN",
        "broker_order_id": f"P{index:013d}",
        "broker_status": BrokerState.OPEN.value,
        "filled_qty": 0,
        "avg_price": None,
        "created_at": at,
        "updated_at": at,
        "sent_at": at,
    }


def _book_order(row: dict[str, Any]) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=row["broker_order_id"],
        tag=row["command_id"],
        symbol=SYMBOL,
        exchange=Exchange.NSE,
        side=Side.BUY,
        quantity=QUANTITY,
        order_type=OrderType.LIMIT,
        product=Product.MIS,
        state=BrokerState.OPEN,
        status_text="OPEN",
    )


def engine_config() -> EngineConfig:
    """A watcher that polls only when told, and a grace long enough that nothing goes missing."""
    return EngineConfig(client_id=CLIENT_ID, poll_interval_s=3600.0, not_found_grace_s=3600.0)


def timed(action: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


async def timed_async(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def measure_size(path: Path, rows: int, share: float, passes: int) -> SizeRun:
    """Fill, then time reconcile passes (changed and unchanged) and full polls."""
    now = datetime.now(UTC)
    repository = OrderRepository(open_database(sqlite_url(path)))
    broker = BookBroker(populate(repository.engine, rows, now))
    runtime = Runtime(
        repository=repository, broker=broker, catalog=catalog(), config=engine_config()
    )
    reconciler = runtime.watcher.reconciler
    changed = max(1, round(rows * share))

    def reconcile(touch: int) -> tuple[float, int]:
        broker.touch(touch)
        book = broker.order_book()
        seconds, result = timed(lambda: reconciler.reconcile(book, datetime.now(UTC), frozenset()))
        return seconds, len(result.applied)

    try:
        first, _ = reconcile(0)  # loads every broker id once; later passes use the cache
        changed_passes = [reconcile(changed) for _ in range(passes)]
        unchanged_passes = [reconcile(0)[0] for _ in range(passes)]
        await runtime.watcher.poll_once()  # first poll stores risk state and a P&L snapshot
        polls = []
        for _ in range(passes):
            broker.touch(changed)
            polls.append(await timed_async(runtime.watcher.poll_once))
    finally:
        await runtime.stop()
    return SizeRun(
        rows=rows,
        changed=changed,
        written=round(statistics.median(written for _, written in changed_passes)),
        first_reconcile_s=first,
        reconcile_s=statistics.median(seconds for seconds, _ in changed_passes),
        reconcile_unchanged_s=statistics.median(unchanged_passes),
        poll_s=statistics.median(polls),
    )


def summarise(runs: Sequence[SizeRun], options: argparse.Namespace) -> dict[str, Any]:
    base = runs[0]

    def figures(run: SizeRun, field: str) -> dict[str, float]:
        seconds: float = getattr(run, field)
        scaled = getattr(base, field) * run.rows / base.rows
        return {
            "s": seconds,
            "us_per_row": seconds / run.rows * 1e6,
            "ratio_to_base_scaled": seconds / scaled if scaled else float("inf"),
        }

    return {
        "benchmark": "watcher_scale",
        "machine": machine(),
        "changed_share": options.changed,
        "passes": options.passes,
        "base_rows": base.rows,
        "target": {"rows": TARGET_ROWS, "s": TARGET_S},
        "poll_at_target_rows_s": _projected(runs[-1]),
        "sizes": [
            {
                "rows": run.rows,
                "changed_per_pass": run.changed,
                "written_per_pass": run.written,
                "first_reconcile_s": run.first_reconcile_s,
                "reconcile": figures(run, "reconcile_s"),
                "reconcile_unchanged": figures(run, "reconcile_unchanged_s"),
                "poll_once": figures(run, "poll_s"),
            }
            for run in runs
        ],
    }


def _projected(largest: SizeRun) -> float:
    """A full poll at the target size: measured if it was run, else scaled linearly."""
    return largest.poll_s * TARGET_ROWS / largest.rows


def table(report: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [
        (
            "book",
            f"{report['changed_share']:.1%} of rows changed per pass, median of "
            f"{report['passes']} passes; ratio = seconds / ({report['base_rows']:,}-row pass "
            "x size ratio), 1.00 is linear",
        )
    ]
    for size in report["sizes"]:
        for kind in ("reconcile", "reconcile_unchanged", "poll_once"):
            fig = size[kind]
            rows.append(
                (
                    f"{size['rows']:>7,} rows  {kind}",
                    f"{fig['s']:8.3f} s  {fig['us_per_row']:6.1f} us/row  "
                    f"ratio {fig['ratio_to_base_scaled']:.2f}",
                )
            )
        rows.append(
            (
                f"{size['rows']:>7,} rows  first pass",
                f"{size['first_reconcile_s']:8.3f} s   (rows written per pass: "
                f"{size['written_per_pass']:,} of {size['changed_per_pass']:,} changed)",
            )
        )
    target = report["target"]
    projected = report["poll_at_target_rows_s"]
    measured = report["sizes"][-1]["rows"] == target["rows"]
    rows.append(
        (
            f"poll_once at {target['rows']:,} rows",
            f"{projected:.3f} s {'measured' if measured else 'scaled linearly'} "
            f"(target < {target['s']:g} s: {'met' if projected < target['s'] else 'MISSED'})",
        )
    )
    return rows


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1_000, 10_000, 100_000],
        help="book sizes; the first is the base of the ratios (CI: 200 1000)",
    )
    parser.add_argument("--changed", type=float, default=0.01, help="share changed per pass")
    parser.add_argument("--passes", type=int, default=3, help="timed passes per size")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser.parse_args(argv)


def measure(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run every size and return the report, printing nothing (run_all and tests call this)."""
    options = parse(argv)
    runs = []
    with tempfile.TemporaryDirectory(prefix="trader-gui-bench-") as folder:
        for rows in options.sizes:
            path = Path(folder) / f"book{rows}.sqlite3"
            runs.append(asyncio.run(measure_size(path, rows, options.changed, options.passes)))
    return summarise(runs, options)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Measure, print (a table, or JSON with --json), and return the report."""
    report = measure(argv)
    emit(report, parse(argv).json, table(report))
    return report


if __name__ == "__main__":
    main()
