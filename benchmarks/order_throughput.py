"""Orders per second through the six steps, beside the raw limit of the same SQLite file.

Why: every step is committed before the next acts on it (that is the product's promise), so
an order costs four commits at least. The question is how close the engine gets to four bare
commits per order. The target is at least half the raw limit.

Each round, on fresh files in one temporary folder, runs:

- raw:    a bare `sqlite3` loop doing the engine's four commits per order (sql_reference.py)
- core:   the same writes through SQLAlchemy Core, statements built once
- engine: a real `Runtime` (order engine, watcher, workers) on the paper broker at zero
          latency: N orders through steps 1-5 (submit until ACCEPTED is committed), with K
          tickets in flight; then one `Watcher.poll_once` that takes all N to EXECUTED.

Submit-to-broker latency is measured per order from the `submit` call to the moment the
broker's `place_order` is entered. Printed: orders/s for each, the ratio to raw, p50/p99.

    python -m benchmarks.order_throughput [--orders 2000] [--concurrency 1 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from benchmarks.brokers import BookBroker, TimedBroker
from benchmarks.common import (
    BIG_CAPITAL,
    CLIENT_ID,
    catalog,
    emit,
    entry_ticket,
    in_desks,
    machine,
    median,
    percentile,
)
from benchmarks.sql_reference import PhaseTimes, raw_sqlite, sqlalchemy_core
from trader_gui.brokers.base import Broker
from trader_gui.brokers.paper import PaperBroker
from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.domain.enums import OrderStatus
from trader_gui.domain.order import OrderCommand
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.order_engine import OrderEngine
from trader_gui.engine.runtime import Runtime
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.repository import OrderRepository

BrokerKind = Literal["paper", "stub"]
TARGET_RATIO = 0.5


@dataclass(frozen=True, slots=True)
class EngineRun:
    """One engine run: the two phases' seconds, the broker's share, and latencies."""

    orders: int
    concurrency: int
    steps_s: float
    watcher_s: float
    broker_s: float
    latencies_s: tuple[float, ...]
    executed: int
    transitions: int

    @property
    def total_s(self) -> float:
        return self.steps_s + self.watcher_s

    @property
    def durable(self) -> bool:
        """Every order EXECUTED and its four transitions on disk (the promise, checked)."""
        return self.executed == self.orders and self.transitions == 4 * self.orders


def engine_config() -> EngineConfig:
    """No order throttle (it caps at 10/s by design), and a watcher that polls only when told."""
    return EngineConfig(
        client_id=CLIENT_ID,
        poll_interval_s=3600.0,
        broker_timeout_s=30.0,
        orders_per_second=None,
    )


def make_broker(kind: BrokerKind) -> Broker:
    """The paper broker at zero latency, prices frozen, or the stub.

    The paper broker keeps its own state in memory: its file would add the simulator's
    commits to the engine's time, and the reference counts only the engine's database.
    """
    if kind == "stub":
        return BookBroker()
    paper = PaperConfig(ack_latency_s=0.0, fill_latency_s=0.0, volatility=0.0, capital=BIG_CAPITAL)
    return PaperBroker(catalog(), state_path=":memory:", client_id=CLIENT_ID, config=paper)


def build_runtime(path: Path, kind: BrokerKind) -> tuple[Runtime, TimedBroker]:
    broker = TimedBroker(make_broker(kind))
    repository = OrderRepository(open_database(sqlite_url(path)))
    runtime = Runtime(
        repository=repository, broker=broker, catalog=catalog(), config=engine_config()
    )
    return runtime, broker


async def submit_all(
    engine: OrderEngine,
    commands: Sequence[OrderCommand],
    concurrency: int,
    submitted: dict[str, float],
) -> None:
    """Keep `concurrency` tickets in flight until every command has been through step 5."""

    async def submit(command: OrderCommand) -> None:
        submitted[command.command_id] = time.perf_counter()
        record = await engine.submit(command)
        if record.status is not OrderStatus.SENT_TO_BROKER or not record.broker_order_id:
            raise RuntimeError(f"order {command.command_id} did not reach ACCEPTED: {record}")

    await in_desks(commands, concurrency, submit)


async def run_engine(path: Path, orders: int, concurrency: int, kind: BrokerKind) -> EngineRun:
    """N orders through steps 1-5, then one watcher pass taking them all to EXECUTED."""
    runtime, broker = build_runtime(path, kind)
    await runtime.start()
    commands = [entry_ticket(index) for index in range(orders)]
    submitted: dict[str, float] = {}
    try:
        started = time.perf_counter()
        await submit_all(runtime.engine, commands, concurrency, submitted)
        steps_done = time.perf_counter()
        poll = await runtime.watcher.poll_once()
        finished = time.perf_counter()
    finally:
        await runtime.stop()
    if not poll.ok:
        raise RuntimeError(f"the watcher's pass failed: {poll.error}")
    executed, transitions = count_rows(path)
    latencies = tuple(broker.reached[tag] - at for tag, at in submitted.items())
    return EngineRun(
        orders=orders,
        concurrency=concurrency,
        steps_s=steps_done - started,
        watcher_s=finished - steps_done,
        broker_s=sum(broker.call_s),
        latencies_s=latencies,
        executed=executed,
        transitions=transitions,
    )


def count_rows(path: Path) -> tuple[int, int]:
    """EXECUTED orders and transition rows, read back from the file after the engine stopped."""
    connection = sqlite3.connect(path)
    try:
        (executed,) = connection.execute(
            "SELECT count(*) FROM orders WHERE status = ?", (OrderStatus.EXECUTED.value,)
        ).fetchone()
        (transitions,) = connection.execute("SELECT count(*) FROM order_transitions").fetchone()
    finally:
        connection.close()
    return int(executed), int(transitions)


@dataclass(frozen=True, slots=True)
class Round:
    raw: PhaseTimes
    core: PhaseTimes
    engines: tuple[EngineRun, ...]


def run_round(folder: Path, number: int, options: argparse.Namespace) -> Round:
    """References and engine runs back to back, so they share the machine's mood."""
    raw = raw_sqlite(folder / f"raw{number}.sqlite3", options.orders)
    core = sqlalchemy_core(folder / f"core{number}.sqlite3", options.orders)
    engines = tuple(
        asyncio.run(
            run_engine(
                folder / f"engine{number}k{level}.sqlite3", options.orders, level, options.broker
            )
        )
        for level in options.concurrency
    )
    return Round(raw, core, engines)


