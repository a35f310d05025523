"""Settings apply without a restart where they can; large orders ask first; errors reach the
trader as sentences."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from ui_support import Terminal, TerminalFactory, submit, type_ticket, wait_for

from trader_gui.engine.events import Level, Notice
from trader_gui.settings import load_settings


def test_settings_are_saved_and_applied_at_once(qtbot: Any, terminal: Terminal) -> None:
    window = terminal.window
    dialog = window.open_settings()
    dialog.confirm_above.setText("50000")
    dialog.loss_limit.setText("abc")
    dialog.save()
    assert dialog.error.isVisible()
    assert "Daily loss limit must be an amount above zero" in dialog.error.text()
    assert dialog.loss_limit.property("invalid") is True

    dialog.loss_limit.setText("10000")
    dialog.theme.setCurrentText("dark")
    dialog.poll.setValue(2.0)
    dialog.shortcut_edits["buy_ticket"].setKeySequence(QKeySequence("F5"))
    dialog.save()

    saved = load_settings(terminal.paths.config_file)
    assert saved.confirm_above_value == Decimal("50000")
    assert saved.daily_loss_limit == Decimal("10000")
    assert saved.theme == "dark"
    assert saved.shortcuts["buy_ticket"] == "F5"
    assert terminal.bridge.daily_loss_limit == Decimal("10000")
    assert window.buy_action.shortcut().toString() == "F5"
    assert window.theme.base == "#121417"
    assert "poll interval change applies on restart" in window.status.currentMessage()


def test_a_large_order_asks_first_and_can_be_called_off(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    terminal = terminals.open(confirm_above_value=Decimal("5000"))
    entry = terminal.entry
    type_ticket(qtbot, entry, symbol="SBIN", quantity="10", order_type="LIMIT", price="965.00")
    assert entry.value_label.text() == "Order value ≈ 9,650.00 · asks to confirm"

    qtbot.mouseClick(entry.submit_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: entry.confirmation is not None and entry.confirmation.isVisible())
    box = entry.confirmation
    assert "Order value ≈ 9,650.00" in box.text()
    qtbot.mouseClick(box.buttons()[1], Qt.MouseButton.LeftButton)  # Don't send
    wait_for(qtbot, lambda: entry.result.text() == "Not sent: you cancelled the confirmation.")
    assert terminal.broker.order_book() == []

    qtbot.mouseClick(entry.submit_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: entry.confirmation is not None and entry.confirmation.isVisible())
    with qtbot.waitSignal(entry.submitted, timeout=10_000):
        qtbot.mouseClick(entry.confirmation.buttons()[0], Qt.MouseButton.LeftButton)
    assert len(terminal.broker.order_book()) == 1


def test_small_orders_go_without_a_question(qtbot: Any, terminals: TerminalFactory) -> None:
    terminal = terminals.open(confirm_above_value=Decimal("5000"))
    type_ticket(qtbot, terminal.entry, symbol="SBIN", quantity="2")
    record = submit(qtbot, terminal.entry)
    assert record.command.quantity == 2
    assert terminal.entry.confirmation is None


def test_an_error_notice_opens_a_dialog_that_does_not_block(qtbot: Any, terminal: Terminal) -> None:
    window = terminal.window
    text = "EXIT order X1 for SBIN FAILED: rejected. Your position may still be open."
    terminal.runtime.events.emit(Notice(Level.ERROR, text))
    box = window.error_box
    assert box is not None
    assert box.isVisible()
    assert not box.isModal()
    assert box.text() == text
    assert window.status.currentMessage() == text
    wait_for(qtbot, lambda: any(text in line for line in window.log_panel.lines()))

    terminal.runtime.events.emit(Notice(Level.ERROR, "second problem"))
    assert box.text().endswith("second problem")

    window.show_internal_error("ValueError: boom")
    assert "Something went wrong inside the program: ValueError: boom" in box.text()
    assert "Traceback" not in box.text()


def test_warnings_reach_the_status_bar_and_the_log(qtbot: Any, terminal: Terminal) -> None:
    window = terminal.window
    terminal.runtime.events.emit(Notice(Level.WARNING, "Broker session expired: logging in again."))
    assert window.status.currentMessage() == "Broker session expired: logging in again."
    assert window.error_box is None
    wait_for(qtbot, lambda: window.status.poll.text().startswith("Last poll"))
    assert window.status.connection.text() == "● paper · connected"
