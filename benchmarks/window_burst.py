"""The window under a burst: N orders back to back until the orders table shows each final.

Why: the engine's speed is worthless to the trader if the window falls behind it or freezes
while orders pour in. The orders go through `EngineBridge.submit`, the order form's path, one
after the other (each returns after step 5), with the real `MainWindow` open offscreen; the
clock stops when the orders panel's model holds every one of them EXECUTED or FAILED. A 5 ms
heartbeat timer on the window's thread records the gaps of the Qt event loop meanwhile.

Reference, in the same run and at the same size: the same Runtime and the same path
(`submit_ticket`, then `poll_soon` as the bridge does) on a plain asyncio loop with no
window, timed until the engine has emitted every order final. The ratio window / engine is
the window's overhead. Targets: 2,000 orders in under 1 s, time per order flat across
sizes, no loop stall over 50 ms.

    python -m benchmarks.window_burst [--sizes 500 1000 2000 5000] [--poll 1.0] [--in-flight 1]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import emit, entry_ticket, in_desks, machine
from benchmarks.window_support import (
    STALL_TARGET_MS,
    Heartbeat,
    QtHost,
    build_runtime,
    open_window,
)
from trader_gui.app import start_file_logging, stop_file_logging
from trader_gui.domain.enums import OrderStatus
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.engine.events import Event, OrderUpdated
from trader_gui.paths import AppPaths
from trader_gui.ui.gui_thread_gc import GuiThreadCollector

TARGET_2000_S = 1.0


@dataclass(frozen=True, slots=True)
class Burst:
    """One burst: seconds to submit all (steps 1-5) and until all were final."""

    orders: int
    submit_s: float
    total_s: float
    executed: int
    final: int
    heartbeat: dict[str, float] | None = None

    @property
    def complete(self) -> bool:
        """Every order shown (or emitted) final and EXECUTED: the correctness check."""
        return self.final == self.orders and self.executed == self.orders


def deadline(orders: int) -> float:
    return 60.0 + orders * 0.1


async def engine_burst(
    folder: Path, orders: int, poll_interval_s: float, in_flight: int = 1
) -> Burst:
    """The reference: the bridge's path on the Runtime alone, no window, no Qt."""
    paths = AppPaths.under(folder)
    runtime, _ = build_runtime(paths, poll_interval_s)
    listener = start_file_logging(paths)
    commands = [entry_ticket(index) for index in range(orders)]
    wanted = {command.command_id for command in commands}
    final: dict[str, OrderRecord] = {}
    finished = asyncio.get_running_loop().create_future()

    def on_event(event: Event) -> None:
        if (
            isinstance(event, OrderUpdated)
            and event.record.command_id in wanted
            and event.record.status.is_terminal
        ):
            final[event.record.command_id] = event.record
            if len(final) == orders and not finished.done():
                finished.set_result(time.perf_counter())

    unsubscribe = runtime.events.subscribe(on_event)
    try:
        await runtime.start()
        started = time.perf_counter()

        async def submit(command: OrderCommand) -> None:
            await runtime.engine.submit_ticket(command)
            runtime.watcher.poll_soon()

        await in_desks(commands, in_flight, submit)
        submitted = time.perf_counter()
        ended = await asyncio.wait_for(finished, deadline(orders))
    finally:
        unsubscribe()
        await runtime.stop()
        stop_file_logging(listener)
    executed = sum(1 for record in final.values() if record.status is OrderStatus.EXECUTED)
    return Burst(orders, submitted - started, ended - started, executed, len(final))


async def window_burst(
    folder: Path,
    orders: int,
    poll_interval_s: float,
    collector: GuiThreadCollector | None = None,
    in_flight: int = 1,
) -> Burst:
    """The burst through the bridge with the window open, until its table shows all final."""
    async with open_window(folder, poll_interval_s=poll_interval_s, collector=collector) as session:
        model = session.window.orders.model
        commands = [entry_ticket(index) for index in range(orders)]
        wanted = {command.command_id for command in commands}
        final: set[str] = set()
        finished = asyncio.get_running_loop().create_future()

        def check(*_: object) -> None:
            """After any change of the table: are the burst's orders all shown final?"""
            for command_id in wanted - final:
                shown = model.get(command_id)
                if shown is not None and shown.status.is_terminal:
                    final.add(command_id)
            if len(final) == orders and not finished.done():
                finished.set_result(time.perf_counter())

        pending_check = False

        def changed(*_: object) -> None:
            nonlocal pending_check
            if not pending_check:  # one check per loop turn, not one per row
                pending_check = True
                asyncio.get_running_loop().call_soon(run_check)

        def run_check() -> None:
            nonlocal pending_check
            pending_check = False
            check()

        model.dataChanged.connect(changed)
        model.rowsInserted.connect(changed)
        heartbeat = Heartbeat()
        heartbeat.start()
        started = time.perf_counter()
        await in_desks(commands, in_flight, session.bridge.submit)
        submitted = time.perf_counter()
        ended = await asyncio.wait_for(finished, deadline(orders))
        heartbeat.stop()
        shown = [model.get(command_id) for command_id in wanted]
        executed = sum(
            1 for record in shown if record is not None and record.status is OrderStatus.EXECUTED
        )
        return Burst(
            orders, submitted - started, ended - started, executed, len(final), heartbeat.figures()
        )


