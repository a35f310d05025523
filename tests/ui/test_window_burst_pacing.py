"""A burst of orders must not make the window flicker: the busy indicator shows only for a
send that takes a while, and the P&L chart is redrawn at most once a second while its numbers
follow every poll."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QEvent, QObject
from ui_support import Terminal, run, wait_for

from trader_gui.domain.market_time import utc_now
from trader_gui.engine.events import PnlUpdated


class ShowCounter(QObject):
    """Counts the times a widget is shown."""

    def __init__(self) -> None:
        super().__init__()
        self.shown = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Show:
            self.shown += 1
        return False


def last_drawn(curve: Any) -> float | None:
    """The last P&L value the chart's line shows."""
    values = curve.getData()[1]
    return None if values is None or not len(values) else float(values[-1])


def test_quick_sends_never_show_the_busy_indicator_and_a_slow_one_does(
    qtbot: Any, terminal: Terminal
) -> None:
    status = terminal.window.status
    counter = ShowCounter()
    status.busy.installEventFilter(counter)

    for _ in range(50):  # a burst: each order answered at once
        status.show_busy(True)
        status.show_busy(False)
    status.show_busy(True)  # a send that takes its time
    assert status.busy.isHidden()
    wait_for(qtbot, lambda: status.busy.isVisible())
    assert status.busy_label.isVisible()
    status.show_busy(False)

    assert status.busy.isHidden()
    assert status.busy_label.isHidden()
    assert counter.shown == 1


def test_the_chart_follows_a_burst_of_polls_without_a_redraw_per_poll(
    qtbot: Any, terminal: Terminal
) -> None:
    panel = terminal.window.pnl
    wait_for(qtbot, lambda: panel.chart_built)
    run(qtbot, terminal.runtime.watcher.stop())  # from here on, only this test's numbers
    curve = panel._curve
    redraws: list[object] = []
    curve.sigPlotChanged.connect(redraws.append)

    for number in range(1, 41):
        total = Decimal(number * 100)
        terminal.runtime.events.emit(PnlUpdated(utc_now(), Decimal(0), total, ()))
        assert panel.total.text() == f"+{number * 100:,}.00"  # the numbers: every poll

    assert [value for _, value in panel.points][-1] == 4000.0
    wait_for(qtbot, lambda: last_drawn(curve) == 4000.0)
    assert len(redraws) <= 2  # the first at once, the rest together a second later
