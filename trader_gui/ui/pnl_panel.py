"""Today's P&L against the daily loss limit: a line over time, the limit as a line, the room
left. Amber from 80 % of the limit used, red once it is passed.

pyqtgraph costs about half a second to import, so the chart is built after the window's first
paint (`build_chart`); until then the numbers above it already work.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from trader_gui.engine.events import PnlUpdated
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.formatting import local, money, signed_money
from trader_gui.ui.theme import LIGHT, ThemeColors
from trader_gui.ui.widgets import set_state

log = logging.getLogger(__name__)

WARN_AT = Decimal("0.8")
MAX_POINTS = 50_000
MIN_STEP_S = 0.5
"""A new point at most every half second (polls may be faster); a change always counts."""


def limit_state(used: Decimal | None) -> str:
    """ "ok", "warn" (80 % of the limit used) or "breached"."""
    if used is None:
        return "ok"
    if used >= 1:
        return "breached"
    if used >= WARN_AT:
        return "warn"
    return "ok"


class PnlPanel(QWidget):
    def __init__(self, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pnlPanel")
        self._bridge = bridge
        self._theme: ThemeColors = LIGHT
        self._times: list[float] = []
        self._values: list[float] = []
        self._last: PnlUpdated | None = None
        self._plot: Any = None
        self._curve: Any = None
        self._limit_line: Any = None
        self._warn_line: Any = None

        self.total = QLabel("—")
        self.total.setObjectName("pnlTotal")
        self.realised = QLabel("—")
        self.unrealised = QLabel("—")
        self.limit_label = QLabel()
        self.limit_label.setObjectName("limitLabel")
        self.room = QLabel()
        self.room.setObjectName("roomLabel")
        self.used_bar = QProgressBar()
        self.used_bar.setObjectName("limitBar")
        self.used_bar.setRange(0, 100)
        self.used_bar.setTextVisible(True)
        self.used_bar.setFormat("%p% of the daily loss limit used")
        numbers = QGridLayout()
        numbers.addWidget(QLabel("Today's P&L"), 0, 0)
        numbers.addWidget(self.total, 1, 0, 2, 1)
        numbers.addWidget(QLabel("Realised"), 0, 1)
        numbers.addWidget(self.realised, 1, 1)
        numbers.addWidget(QLabel("Unrealised"), 0, 2)
        numbers.addWidget(self.unrealised, 1, 2)
        numbers.addWidget(self.limit_label, 3, 0, 1, 3)
        numbers.addWidget(self.used_bar, 4, 0, 1, 3)
        numbers.addWidget(self.room, 5, 0, 1, 3)
        self.keep_limit = QCheckBox("Keep the loss limit in view")
        self.keep_limit.setChecked(True)
        self.keep_limit.setToolTip("Off: the chart zooms in on today's P&L line")
        self.keep_limit.toggled.connect(lambda *_: self._fit_y())
        numbers.addWidget(self.keep_limit, 6, 0, 1, 3)
        self.chart_holder = QVBoxLayout()
        self.placeholder = QLabel("Chart loading…")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("mutedLabel")
        self.chart_holder.addWidget(self.placeholder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(numbers)
        layout.addLayout(self.chart_holder, 1)
        bridge.pnl_updated.connect(self.on_pnl)
        self._update_limit()

    # ---- data -------------------------------------------------------------------------------

    @property
    def points(self) -> list[tuple[float, float]]:
        return list(zip(self._times, self._values, strict=True))

    def load(self, history: list[tuple[datetime, Decimal]]) -> None:
        """Stored snapshots of today, before the live points."""
        older = [(local(at).timestamp(), float(total)) for at, total in history]
        first_live = self._times[0] if self._times else None
        merged = [point for point in older if first_live is None or point[0] < first_live]
        self._times[0:0] = [t for t, _ in merged]
        self._values[0:0] = [v for _, v in merged]
        self._redraw()

    def on_pnl(self, event: PnlUpdated) -> None:
        self._last = event
        self.total.setText(signed_money(event.total))
        self.realised.setText(signed_money(event.realised))
        self.unrealised.setText(signed_money(event.unrealised))
        for label, amount in (
            (self.total, event.total),
            (self.realised, event.realised),
            (self.unrealised, event.unrealised),
        ):
            label.setStyleSheet(f"color: {self._theme.pnl(amount).name()};")
        stamp = local(event.at).timestamp()
        value = float(event.total)
        if not self._times or stamp - self._times[-1] >= MIN_STEP_S or value != self._values[-1]:
            self._times.append(stamp)
            self._values.append(value)
            if len(self._times) > MAX_POINTS:
                del self._times[: MAX_POINTS // 10]
                del self._values[: MAX_POINTS // 10]
            self._redraw()
        self._update_limit()

    def set_theme(self, theme: ThemeColors) -> None:
        self._theme = theme
        if self._plot is not None:
            self._style_chart()
        if self._last is not None:
            self.on_pnl(self._last)

    def limit_changed(self) -> None:
        self._update_limit()
        self._place_limit_lines()

    # ---- limit ------------------------------------------------------------------------------

    def used_fraction(self) -> Decimal | None:
        limit = self._bridge.daily_loss_limit
        if limit is None or limit <= 0 or self._last is None:
            return None
        return max(Decimal(0), -self._last.total) / limit

    def state(self) -> str:
        return limit_state(self.used_fraction())

    def _update_limit(self) -> None:
        limit = self._bridge.daily_loss_limit
        if limit is None:
            self.limit_label.setText("No daily loss limit set.")
            self.used_bar.setVisible(False)
            self.room.setText("")
            return
        self.used_bar.setVisible(True)
        self.limit_label.setText(f"Daily loss limit {money(limit)}")
        used = self.used_fraction()
        # The risk manager's room_left() from the same poll's numbers: limit + today's P&L.
        room = None if self._last is None else limit + self._last.total
        state = limit_state(used)
        if used is None or room is None:
            self.used_bar.setValue(0)
            self.room.setText("Room left: waiting for the first positions poll.")
        else:
            self.used_bar.setValue(min(100, int(used * 100)))
            if state == "breached":
                self.room.setText(f"Limit passed by {money(-room)}: new ENTRY orders are blocked.")
            else:
                self.room.setText(f"Room left before the limit: {money(room)}")
        set_state(self.used_bar, "state", state)
        set_state(self.room, "state", state)

    # ---- chart ------------------------------------------------------------------------------

    def build_chart(self) -> None:
        """Import pyqtgraph and draw (call after the first paint)."""
        if self._plot is not None:
            return
        import pyqtgraph as pg

        self._pg = pg
        plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        plot.setObjectName("pnlChart")
        plot.setMenuEnabled(False)
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setLabel("left", "P&L")
        plot.getPlotItem().setDownsampling(auto=True, mode="peak")
        plot.getPlotItem().setClipToView(True)
        self._plot = plot
        self._curve = plot.plot([], [])
        self._zero_line = pg.InfiniteLine(angle=0, movable=False)
        self._limit_line = pg.InfiniteLine(angle=0, movable=False, label="loss limit")
        self._warn_line = pg.InfiniteLine(angle=0, movable=False, label="80 %")
        for line in (self._zero_line, self._limit_line, self._warn_line):
            plot.addItem(line)
        self.chart_holder.removeWidget(self.placeholder)
        self.placeholder.deleteLater()
        self.chart_holder.addWidget(plot)
        self._style_chart()
        self._place_limit_lines()
        self._redraw()

    @property
    def chart_built(self) -> bool:
        return self._plot is not None

    def _style_chart(self) -> None:
        pg = self._pg
        theme = self._theme
        self._plot.setBackground(theme.base)
        for name in ("left", "bottom"):
            axis = self._plot.getAxis(name)
            axis.setPen(pg.mkPen(theme.chart_grid))
            axis.setTextPen(pg.mkPen(theme.text))
        self._curve.setPen(pg.mkPen(theme.chart_line, width=2))
        fill = pg.mkColor(theme.chart_line)
        fill.setAlpha(40)
        self._curve.setFillLevel(0)
        self._curve.setBrush(pg.mkBrush(fill))
        self._zero_line.setPen(pg.mkPen(theme.muted, width=1))
        self._limit_line.setPen(pg.mkPen(theme.loss, width=2, style=Qt.PenStyle.DashLine))
        self._warn_line.setPen(pg.mkPen(theme.warning, width=1, style=Qt.PenStyle.DotLine))
        for line, colour in ((self._limit_line, theme.loss), (self._warn_line, theme.warning)):
            if line.label is not None:
                line.label.setColor(colour)

    def _place_limit_lines(self) -> None:
        if self._plot is None:
            return
        limit = self._bridge.daily_loss_limit
        visible = limit is not None
        self._limit_line.setVisible(visible)
        self._warn_line.setVisible(visible)
        if limit is not None:
            self._limit_line.setValue(-float(limit))
            self._warn_line.setValue(-float(limit * WARN_AT))
            if self._limit_line.label is not None:
                self._limit_line.label.setFormat(f"loss limit −{money(limit)}")
        self._fit_y()

    def _redraw(self) -> None:
        if self._curve is None:
            return
        self._curve.setData(self._times, self._values)
        self._fit_y()

    def _fit_y(self) -> None:
        """Keep the limit line in view so the trader sees the distance, not just the wiggle."""
        if self._plot is None:
            return
        low = min(self._values, default=0.0)
        high = max(self._values, default=0.0)
        limit = self._bridge.daily_loss_limit
        if limit is not None and self.keep_limit.isChecked():
            low = min(low, -float(limit) * 1.1)
            high = max(high, abs(low) * 0.2)
        if high - low < 1.0:
            low, high = low - 1.0, high + 1.0
        self._plot.setYRange(low, high, padding=0.08)