def measure(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Reference and window at each size, back to back; returns the report, prints nothing."""
    options = parse(argv)
    host = QtHost()
    runs: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="trader-gui-bench-") as folder:
            for size in options.sizes:
                engine = asyncio.run(
                    engine_burst(
                        Path(folder) / f"engine{size}", size, options.poll, options.in_flight
                    )
                )
                window = host.run(
                    window_burst(
                        Path(folder) / f"window{size}",
                        size,
                        options.poll,
                        host.collector,
                        options.in_flight,
                    )
                )
                runs.append(_figures(engine, window))
    finally:
        host.close()
    base = runs[0]["window_us_per_order"]
    engine_base = runs[0]["engine_us_per_order"]
    for run in runs:
        run["window_linearity"] = run["window_us_per_order"] / base
        run["engine_linearity"] = run["engine_us_per_order"] / engine_base
    return {
        "benchmark": "window_burst",
        "machine": machine(),
        "poll_interval_s": options.poll,
        "in_flight": options.in_flight,
        "stall_target_ms": STALL_TARGET_MS,
        "runs": runs,
        "complete": all(run["complete"] for run in runs),
    }


def _figures(engine: Burst, window: Burst) -> dict[str, Any]:
    heartbeat = window.heartbeat or {}
    return {
        "orders": window.orders,
        "engine_s": engine.total_s,
        "engine_submit_s": engine.submit_s,
        "window_s": window.total_s,
        "window_submit_s": window.submit_s,
        "ratio_window_to_engine": window.total_s / engine.total_s,
        "engine_us_per_order": engine.total_s / engine.orders * 1e6,
        "window_us_per_order": window.total_s / window.orders * 1e6,
        **heartbeat,
        "complete": engine.complete and window.complete,
        "shown_final": window.final,
        "shown_executed": window.executed,
    }


def table(report: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [
        (
            "burst",
            f"orders back to back through EngineBridge.submit, {report['in_flight']} in flight; "
            f"poll {report['poll_interval_s']} s",
        )
    ]
    for run in report["runs"]:
        n = run["orders"]
        rows += [
            (
                f"{n:,} orders: window",
                f"{run['window_s']:.2f} s ({run['window_us_per_order']:,.0f} us/order, "
                f"x{run['window_linearity']:.2f} of the first size); submits {run['window_submit_s']:.2f} s",
            ),
            (
                "  engine alone (reference)",
                f"{run['engine_s']:.2f} s ({run['engine_us_per_order']:,.0f} us/order, "
                f"x{run['engine_linearity']:.2f}); ratio window/engine "
                f"{run['ratio_window_to_engine']:.2f}",
            ),
            (
                "  loop stalls",
                f"p99 {run['stall_p99_ms']:.1f} ms, max {run['stall_max_ms']:.1f} ms, "
                f"{run['stalls_over_target']} over {report['stall_target_ms']:.0f} ms "
                f"({run['ticks']} ticks)",
            ),
            (
                "  every order shown final",
                "yes"
                if run["complete"]
                else f"NO: {run['shown_final']} final, {run['shown_executed']} EXECUTED",
            ),
        ]
        if n == 2000:
            met = "met" if run["window_s"] < TARGET_2000_S else "missed"
            rows.append(("  target < 1 s for 2,000", met))
    return rows


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[500, 1000, 2000, 5000],
        help="orders per burst; the first is the base of the linearity ratio",
    )
    parser.add_argument(
        "--poll", type=float, default=1.0, help="the watcher's poll interval (default 1.0 s)"
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        default=1,
        help="tickets in flight at once: 1 is the order form's way (default), more the intake's",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    report = measure(argv)
    emit(report, parse(argv).json, table(report))
    return report


if __name__ == "__main__":
    raise SystemExit(0 if main()["complete"] else 1)
