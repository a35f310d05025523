"""Screenshots of the real window over the paper broker, for the docs.

    xvfb-run -a -s "-screen 0 1600x1000x24" python packaging/screenshots.py docs/screenshots

Starts the window on a throwaway data folder, types a few tickets into the order form (two
that execute, one LIMIT that stays open, one blocked by the kill switch), waits until the
window shows them, saves `main.png` and one picture per important panel, and exits cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from trader_gui.ui.qt_guard import ensure_safe_refcounts

ensure_safe_refcounts()

import qasync  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from trader_gui.domain.enums import OrderStatus, Side  # noqa: E402
from trader_gui.domain.order import OrderRecord  # noqa: E402
from trader_gui.engine.assembly import LaunchOptions, build_runtime  # noqa: E402
from trader_gui.paths import AppPaths  # noqa: E402
from trader_gui.settings import Settings  # noqa: E402
from trader_gui.ui.bridge import EngineBridge  # noqa: E402
from trader_gui.ui.main_window import MainWindow  # noqa: E402
from trader_gui.ui.order_entry import OrderEntryPanel  # noqa: E402

WIDTH, HEIGHT = 1600, 1000
OPTION = "NIFTY01DEC2625500CE"


async def until(condition: Callable[[], object], timeout_s: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("the window did not get there in time")
        await asyncio.sleep(0.05)


async def place(entry: OrderEntryPanel, **ticket: str) -> OrderRecord:
    """Fill the form as a trader would and send it; the record after step 5."""
    entry.clear()
    entry.set_side(Side(ticket.get("side", "BUY")))
    entry.symbol.setText(ticket["symbol"])
    entry.completer.popup().hide()
    entry.quantity.setText(ticket["quantity"])
    entry.order_type.setCurrentText(ticket.get("order_type", "MARKET"))
    entry.price.setText(ticket.get("price", ""))
    entry.execution.setCurrentText(ticket.get("execution", "ENTRY"))
    entry.strategy.setText(ticket.get("strategy", "manual"))
    outcome: asyncio.Future[OrderRecord] = asyncio.get_running_loop().create_future()

    def done(record: OrderRecord) -> None:
        if not outcome.done():
            outcome.set_result(record)

    entry.submitted.connect(done)
    try:
        await until(entry.submit_button.isEnabled)
        entry.submit()
        return await asyncio.wait_for(outcome, 20)
    finally:
        entry.submitted.disconnect(done)


def grab(widget: QWidget, path: Path) -> None:
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"wrote {path}")


async def shoot(window: MainWindow, out: Path) -> None:
    bridge, entry = window.bridge, window.entry
    window.start()
    await until(lambda: bridge.is_ready)
    await until(lambda: window.pnl.chart_built)

    option = await place(entry, symbol=OPTION, quantity="2", strategy="nifty-scalp")
    await place(entry, symbol="SBIN", quantity="150", strategy="banks")
    await place(entry, symbol="INFY", quantity="40", side="SELL", strategy="it-pair")
    waiting = await place(
        entry, symbol="RELIANCE", quantity="25", order_type="LIMIT", price="1420.00"
    )
    await until(lambda: window.orders.model.get(waiting.command_id).broker_status == "OPEN")
    await until(
        lambda: all(
            window.orders.model.get(r.command_id).status is OrderStatus.EXECUTED for r in (option,)
        )
    )
    await bridge.set_kill_switch(True, reason="end of session")
    await until(lambda: window.kill_switch.state.active)
    await place(entry, symbol="TCS", quantity="10", strategy="it-pair")
    await asyncio.sleep(4)  # a few seconds of P&L on the chart

    entry.clear()
    entry.set_side(Side.SELL)
    entry.symbol.setText(OPTION)
    entry.completer.popup().hide()
    entry.quantity.setText("2")
    entry.execution.setCurrentText("EXIT")
    entry.strategy.setText("nifty-scalp")
    window.orders.select(option.command_id)
    await until(lambda: len(window.lifecycle.steps()) >= 4)
    await asyncio.sleep(0.3)
    QApplication.processEvents()

    grab(window, out / "main.png")
    for name, dock in (
        ("order-entry", window.docks.entry),
        ("orders", window.docks.orders),
        ("lifecycle", window.docks.lifecycle),
        ("blockers", window.docks.blockers),
        ("pnl", window.docks.pnl),
    ):
        grab(dock, out / f"{name}.png")

    entry.unit.setCurrentText("units")
    entry.quantity.setText("70")
    entry.submit()  # shows every problem, sends nothing
    QApplication.processEvents()
    grab(window.docks.entry, out / "order-entry-invalid.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory(prefix="trader-gui-shots-") as folder:
        paths = AppPaths.under(Path(folder))
        settings = replace(
            Settings(),
            poll_interval_s=0.3,
            theme=args.theme,
            confirm_above_value=None,
            daily_loss_limit=Decimal("25000"),
        )
        runtime = build_runtime(settings, paths, LaunchOptions())
        bridge = EngineBridge(runtime)
        window = MainWindow(bridge, settings, paths=paths, config_path=paths.config_file)
        window.resize(WIDTH, HEIGHT)
        window.show()

        async def run() -> None:
            try:
                await shoot(window, args.out)
            finally:
                await window.shutdown()
                window.close()

        try:
            loop.run_until_complete(run())
        finally:
            loop.close()
            asyncio.set_event_loop(None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
