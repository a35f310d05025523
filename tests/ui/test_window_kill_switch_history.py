"""The kill switch's history (who or what, when in IST, why) and a max-loss trip that the
engine keeps on: the window shows the engine's sentence, never a traceback."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from ui_support import Terminal, TerminalFactory, submit, turn_on, type_ticket, wait_for

from trader_gui.domain.enums import OrderStatus
from trader_gui.domain.risk_limits import RiskLimits
from trader_gui.ui.kill_switch import UnlockDialog

IST_STAMP = re.compile(r"^\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d IST$")


def unlock(qtbot: Any, terminal: Terminal) -> None:
    """Ask to turn the switch off and type UNLOCK, as the trader does."""
    control = terminal.window.kill_switch
    control.request_toggle()
    wait_for(qtbot, lambda: isinstance(control.dialog, UnlockDialog) and control.dialog.isVisible())
    dialog = control.dialog
    assert isinstance(dialog, UnlockDialog)
    qtbot.keyClicks(dialog.word, "UNLOCK")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def test_the_history_lists_every_change_newest_first(qtbot: Any, terminal: Terminal) -> None:
    control = terminal.window.kill_switch
    turn_on(qtbot, terminal)
    unlock(qtbot, terminal)
    wait_for(qtbot, lambda: not control.state.active)

    assert control.history_action in control.button.menu().actions()
    control.history_action.trigger()
    dialog = control.history_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert not dialog.isModal()
    wait_for(qtbot, lambda: len(dialog.entries()) == 2)
    (off_when, off, off_by, off_why), (on_when, on, on_by, on_why) = dialog.entries()
    assert (off, off_by, off_why) == ("off", "trader", "unlocked from the window")
    assert (on, on_by, on_why) == ("ON", "trader", "from the window")
    assert IST_STAMP.match(off_when)
    assert IST_STAMP.match(on_when)
    assert dialog.summary.text().startswith("2 changes, newest first. Kill switch off")

    turn_on(qtbot, terminal)  # the open dialog follows
    wait_for(qtbot, lambda: len(dialog.entries()) == 3)
    assert dialog.entries()[0][1:] == ("ON", "trader", "from the window")
    assert control.open_history() is dialog


def test_a_max_loss_trip_keeps_the_switch_on_and_says_why(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    terminal = terminals.open(
        daily_loss_limit=Decimal("4000"), risk=RiskLimits(max_loss=Decimal("5000"))
    )
    window, control = terminal.window, terminal.window.kill_switch
    type_ticket(qtbot, terminal.entry, symbol="SBIN", quantity="100", strategy="swing")
    bought = submit(qtbot, terminal.entry)
    wait_for(qtbot, lambda: terminal.record(bought.command_id).status is OrderStatus.EXECUTED)
    paid = terminal.record(bought.command_id).avg_price
    assert paid is not None
    terminal.broker.set_price("NSE", "SBIN", paid - Decimal("60"))  # 6,000 down

    wait_for(qtbot, lambda: control.state.active)
    assert control.state.changed_by == "max-loss trip"
    assert window.error_box is not None  # the trip is an error notice
    window.error_box.close()

    unlock(qtbot, terminal)
    wait_for(qtbot, lambda: isinstance(control.dialog, QMessageBox))
    box = control.dialog
    assert isinstance(box, QMessageBox)
    assert box.windowTitle() == "Kill switch stays ON"
    assert box.text() == (
        "The kill switch was tripped by the max-loss limit today and stays on until the next "
        "trading day (Settings can allow unlocking after a max-loss trip)."
    )
    assert "Traceback" not in box.text()
    assert window.status.currentMessage() == f"Kill switch stays ON: {box.text()}"
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: control.dialog is None)
    assert control.state.active
    assert window.windowTitle().endswith("KILL SWITCH ON")

    history = control.open_history()
    wait_for(qtbot, lambda: len(history.entries()) == 1)
    _, switch, by, why = history.entries()[0]
    assert (switch, by) == ("ON", "max-loss trip")
    assert "Max loss" in why
