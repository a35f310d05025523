"""Closing the window: the trader confirms when orders are open; then nothing is left behind."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from PySide6.QtCore import QSettings, Qt
from ui_support import TerminalFactory, submit, type_ticket, wait_for

from trader_gui.domain.enums import OrderStatus


def test_close_asks_about_open_orders_then_leaves_no_task_and_no_thread(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, terminals: TerminalFactory
) -> None:
    threads_before = set(threading.enumerate())
    terminal = terminals.open()
    window = terminal.window
    type_ticket(
        qtbot, terminal.entry, symbol="SBIN", quantity="1", order_type="LIMIT", price="820.00"
    )
    open_order = submit(qtbot, terminal.entry)
    assert open_order.status is OrderStatus.SENT_TO_BROKER
    assert any(t.name.startswith("trader-") for t in threading.enumerate())

    window.close()
    wait_for(qtbot, lambda: window.dialog is not None and window.dialog.isVisible())
    assert window.dialog.text() == "1 order is still open at the broker."
    keep = window.dialog.buttons()[1]
    assert keep.text() == "Keep the window open"
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: window.dialog is None)
    assert window.isVisible()
    assert not window.shutdown_done.is_set()

    window.close()
    wait_for(qtbot, lambda: window.dialog is not None and window.dialog.isVisible())
    with qtbot.waitSignal(window.shut_down, timeout=10_000):
        qtbot.mouseClick(window.dialog.buttons()[0], Qt.MouseButton.LeftButton)
    terminal.closed = True

    wait_for(qtbot, lambda: not window.isVisible())
    assert [task for task in asyncio.all_tasks(qloop) if not task.done()] == []
    wait_for(qtbot, lambda: not [t for t in threading.enumerate() if t.name.startswith("trader-")])
    assert set(threading.enumerate()) <= threads_before

    layout = QSettings(str(terminal.paths.config_dir / "window.ini"), QSettings.Format.IniFormat)
    assert layout.value("geometry") is not None
    assert layout.value("state") is not None


def test_close_without_open_orders_does_not_ask(qtbot: Any, terminals: TerminalFactory) -> None:
    terminal = terminals.open()
    window = terminal.window
    with qtbot.waitSignal(window.shut_down, timeout=10_000):
        window.close()
    terminal.closed = True
    assert window.dialog is None
    wait_for(qtbot, lambda: not window.isVisible())

    again = terminals.open()  # the saved layout is read back
    assert again.window.docks.orders.isVisible()
