"""The Approvals panel: external orders posted to the real running intake wait in the window
until the trader approves, edits, rejects them, or they expire; every decision is listed."""

from __future__ import annotations

from typing import Any

import pytest
from clocks import FakeClock
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QTabBar
from ui_support import Terminal, TerminalFactory, run, wait_for
from window_intake_support import Sender, ticket

from trader_gui.domain.enums import OrderStatus
from trader_gui.domain.market_time import utc_now
from trader_gui.ui.approval_edit_dialog import ApprovalEditDialog
from trader_gui.ui.approvals_panel import ApprovalsPanel, RejectDialog
from trader_gui.ui.columns import RAW_ROLE
from trader_gui.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def approving(terminals: TerminalFactory) -> Terminal:
    """A window whose intake listens on 127.0.0.1 and holds every order for approval."""
    return terminals.open(intake_port=0, intake_approval=True)


def cell(panel: ApprovalsPanel, row: int, key: str, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    return panel.model.data(panel.model.index(row, panel.model.column_index(key)), role)


def approvals_in_front(window: MainWindow) -> bool:
    """Whether the Approvals tab is the one shown in its group of tabbed panels."""
    for bar in window.findChildren(QTabBar):
        for index in range(bar.count()):
            if bar.tabText(index).startswith("Approvals"):
                return bar.currentIndex() == index
    return False


def decision_outcomes(panel: ApprovalsPanel) -> dict[str, str]:
    return {d.command_id: str(d.outcome) for d in panel.decisions.records()}


def post_and_wait(qtbot: Any, terminal: Terminal, **fields: Any) -> str:
    reply = Sender(qtbot, terminal).post(ticket(**fields))
    assert reply.status == 202, reply.body
    assert reply.body["status"] == "WAITING_FOR_APPROVAL"
    command_id = reply.body["command_id"]
    wait_for(qtbot, lambda: terminal.window.approvals.model.get(command_id) is not None)
    return str(command_id)


def test_a_posted_order_waits_in_the_panel_with_what_was_asked(
    qtbot: Any, approving: Terminal
) -> None:
    window = approving.window
    panel = window.approvals
    window.docks.blockers.raise_()  # the trader is looking at another tab
    wait_for(qtbot, lambda: not approvals_in_front(window))
    assert "every external order waits here" in panel.intake_state.text()

    command_id = post_and_wait(
        qtbot, approving, side="SELL", quantity=20, order_type="LIMIT", price="801.50"
    )

    wait_for(qtbot, lambda: approvals_in_front(window))
    assert window.docks.approvals.windowTitle() == "Approvals (1 waiting)"
    assert cell(panel, 0, "side") == "SELL"
    assert cell(panel, 0, "quantity", RAW_ROLE) == 20
    assert cell(panel, 0, "symbol") == "SBIN"
    assert cell(panel, 0, "order_type") == "LIMIT"
    assert cell(panel, 0, "price") == "801.50"
    assert cell(panel, 0, "product") == "MIS"
    assert cell(panel, 0, "strategy") == "ext1"
    assert cell(panel, 0, "source") == "EXTERNAL"
    assert cell(panel, 0, "sender") == "default"
    assert cell(panel, 0, "command_id") == command_id
    assert cell(panel, 0, "left").startswith(("1:", "2:"))  # of the default two minutes
    assert approving.record(command_id) is None  # not an order until approved
    assert approving.broker.order_book() == []
    assert panel.approve_button.isEnabled()


def test_the_panel_models_pass_the_qt_model_tester(
    qtbot: Any, qtmodeltester: Any, approving: Terminal
) -> None:
    panel = approving.window.approvals
    post_and_wait(qtbot, approving, strategy="a")
    rejected = post_and_wait(qtbot, approving, strategy="b", order_type="LIMIT", price="800")
    run(qtbot, approving.bridge.reject(rejected, "test"))
    wait_for(qtbot, lambda: panel.decisions.rowCount() == 1)

    qtmodeltester.check(panel.model, force_py=True)
    qtmodeltester.check(panel.decisions, force_py=True)


def test_approve_sends_it_to_executed_and_the_orders_panel_shows_it(
    qtbot: Any, approving: Terminal
) -> None:
    panel = approving.window.approvals
    command_id = post_and_wait(qtbot, approving)

    qtbot.mouseClick(panel.approve_button, Qt.MouseButton.LeftButton)

    wait_for(
        qtbot, lambda: (r := approving.record(command_id)) and r.status is OrderStatus.EXECUTED
    )
    (order,) = approving.broker.order_book()
    assert (order.tag, order.quantity) == (command_id, 10)
    assert panel.model.rowCount() == 0
    assert approving.window.docks.approvals.windowTitle() == "Approvals"
    assert decision_outcomes(panel) == {command_id: "APPROVED"}
    wait_for(qtbot, lambda: panel.result.text().startswith(f"Approved {command_id}"))
    assert Sender(qtbot, approving).get(f"/orders/{command_id}").body["status"] == "EXECUTED"


def test_edit_marks_a_bad_quantity_and_sends_the_edited_one(
    qtbot: Any, approving: Terminal
) -> None:
    panel = approving.window.approvals
    command_id = post_and_wait(qtbot, approving, quantity=10)

    qtbot.mouseClick(panel.edit_button, Qt.MouseButton.LeftButton)
    dialog = panel.edit_dialog
    assert isinstance(dialog, ApprovalEditDialog)
    dialog.quantity.clear()
    qtbot.keyClicks(dialog.quantity, "ten")

    assert dialog.quantity.property("invalid") is True
    assert "whole number" in dialog.error_labels["quantity"].text()
    assert not dialog.approve_button.isEnabled()
    assert panel.model.get(command_id) is not None  # still waiting, nothing sent

    dialog.quantity.clear()
    qtbot.keyClicks(dialog.quantity, "4")
    assert dialog.quantity.property("invalid") is False
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)

    wait_for(
        qtbot, lambda: (r := approving.record(command_id)) and r.status is OrderStatus.EXECUTED
    )
    (order,) = approving.broker.order_book()
    assert order.quantity == 4
    assert approving.record(command_id).command.quantity == 4  # type: ignore[union-attr]
    decision = panel.decisions.get(command_id)
    assert decision is not None
    assert decision.detail == "Approved with quantity 10 -> 4."
    wait_for(qtbot, lambda: panel.edit_dialog is None)


