"""P&L against the daily loss limit, and positions, as the watcher reports them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ui_support import Terminal, run, submit, type_ticket, wait_for

from trader_gui.engine.events import PnlUpdated, PositionView
from trader_gui.ui.pnl_panel import limit_state


def pnl(total: str) -> PnlUpdated:
    view = PositionView("SBIN", "NSE", "MIS", 100, Decimal("965"), Decimal("700"), Decimal(total))
    return PnlUpdated(datetime.now(UTC), Decimal(0), Decimal(total), (view,))


def test_limit_states() -> None:
    assert limit_state(None) == "ok"
    assert limit_state(Decimal("0.79")) == "ok"
    assert limit_state(Decimal("0.8")) == "warn"
    assert limit_state(Decimal("1")) == "breached"


def test_room_turns_amber_at_80_percent_and_red_when_passed(qtbot: Any, terminal: Terminal) -> None:
    panel = terminal.window.pnl
    wait_for(qtbot, lambda: panel.chart_built)
    run(qtbot, terminal.runtime.watcher.stop())  # from here on, only this test's numbers

    terminal.runtime.events.emit(pnl("-5000"))
    assert panel.state() == "ok"
    assert panel.room.text() == "Room left before the limit: 20,000.00"
    assert panel.used_bar.value() == 20

    terminal.runtime.events.emit(pnl("-21000"))
    assert panel.state() == "warn"
    assert panel.room.property("state") == "warn"
    assert panel.used_bar.property("state") == "warn"

    terminal.runtime.events.emit(pnl("-26000"))
    assert panel.state() == "breached"
    assert panel.room.text() == "Limit passed by 1,000.00: new ENTRY orders are blocked."
    assert panel.total.text() == "-26,000.00"
    assert [value for _, value in panel.points][-1] == -26000.0
    positions = terminal.window.positions
    assert positions.model.rowCount() == 1
    assert positions.model.index(0, positions.model.column_index("pnl")).data() == "-26,000.00"


def test_positions_follow_the_broker(qtbot: Any, terminal: Terminal) -> None:
    type_ticket(qtbot, terminal.entry, symbol="SBIN", quantity="7")
    submit(qtbot, terminal.entry)
    positions = terminal.window.positions
    wait_for(qtbot, lambda: positions.position("NSE", "SBIN") is not None)
    held = positions.position("NSE", "SBIN")
    assert held is not None
    assert held.quantity == 7
    row = positions.model.row_of(("NSE", "SBIN", "MIS"))
    assert positions.model.index(row, positions.model.column_index("quantity")).data() == "7"
    assert "1 open" in positions.totals.text()
