"""Helpers for the window tests: a terminal (window + runtime + paper broker) and a ticket
typed as a trader types it. The Qt platform and the binding guard are set up by conftest."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from clocks import FakeClock
from PySide6.QtCore import Qt

from trader_gui.brokers.paper import PaperBroker
from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.domain.enums import Side
from trader_gui.domain.market_calendar import MarketCalendar
from trader_gui.domain.market_time import utc_now
from trader_gui.domain.order import OrderRecord
from trader_gui.engine.assembly import engine_config, load_catalog, open_repository
from trader_gui.engine.intake_config import intake_config_from
from trader_gui.engine.runtime import Runtime
from trader_gui.paths import AppPaths
from trader_gui.persistence.database import sqlite_url
from trader_gui.settings import Settings
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.main_window import MainWindow
from trader_gui.ui.order_entry import OrderEntryPanel

CATALOG = load_catalog()
OPTION = "NIFTY01DEC2625500CE"
"""A NIFTY option: lot 65, tick 0.05."""
TEST_SETTINGS = Settings(
    poll_interval_s=0.05,
    broker_timeout_s=5.0,
    confirm_above_value=None,
    daily_loss_limit=Decimal("25000"),
    default_strategy="manual",
)
PAPER = PaperConfig(fill_latency_s=0.0, volatility=0.0, ack_latency_s=0.0)
"""Fills on the first poll after the order is placed; prices move only when a test says."""


def run(qtbot: Any, coroutine: Coroutine[Any, Any, Any], timeout: int = 10_000) -> Any:
    """Run a coroutine on the test's loop while Qt processes events; its result."""
    task = asyncio.get_event_loop().create_task(coroutine)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@dataclass
class Terminal:
    """One window over one runtime, on files that survive a rebuild."""

    paths: AppPaths
    settings: Settings
    runtime: Runtime
    broker: PaperBroker
    bridge: EngineBridge
    window: MainWindow
    closed: bool = False

    @property
    def entry(self) -> OrderEntryPanel:
        return self.window.entry

    def record(self, command_id: str) -> OrderRecord | None:
        return self.window.orders.model.get(command_id)


@dataclass
class TerminalFactory:
    qtbot: Any
    root: Path
    opened: list[Terminal] = field(default_factory=list)

    def open(
        self,
        *,
        clock: FakeClock | None = None,
        calendar: MarketCalendar | None = None,
        start: bool = True,
        **settings_changes: Any,
    ) -> Terminal:
        """A terminal on the real clock and no calendar (every hour open, so no test depends
        on when it runs), unless a test gives a clock and a calendar: then the engine keeps
        the market's hours and the paper broker is in session mode. A FakeClock moves the
        engine's wall and monotonic clocks, so deadlines pass without waiting.
        With `start=False` the window is shown but its engine not started."""
        paths = AppPaths.under(self.root)
        paths.ensure()
        settings = replace(TEST_SETTINGS, **settings_changes)
        config = engine_config(settings, settings.client_id)
        repository = open_repository(sqlite_url(paths.database_file))
        broker = PaperBroker(
            CATALOG,
            state_path=paths.paper_broker_file,
            client_id=settings.client_id,
            config=PAPER,
            **({"clock": clock} if clock is not None else {}),
            calendar=calendar,
        )
        runtime = Runtime(
            repository=repository,
            broker=broker,
            catalog=CATALOG,
            config=config,
            intake=intake_config_from(settings),  # off unless a test sets intake_port
            calendar=calendar,
            clock=clock or utc_now,
            monotonic=clock.monotonic if clock is not None else time.monotonic,
        )
        bridge = EngineBridge(runtime)
        window = MainWindow(bridge, settings, paths=paths, config_path=paths.config_file)
        terminal = Terminal(paths, settings, runtime, broker, bridge, window)
        self.opened.append(terminal)
        window.show()
        if start:
            window.start()
            self.qtbot.waitUntil(lambda: bridge.is_ready, timeout=10_000)
        return terminal

    def close(self, terminal: Terminal) -> None:
        """Shut the window down as the trader's close does (no open-orders question)."""
        if not terminal.closed:
            run(self.qtbot, terminal.window.shutdown())
            terminal.window.close()
            terminal.window.deleteLater()
            terminal.closed = True


def type_ticket(
    qtbot: Any,
    entry: OrderEntryPanel,
    *,
    symbol: str,
    quantity: str,
    side: Side = Side.BUY,
    order_type: str = "MARKET",
    price: str | None = None,
    trigger: str | None = None,
    unit: str | None = None,
    execution: str = "ENTRY",
    strategy: str | None = None,
) -> None:
    """Fill the form as a trader does: keys into the fields, clicks on the choices."""
    entry.clear()
    qtbot.mouseClick(
        entry.buy_button if side is Side.BUY else entry.sell_button, Qt.MouseButton.LeftButton
    )
    qtbot.keyClicks(entry.symbol, symbol)
    entry.completer.popup().hide()
    if unit is not None:
        entry.unit.setCurrentText(unit)
    qtbot.keyClicks(entry.quantity, quantity)
    entry.order_type.setCurrentText(order_type)
    if price is not None:
        qtbot.keyClicks(entry.price, price)
    if trigger is not None:
        qtbot.keyClicks(entry.trigger, trigger)
    entry.execution.setCurrentText(execution)
    if strategy is not None:
        entry.strategy.clear()
        qtbot.keyClicks(entry.strategy, strategy)


def submit(qtbot: Any, entry: OrderEntryPanel, timeout: int = 10_000) -> OrderRecord:
    """Click the send button and wait for the ticket's outcome (after step 5 or its block)."""
    assert entry.submit_button.isEnabled(), (entry.form_hint.text(), entry.errors)
    with qtbot.waitSignal(entry.submitted, timeout=timeout) as blocker:
        qtbot.mouseClick(entry.submit_button, Qt.MouseButton.LeftButton)
    record = blocker.args[0]
    assert isinstance(record, OrderRecord)
    return record


def wait_for(qtbot: Any, condition: Callable[[], Any], timeout: int = 10_000) -> None:
    qtbot.waitUntil(lambda: bool(condition()), timeout=timeout)


def turn_on(qtbot: Any, terminal: Terminal) -> None:
    """Click the kill switch and confirm, as the trader does; wait until it is on."""
    from PySide6.QtWidgets import QMessageBox

    control = terminal.window.kill_switch
    qtbot.mouseClick(control.button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: control.dialog is not None and control.dialog.isVisible())
    box = control.dialog
    assert isinstance(box, QMessageBox)
    assert "Every new ENTRY order will be blocked" in box.informativeText()
    qtbot.mouseClick(box.defaultButton(), Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: control.state.active)