def test_reject_with_a_reason_is_recorded_and_the_sender_is_told(
    qtbot: Any, approving: Terminal
) -> None:
    panel = approving.window.approvals
    command_id = post_and_wait(qtbot, approving)

    qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: isinstance(panel.dialog, RejectDialog))
    dialog = panel.dialog
    assert isinstance(dialog, RejectDialog)
    qtbot.keyClicks(dialog.reason, "stale signal")
    qtbot.mouseClick(dialog.reject_button, Qt.MouseButton.LeftButton)

    wait_for(qtbot, lambda: decision_outcomes(panel) == {command_id: "REJECTED"})
    assert panel.model.rowCount() == 0
    status = Sender(qtbot, approving).get(f"/orders/{command_id}").body
    assert status["status"] == "REJECTED_BY_TRADER"
    assert "stale signal" in status["detail"]
    assert approving.record(command_id) is None
    assert approving.broker.order_book() == []


def test_a_waiting_order_expires_out_of_the_panel_and_is_recorded(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    clock = FakeClock(utc_now())
    terminal = terminals.open(clock=clock, intake_port=0, intake_approval=True)
    panel = terminal.window.approvals
    counts: list[int] = []
    panel.waiting_count_changed.connect(counts.append)
    command_id = post_and_wait(qtbot, terminal)

    clock.advance(120)  # the default two minutes

    wait_for(qtbot, lambda: decision_outcomes(panel) == {command_id: "EXPIRED"})
    assert counts[0] == 1
    assert counts[-1] == 0
    assert panel.model.rowCount() == 0
    assert terminal.window.docks.approvals.windowTitle() == "Approvals"
    assert "not sent" in panel.decisions.get(command_id).detail  # type: ignore[union-attr]
    assert Sender(qtbot, terminal).get(f"/orders/{command_id}").body["status"] == "APPROVAL_EXPIRED"
    assert terminal.broker.order_book() == []


def test_approve_all_asks_first_then_sends_every_waiting_order(
    qtbot: Any, approving: Terminal
) -> None:
    panel = approving.window.approvals
    first = post_and_wait(qtbot, approving, strategy="a")
    second = post_and_wait(qtbot, approving, strategy="b", symbol="INFY")
    assert approving.window.docks.approvals.windowTitle() == "Approvals (2 waiting)"

    qtbot.mouseClick(panel.approve_all_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: isinstance(panel.dialog, QMessageBox))
    box = panel.dialog
    assert isinstance(box, QMessageBox)
    assert "all 2 waiting" in box.text()
    assert box.defaultButton().text() == "Cancel"  # Enter alone never sends them all
    approve = next(b for b in box.buttons() if b.text() == "Approve 2")
    qtbot.mouseClick(approve, Qt.MouseButton.LeftButton)

    wait_for(
        qtbot,
        lambda: all(
            (r := approving.record(c)) and r.status is OrderStatus.EXECUTED for c in (first, second)
        ),
    )
    assert len(approving.broker.order_book()) == 2
    assert decision_outcomes(panel) == {first: "APPROVED", second: "APPROVED"}


def test_reject_all_cancelled_keeps_them_waiting_and_confirmed_rejects_each(
    qtbot: Any, approving: Terminal
) -> None:
    panel = approving.window.approvals
    first = post_and_wait(qtbot, approving, strategy="a")
    second = post_and_wait(qtbot, approving, strategy="b")

    qtbot.mouseClick(panel.reject_all_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: isinstance(panel.dialog, QMessageBox))
    box = panel.dialog
    assert isinstance(box, QMessageBox)
    qtbot.mouseClick(box.defaultButton(), Qt.MouseButton.LeftButton)  # Cancel
    wait_for(qtbot, lambda: panel.dialog is None)
    assert panel.model.rowCount() == 2

    qtbot.mouseClick(panel.reject_all_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: isinstance(panel.dialog, QMessageBox))
    box = panel.dialog
    assert isinstance(box, QMessageBox)
    reject = next(b for b in box.buttons() if b.text() == "Reject 2")
    qtbot.mouseClick(reject, Qt.MouseButton.LeftButton)

    wait_for(qtbot, lambda: decision_outcomes(panel) == {first: "REJECTED", second: "REJECTED"})
    assert panel.model.rowCount() == 0
    assert approving.broker.order_book() == []


def test_the_keyboard_approves_the_chosen_order_only_from_the_panel(
    qtbot: Any, approving: Terminal
) -> None:
    panel = approving.window.approvals
    first = post_and_wait(qtbot, approving, strategy="a")
    second = post_and_wait(qtbot, approving, strategy="b")
    approving.entry.symbol.setFocus()
    tasks_before = len(approving.window.tasks)
    qtbot.keyClick(approving.entry.symbol, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    tasks_after_stray_key = len(approving.window.tasks)

    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    assert panel.selected().command_id == second  # type: ignore[union-attr]
    qtbot.keyClick(panel.table, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)

    wait_for(qtbot, lambda: decision_outcomes(panel).get(second) == "APPROVED")
    assert tasks_after_stray_key == tasks_before  # Alt+A in the order entry started nothing
    assert decision_outcomes(panel) == {second: "APPROVED"}
    assert [entry.command_id for entry in panel.model.records()] == [first]


def test_with_the_intake_off_the_panel_says_so(terminal: Terminal) -> None:
    panel = terminal.window.approvals

    assert "intake is off" in panel.intake_state.text()
    assert panel.model.rowCount() == 0
    assert not panel.approve_all_button.isEnabled()
    assert not terminal.window.intake_warning.isVisible()


def test_an_order_left_waiting_at_close_shows_as_expired_after_restart(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    first = terminals.open(intake_port=0, intake_approval=True)
    command_id = post_and_wait(qtbot, first)
    terminals.close(first)

    again = terminals.open(intake_port=0, intake_approval=True)
    panel = again.window.approvals

    wait_for(qtbot, lambda: decision_outcomes(panel) == {command_id: "EXPIRED"})
    assert "stopped before the trader decided" in panel.decisions.get(command_id).detail  # type: ignore[union-attr]
    assert panel.model.rowCount() == 0
    assert again.broker.order_book() == []


def test_an_order_expiring_during_an_edit_keeps_what_was_typed_and_cannot_be_approved(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    clock = FakeClock(utc_now())
    terminal = terminals.open(clock=clock, intake_port=0, intake_approval=True)
    panel = terminal.window.approvals
    command_id = post_and_wait(qtbot, terminal)
    dialog = panel.edit_selected()
    assert dialog is not None
    dialog.quantity.clear()
    qtbot.keyClicks(dialog.quantity, "7")

    clock.advance(120)

    wait_for(qtbot, lambda: decision_outcomes(panel) == {command_id: "EXPIRED"})

    assert panel.edit_dialog is dialog
    assert "expired" in dialog.error.text()
    assert not dialog.approve_button.isEnabled()
    assert dialog.quantity.text() == "7"
    assert terminal.broker.order_book() == []
