"""A ticket typed into the form travels the six steps, and the window shows each one."""

from __future__ import annotations

from typing import Any

from ui_support import OPTION, Terminal, submit, type_ticket, wait_for

from trader_gui.domain.enums import OrderStatus, Side
from trader_gui.ui.columns import RAW_ROLE


def test_typed_ticket_reaches_executed_and_every_step_is_shown(
    qtbot: Any, terminal: Terminal
) -> None:
    entry = terminal.entry
    type_ticket(qtbot, entry, symbol=OPTION.lower(), quantity="2", side=Side.BUY)
    assert entry.exchange.currentText() == "NFO"
    assert entry.units_hint.text() == "= 130 units"

    record = submit(qtbot, entry)

    assert record.command.quantity == 130
    # After step 5; with instant fills the watcher may have recorded the fill first.
    assert record.status in (OrderStatus.SENT_TO_BROKER, OrderStatus.EXECUTED)
    orders = terminal.window.orders
    wait_for(qtbot, lambda: terminal.record(record.command_id).status is OrderStatus.EXECUTED)
    row = orders.model.row_of(record.command_id)
    status_column = orders.model.column_index("status")
    assert orders.model.index(row, status_column).data() == "EXECUTED"
    lifecycle = terminal.window.lifecycle
    assert lifecycle.command_id == record.command_id

    def steps_shown() -> list[str]:
        tree = lifecycle.tree
        return [tree.topLevelItem(i).text(2) for i in range(tree.topLevelItemCount())]

    wait_for(qtbot, lambda: steps_shown()[-1:] == ["EXECUTED"])
    steps = steps_shown()
    assert steps[0] == "CREATED"
    assert steps[1] == "SENT_TO_BROKER"
    assert steps[-1] == "EXECUTED"
    if record.status is OrderStatus.SENT_TO_BROKER:  # step 5 came before the fill
        accepted = steps.index("SENT_TO_BROKER · ACCEPTED")
        assert "Accepted by paper" in lifecycle.tree.topLevelItem(accepted).text(3)
    assert orders.model.index(row, orders.model.column_index("filled_qty")).data(RAW_ROLE) == 130
