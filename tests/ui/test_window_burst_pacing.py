"""A burst of orders must not make the window flicker or stall: the busy indicator shows
only for a send that takes a while, the P&L chart is redrawn at most once a second while its
numbers follow every poll, and new numbers do not lay the whole window out again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
from ui_support import Terminal, run, wait_for

from trader_gui.domain.market_time import utc_now
from trader_gui.engine.events import PnlUpdated, PollCompleted
from trader_gui.ui.formatting import signed_money


class EventCounter(QObject):
    """Counts the events of one type a widget gets."""

    def __init__(self, kind: QEvent.Type) -> None:
        super().__init__()
        self.kind = kind
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == self.kind:
            self.count += 1
        return False


def last_drawn(curve: Any) -> float | None:
    """The last P&L value the chart's line shows."""
    values = curve.getData()[1]
    return None if values is None or not len(values) else float(values[-1])


def test_quick_sends_never_show_the_busy_indicator_and_a_slow_one_does(
    qtbot: Any, terminal: Terminal
) -> None:
    status = terminal.window.status
    counter = EventCounter(QEvent.Type.Show)
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
    assert counter.count == 1


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


def test_new_numbers_every_poll_are_shown_in_full_without_laying_out_the_window(
    qtbot: Any, terminal: Terminal
) -> None:
    window = terminal.window
    wait_for(qtbot, lambda: window.pnl.chart_built)  # the chart joins the layout once
    run(qtbot, terminal.runtime.watcher.stop())  # from here on, only this test's numbers
    QApplication.processEvents()
    layouts = EventCounter(QEvent.Type.LayoutRequest)
    for panel in (window.pnl, window.positions):
        panel.installEventFilter(layouts)  # where a label's new size would be laid out
    labels = [window.pnl.total, window.pnl.realised, window.pnl.unrealised, window.positions.totals]

    for total in ("7.50", "-1234.25", "98765432.10"):
        amount = Decimal(total)
        terminal.runtime.events.emit(PnlUpdated(utc_now(), Decimal(0), amount, ()))
        window.status.show_poll(PollCompleted(utc_now(), 0.012, True, 3))
        QApplication.processEvents()

        assert window.pnl.total.text() == signed_money(amount)
        for label in labels:
            if label.wordWrap():
                assert label.height() >= label.heightForWidth(label.width()), label.text()
            else:
                assert label.width() >= label.sizeHint().width(), label.text()
    assert window.status.poll.text().endswith("12 ms")
    assert layouts.count == 0
