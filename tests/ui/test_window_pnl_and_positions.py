"""P&L against every loss limit in force, and positions, as the watcher reports them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ui_support import Terminal, TerminalFactory, run, submit, type_ticket, wait_for

from trader_gui.domain.risk_limits import LossLimitKind, RiskLimits
from trader_gui.engine.events import PnlUpdated, PositionView
from trader_gui.engine.risk import PnlSnapshot

DAILY, TRAILING, MAX = (
    LossLimitKind.DAILY_LOSS,
    LossLimitKind.TRAILING_LOSS,
    LossLimitKind.MAX_LOSS,
)


def report_pnl(terminal: Terminal, total: str) -> None:
    """What one positions poll does: the risk manager takes the P&L, then the window hears."""
    now = datetime.now(UTC)
    amount = Decimal(total)
    terminal.runtime.engine.risk.update_pnl(PnlSnapshot(now, Decimal(0), amount))
    view = PositionView("SBIN", "NSE", "MIS", 100, Decimal("965"), Decimal("700"), amount)
    terminal.runtime.events.emit(PnlUpdated(now, Decimal(0), amount, (view,)))


def test_every_loss_limit_is_a_row_and_a_line_amber_then_red(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    terminal = terminals.open(
        risk=RiskLimits(
            max_loss=Decimal("40000"),
            trailing_loss_step=Decimal("10000"),
            trailing_giveback=Decimal("4000"),
        )
    )
    panel = terminal.window.pnl
    wait_for(qtbot, lambda: panel.chart_built)
    run(qtbot, terminal.runtime.watcher.stop())  # from here on, only this test's numbers
    daily, trailing, hard = panel.row(DAILY), panel.row(TRAILING), panel.row(MAX)

    report_pnl(terminal, "-5000")
    assert [row.kind for row in panel.shown_rows()] == [DAILY, MAX]
    assert daily.title == "Daily loss limit 25,000.00"
    assert daily.room.text() == "20,000.00 left"
    assert daily.bar.value() == 20
    assert hard.title == "Max loss limit 40,000.00"
    assert hard.room.text() == "35,000.00 left"
    assert not panel.consequence.isVisibleTo(panel)
    assert (daily.state, hard.state) == ("ok", "ok")
    assert panel.limit_lines() == {DAILY: -25000.0, MAX: -40000.0}

    report_pnl(terminal, "12000")  # the day's peak passes one trailing step
    assert [row.kind for row in panel.shown_rows()] == [DAILY, TRAILING, MAX]
    assert trailing.title == "Trailing floor +6,000.00"
    assert trailing.room.text() == "6,000.00 left"
    assert panel.limit_lines()[TRAILING] == 6000.0

    report_pnl(terminal, "7000")  # 5,000 of the 6,000 giveback used: past the warn share
    assert trailing.state == "warn"
    assert trailing.room.property("state") == "warn"
    assert trailing.bar.property("state") == "warn"
    assert daily.state == "ok"

    report_pnl(terminal, "-21000")
    assert trailing.state == "breached"
    assert trailing.room.text() == "passed by 27,000.00"
    assert panel.consequence.text() == (
        "Trailing loss floor passed by 27,000.00: new ENTRY orders are blocked."
    )
    assert panel.consequence.isVisibleTo(panel)
    assert daily.state == "warn"
    assert daily.bar.value() == 84
    assert hard.state == "ok"

    report_pnl(terminal, "-41000")
    assert daily.room.text() == "passed by 16,000.00"
    assert hard.state == "breached"
    assert hard.room.text() == "passed by 1,000.00"
    assert panel.consequence.text() == (
        "Daily loss limit passed by 16,000.00: new ENTRY orders are blocked. "
        "Trailing loss floor passed by 47,000.00: new ENTRY orders are blocked. "
        "Max loss limit passed by 1,000.00: the kill switch trips and stays on until the next "
        "trading day."
    )
    assert panel.total.text() == "-41,000.00"
    assert [value for _, value in panel.points][-1] == -41000.0
    positions = terminal.window.positions
    assert positions.model.rowCount() == 1
    assert positions.model.index(0, positions.model.column_index("pnl")).data() == "-41,000.00"


def test_no_limit_says_so_and_draws_no_line(qtbot: Any, terminals: TerminalFactory) -> None:
    terminal = terminals.open(daily_loss_limit=None)
    panel = terminal.window.pnl
    wait_for(qtbot, lambda: panel.chart_built)
    assert panel.shown_rows() == []
    assert panel.no_limits.isVisibleTo(panel)
    assert panel.limit_lines() == {}


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
