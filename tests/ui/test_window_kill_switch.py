"""The kill switch from the window: confirm to turn on, blocks entries, lets exits go,
survives a restart, and needs UNLOCK to turn off."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from ui_support import Terminal, TerminalFactory, submit, turn_on, type_ticket, wait_for

from trader_gui.domain.enums import OrderStatus, Side, Tag
from trader_gui.ui.kill_switch import UnlockDialog


def test_kill_switch_blocks_entries_lets_exits_through_and_survives_restart(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    terminal = terminals.open()
    turn_on(qtbot, terminal)
    window = terminal.window
    assert window.windowTitle().endswith("KILL SWITCH ON")
    assert window.status.kill_switch.text() == "KILL SWITCH ON"
    assert window.kill_switch.button.property("state") == "on"

    type_ticket(qtbot, terminal.entry, symbol="SBIN", quantity="1")
    blocked = submit(qtbot, terminal.entry)
    assert blocked.status is OrderStatus.FAILED
    assert blocked.tag is Tag.KILL_SWITCH_ACTIVE
    assert window.blockers.counts[Tag.KILL_SWITCH_ACTIVE] == 1
    assert window.blockers.model.record(0).command_id == blocked.command_id
    assert "no new ENTRY orders; EXIT orders and cancels still go" in blocked.detail

    type_ticket(
        qtbot, terminal.entry, symbol="SBIN", quantity="1", side=Side.SELL, execution="EXIT"
    )
    exit_order = submit(qtbot, terminal.entry)
    assert exit_order.status in (OrderStatus.SENT_TO_BROKER, OrderStatus.EXECUTED)  # not blocked
    wait_for(qtbot, lambda: terminal.record(exit_order.command_id).status is OrderStatus.EXECUTED)

    terminals.close(terminal)
    again = terminals.open()

    control = again.window.kill_switch
    wait_for(qtbot, lambda: control.state.active)
    assert again.window.windowTitle().endswith("KILL SWITCH ON")
    assert again.window.blockers.counts[Tag.KILL_SWITCH_ACTIVE] == 1


def test_turning_off_needs_the_word_unlock(qtbot: Any, terminal: Terminal) -> None:
    turn_on(qtbot, terminal)
    control = terminal.window.kill_switch

    control.request_toggle()
    wait_for(qtbot, lambda: isinstance(control.dialog, UnlockDialog) and control.dialog.isVisible())
    dialog = control.dialog
    assert isinstance(dialog, UnlockDialog)
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.word, "unlock")
    assert not dialog.ok_button.isEnabled()
    dialog.word.clear()
    qtbot.keyClicks(dialog.word, "UNLOCK")
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    wait_for(qtbot, lambda: not control.state.active)
    assert not terminal.window.windowTitle().endswith("KILL SWITCH ON")
    assert terminal.window.status.kill_switch.text() == "Kill switch off"


def test_the_shortcut_asks_before_turning_on(qtbot: Any, terminal: Terminal) -> None:
    window = terminal.window
    assert window.kill_action.shortcut().toString() == "Ctrl+Shift+K"
    window.kill_action.trigger()
    control = window.kill_switch
    wait_for(qtbot, lambda: control.dialog is not None and control.dialog.isVisible())
    box = control.dialog
    assert isinstance(box, QMessageBox)
    box.button(QMessageBox.StandardButton.NoButton)
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    wait_for(qtbot, lambda: control.dialog is None)
    assert not control.state.active


def test_kill_and_flatten_squares_off_through_the_window(qtbot: Any, terminal: Terminal) -> None:
    type_ticket(qtbot, terminal.entry, symbol="SBIN", quantity="5", strategy="banks")
    bought = submit(qtbot, terminal.entry)
    wait_for(qtbot, lambda: terminal.record(bought.command_id).status is OrderStatus.EXECUTED)
    positions = terminal.window.positions
    wait_for(qtbot, lambda: positions.position("NSE", "SBIN") is not None)

    control = terminal.window.kill_switch
    control.flatten_action.trigger()
    wait_for(qtbot, lambda: control.dialog is not None and control.dialog.isVisible())
    box = control.dialog
    assert isinstance(box, QMessageBox)
    assert box.defaultButton().text() == "Cancel"  # an emergency action, but never by Enter
    qtbot.mouseClick(box.buttons()[0], Qt.MouseButton.LeftButton)

    wait_for(qtbot, lambda: control.state.active)
    model = terminal.window.orders.model

    def exit_done() -> bool:
        return any(
            r.command.execution_type.value == "EXIT"
            and r.command.strategy == "banks"
            and r.status is OrderStatus.EXECUTED
            for r in model.records()
        )

    wait_for(qtbot, exit_done, timeout=20_000)
    wait_for(qtbot, lambda: positions.position("NSE", "SBIN") is None)
    wait_for(qtbot, lambda: "The account is flat." in terminal.window.status.currentMessage())