def rate(orders: int, seconds: float) -> float:
    return orders / seconds if seconds > 0 else float("inf")


def summarise(rounds: Sequence[Round], options: argparse.Namespace) -> dict[str, Any]:
    """Medians over rounds; every ratio is taken within a round, then its median reported."""
    return {
        "benchmark": "order_throughput",
        "machine": machine(),
        "orders": options.orders,
        "rounds": len(rounds),
        "broker": options.broker,
        "target_ratio": TARGET_RATIO,
        "raw": _phase_rates([r.raw for r in rounds]),
        "core": _phase_rates([r.core for r in rounds]),
        "engine": [
            _engine_figures(rounds, index, level) for index, level in enumerate(options.concurrency)
        ],
    }


def _engine_figures(rounds: Sequence[Round], index: int, level: int) -> dict[str, Any]:
    """One concurrency level: rates, ratios to both references, latency, the broker's share."""
    pairs = [(r.raw, r.core, r.engines[index]) for r in rounds]
    runs = [engine for _, _, engine in pairs]
    latencies = [value for run in runs for value in run.latencies_s]
    return {
        "concurrency": level,
        **_phase_rates(runs),
        "ratio_to_raw": median([raw.total_s / run.total_s for raw, _, run in pairs]),
        "steps_ratio_to_raw": median([raw.steps_s / run.steps_s for raw, _, run in pairs]),
        "watcher_ratio_to_raw": median([raw.watcher_s / run.watcher_s for raw, _, run in pairs]),
        "ratio_to_core": median([core.total_s / run.total_s for _, core, run in pairs]),
        "steps_us_per_order": median([run.steps_s / run.orders * 1e6 for run in runs]),
        "watcher_us_per_order": median([run.watcher_s / run.orders * 1e6 for run in runs]),
        "broker_share_of_steps": median([run.broker_s / run.steps_s for run in runs]),
        "latency_p50_ms": percentile(latencies, 0.50) * 1000,
        "latency_p99_ms": percentile(latencies, 0.99) * 1000,
        "durable": all(run.durable for run in runs),
    }


