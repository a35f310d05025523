"""The trader's keys: F1/F2 open a buy or sell ticket, Enter sends it, Esc clears it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from ui_support import Terminal, type_ticket, wait_for

from trader_gui.domain.enums import OrderStatus, Side


def test_f_keys_enter_and_escape(qtbot: Any, terminal: Terminal) -> None:
    window = terminal.window
    entry = terminal.entry
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)

    qtbot.keyClick(window, Qt.Key.Key_F2)
    assert entry.side is Side.SELL
    assert entry.symbol.hasFocus()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert entry.side is Side.BUY

    type_ticket(qtbot, entry, symbol="SBIN", quantity="3")
    entry.quantity.setFocus()
    with qtbot.waitSignal(entry.submitted, timeout=10_000) as sent:
        qtbot.keyClick(entry.quantity, Qt.Key.Key_Return)
    record = sent.args[0]
    assert record.command.quantity == 3
    assert record.status in (OrderStatus.SENT_TO_BROKER, OrderStatus.EXECUTED)  # sent
    wait_for(qtbot, lambda: window.orders.selected() is not None)
    assert window.orders.selected().command_id == record.command_id

    entry.quantity.setFocus()
    qtbot.keyClick(entry.quantity, Qt.Key.Key_Escape)
    assert entry.symbol.text() == ""
    assert entry.quantity.text() == ""
    assert entry.result.text() == ""
    assert not entry.submit_button.isEnabled()
