"""At start the orders table shows today's orders and every open one; earlier days come when
the trader asks for them, so a database of years starts as fast as an empty one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from tickets import ticket
from ui_support import TerminalFactory, submit, type_ticket, wait_for

from trader_gui.domain.enums import OrderStatus, Tag
from trader_gui.domain.market_time import utc_now
from trader_gui.engine.assembly import open_repository
from trader_gui.paths import AppPaths
from trader_gui.persistence.database import sqlite_url


def test_a_restart_shows_today_and_open_orders_and_earlier_ones_on_demand(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    paths = AppPaths.under(terminals.root)
    paths.ensure()
    repository = open_repository(sqlite_url(paths.database_file))
    two_days_ago = utc_now() - timedelta(days=2)
    earlier = [ticket(strategy=f"old{n}") for n in range(3)]
    for command in earlier:  # registered, then the program stopped before step 3
        repository.create(command, two_days_ago)
    repository.close()

    first = terminals.open()
    # Still open at start, so shown although old; recovery then fails them.
    wait_for(
        qtbot,
        lambda: all(
            (shown := first.record(command.command_id)) is not None
            and shown.status is OrderStatus.FAILED
            for command in earlier
        ),
    )
    type_ticket(qtbot, first.entry, symbol="SBIN", quantity="1")
    today = submit(qtbot, first.entry)
    wait_for(qtbot, lambda: first.record(today.command_id).status is OrderStatus.EXECUTED)
    terminals.close(first)

    second = terminals.open()
    wait_for(qtbot, lambda: second.record(today.command_id) is not None)
    assert all(second.record(command.command_id) is None for command in earlier)
    assert "1 orders" in second.window.orders.count_label.text()

    qtbot.mouseClick(second.window.orders.earlier_button, Qt.MouseButton.LeftButton)

    wait_for(
        qtbot, lambda: all(second.record(command.command_id) is not None for command in earlier)
    )
    shown = second.record(earlier[0].command_id)
    assert shown is not None
    assert shown.tag is Tag.INTERRUPTED
    assert second.record(today.command_id).status is OrderStatus.EXECUTED
    assert "4 orders" in second.window.orders.count_label.text()