def _phase_rates(runs: Sequence[PhaseTimes | EngineRun]) -> dict[str, float]:
    """Orders/s for the whole path, for steps 1-5 and for the watcher's pass (medians)."""
    return {
        "orders_per_s": median([rate(run.orders, run.total_s) for run in runs]),
        "steps_per_s": median([rate(run.orders, run.steps_s) for run in runs]),
        "watcher_per_s": median([rate(run.orders, run.watcher_s) for run in runs]),
    }


def table(report: dict[str, Any]) -> list[tuple[str, str]]:
    raw, core, target = report["raw"], report["core"], report["target_ratio"]
    rows = [
        (
            "orders",
            f"{report['orders']:,} per run, {report['rounds']} round(s), medians; "
            f"broker: {report['broker']}",
        ),
        ("raw sqlite3 (reference)", _rates(raw)),
        (
            "SQLAlchemy Core (reference)",
            f"{_rates(core)}   {core['orders_per_s'] / raw['orders_per_s']:.2f} of raw",
        ),
    ]
    for run in report["engine"]:
        met = "met" if run["ratio_to_raw"] >= target else "MISSED"
        rows += [
            (f"engine, {run['concurrency']} in flight", _rates(run)),
            (
                "  ratio to raw",
                f"{run['ratio_to_raw']:.2f} (target >= {target:.2f}: {met}); "
                f"steps 1-5 {run['steps_ratio_to_raw']:.2f}, "
                f"watcher {run['watcher_ratio_to_raw']:.2f}; to Core {run['ratio_to_core']:.2f}",
            ),
            (
                "  per order",
                f"steps 1-5 {run['steps_us_per_order']:,.0f} us, "
                f"watcher pass {run['watcher_us_per_order']:,.0f} us; broker's own time "
                f"{run['broker_share_of_steps']:.0%} of steps 1-5",
            ),
            (
                "  submit -> broker call",
                f"p50 {run['latency_p50_ms']:.2f} ms, p99 {run['latency_p99_ms']:.2f} ms",
            ),
            ("  every transition durable", "yes" if run["durable"] else "NO: rows missing"),
        ]
    return rows


def _rates(figures: dict[str, float]) -> str:
    return (
        f"{figures['orders_per_s']:>8,.0f} orders/s   (steps 1-5 {figures['steps_per_s']:,.0f}/s, "
        f"watcher pass {figures['watcher_per_s']:,.0f}/s)"
    )


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders per run (CI: 200)")
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[1, 8],
        help="tickets in flight; one engine run per value (default: 1 8)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="repeat and report medians")
    parser.add_argument(
        "--broker",
        choices=("paper", "stub"),
        default="paper",
        help="paper (default) or a stub that costs nothing, to see the engine alone",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser.parse_args(argv)


def measure(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the rounds and return the report, printing nothing (run_all and tests call this)."""
    options = parse(argv)
    with tempfile.TemporaryDirectory(prefix="trader-gui-bench-") as folder:
        rounds = [run_round(Path(folder), number, options) for number in range(options.rounds)]
    return summarise(rounds, options)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Measure, print (a table, or JSON with --json), and return the report."""
    report = measure(argv)
    emit(report, parse(argv).json, table(report))
    return report


if __name__ == "__main__":
    result = main()
    raise SystemExit(0 if all(run["durable"] for run in result["engine"]) else 1)
