"""A database that cannot be written while the window runs: the status bar says the database
is failing, with the driver's words; the broker stays shown as connected."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from storage_faults import StorageFault
from ui_support import Terminal, submit, type_ticket, wait_for

from trader_gui.domain.enums import Exchange, OrderStatus


def test_a_full_disk_is_shown_as_the_database_failing_not_the_broker(
    qtbot: Any, terminal: Terminal
) -> None:
    status = terminal.window.status
    type_ticket(
        qtbot, terminal.entry, symbol="SBIN", quantity="10", order_type="LIMIT", price="900.00"
    )
    resting = submit(qtbot, terminal.entry)
    assert resting.status is OrderStatus.SENT_TO_BROKER
    assert not status.database.isVisible()
    disk = StorageFault(terminal.runtime.repository.engine)

    disk.full()
    terminal.broker.set_price(Exchange.NSE, "SBIN", Decimal("899.00"))  # fills at the broker
    wait_for(qtbot, status.database.isVisible)
    shown = status.database.text()
    connection = status.connection.text()
    box = terminal.window.error_box
    disk.recover()
    wait_for(qtbot, lambda: not status.database.isVisible())
    wait_for(qtbot, lambda: terminal.record(resting.command_id).status is OrderStatus.EXECUTED)

    assert shown == "● Database failing: database or disk is full"
    assert connection.endswith("· connected")
    assert box is not None
    assert "The database cannot be used (database or disk is full)" in box.text()
    assert [order.tag for order in terminal.broker.order_book()] == [resting.command_id]
