"""Today's P&L against every loss limit in force: a line over time, each limit as a line
(daily loss limit, trailing loss floor, max loss), and per limit a row with the room left.
A row turns amber once the warn share of its limit is used (when the engine warns) and red
once it is passed (when ENTRY orders stop); the numbers are the risk manager's own
(`LimitRoom`), from the same positions poll as the P&L.

pyqtgraph costs about half a second to import, so the chart is built after the window's first
paint, once the engine takes tickets (`build_chart`); until then the numbers above it work.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from trader_gui.domain.risk_limits import LimitLevel, LimitRoom, LossLimitKind
from trader_gui.engine.events import PnlUpdated
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.formatting import local, money, signed_money
from trader_gui.ui.theme import LIGHT, ThemeColors
from trader_gui.ui.widgets import SteadyBox, set_state

log = logging.getLogger(__name__)

MAX_POINTS = 50_000
MIN_STEP_S = 0.5
"""A new point at most every half second (polls may be faster); a change always counts."""
MONEY_SAMPLE = "-99,999,999.00"
CHART_EVERY_MS = 1000
"""The chart is redrawn at most once a second while polls pour in (a burst of orders polls
after each one, and a redraw with its repaint costs ~14 ms); the numbers follow every poll."""
LIMIT_ORDER = (LossLimitKind.DAILY_LOSS, LossLimitKind.TRAILING_LOSS, LossLimitKind.MAX_LOSS)
LEVEL_STATES = {LimitLevel.OK: "ok", LimitLevel.AMBER: "warn", LimitLevel.RED: "breached"}
"""The risk manager's colour as the stylesheet names it."""
PASSED = {
    LossLimitKind.DAILY_LOSS: "new ENTRY orders are blocked",
    LossLimitKind.TRAILING_LOSS: "new ENTRY orders are blocked",
    LossLimitKind.MAX_LOSS: "the kill switch trips and stays on until the next trading day",
}
LABEL_POSITION = {
    LossLimitKind.DAILY_LOSS: 0.3,
    LossLimitKind.TRAILING_LOSS: 0.55,
    LossLimitKind.MAX_LOSS: 0.78,
}
"""Where along its line each chart label sits (0 left, 1 right): apart, clear of the edge."""
WARN_LABEL_POSITION = 0.14
LINE_NAMES = {
    LossLimitKind.DAILY_LOSS: "daily",
    LossLimitKind.TRAILING_LOSS: "trailing",
    LossLimitKind.MAX_LOSS: "max loss",
}
CHART_MIN_HEIGHT = 110


def limit_title(room: LimitRoom) -> str:
    if room.kind is LossLimitKind.TRAILING_LOSS:
        return f"Trailing floor {signed_money(room.floor)}"
    return f"{room.name} {money(room.value)}"


def room_text(room: LimitRoom) -> str:
    """The room left, short enough to sit beside the limit's name."""
    if room.level is not LimitLevel.RED:
        return f"{money(room.room)} left"
    if room.room == 0:
        return "reached"
    return f"passed by {money(-room.room)}"


def room_sentence(room: LimitRoom) -> str:
    """What the room means to the trader: rupees left, or what passing the limit did."""
    if room.level is not LimitLevel.RED:
        return f"{room.name}: {money(room.room)} left before {signed_money(room.floor)}."
    if room.room == 0:
        return f"{room.name} reached: {PASSED[room.kind]}."
    return f"{room.name} passed by {money(-room.room)}: {PASSED[room.kind]}."


def _whole(amount: Decimal) -> str:
    return f"{amount:+,.0f}".replace("-", "−")


class LimitRow(QWidget):
    """One loss limit on two lines: its name and value with the room left, then a bar of the
    share of it used."""

    def __init__(self, kind: LossLimitKind, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setObjectName(f"limitRow_{kind.value}")
        self.name = QLabel()
        self.name.setObjectName("limitLabel")
        self.room = QLabel()
        self.room.setObjectName("roomLabel")
        self.room.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.bar = QProgressBar()
        self.bar.setObjectName("limitBar")
        self.bar.setRange(0, 100)
        self.bar.setTextVisible(True)
        self.bar.setFormat("%p% used")
        self.bar.setFixedHeight(14)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setHorizontalSpacing(6)
        layout.setVerticalSpacing(1)
        layout.addWidget(self.name, 0, 0)
        layout.addWidget(self.room, 0, 1)
        layout.addWidget(self.bar, 1, 0, 1, 2)
        layout.setColumnStretch(0, 1)
        self.level = LimitLevel.OK
        self.sentence = ""

    @property
    def title(self) -> str:
        return self.name.text()

    @property
    def state(self) -> str:
        """ "ok", "warn" or "breached", as the stylesheet colours it."""
        return LEVEL_STATES[self.level]

    def show_room(self, room: LimitRoom, *, waiting: bool) -> None:
        self.name.setText(limit_title(room))
        self.level = LimitLevel.OK if waiting else room.level
        if waiting:
            self.bar.setValue(0)
            self.room.setText("waiting for a poll")
            self.sentence = "Room left: waiting for the first positions poll."
        else:
            self.bar.setValue(max(0, min(100, int(room.share_used * 100))))
            self.room.setText(room_text(room))
            self.sentence = room_sentence(room)
        tip = (
            f"{self.sentence}\nENTRY orders stop when today's P&L reaches "
            f"{signed_money(room.floor)}."
        )
        for widget in (self, self.name, self.room, self.bar):
            widget.setToolTip(tip)
        set_state(self.bar, "state", self.state)
        set_state(self.room, "state", self.state)


class PnlPanel(QWidget):
    chart_ready = Signal()
    """The chart is built: the last of start-up's work (pyqtgraph is imported for it)."""

    def __init__(self, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pnlPanel")
        self._bridge = bridge
        self._theme: ThemeColors = LIGHT
        self._times: list[float] = []
        self._values: list[float] = []
        self._last: PnlUpdated | None = None
        self._rooms: list[LimitRoom] = []
        self._plot: Any = None
        self._curve: Any = None
        self._lines: dict[LossLimitKind, Any] = {}
        self._warn_line: Any = None
        self._placed: dict[Any, tuple[bool, float, str]] = {}
        """What each limit line shows (visible, value, label): a poll that leaves it as it
        was touches nothing."""
        self._colours: dict[QLabel, str] = {}
        self._drawn = QElapsedTimer()
        self._chart_due = QTimer(self)
        self._chart_due.setSingleShot(True)
        self._chart_due.timeout.connect(self._redraw)

        self.total = QLabel("—")
        self.total.setObjectName("pnlTotal")
        self.realised = QLabel("—")
        self.unrealised = QLabel("—")
        numbers = QGridLayout()
        numbers.addWidget(QLabel("Today's P&L"), 0, 0)
        # each number in a box of its own: a new value every poll re-lays out nothing
        numbers.addWidget(SteadyBox(self.total, MONEY_SAMPLE, sample_is_minimum=True), 1, 0, 2, 1)
        numbers.addWidget(QLabel("Realised"), 0, 1)
        numbers.addWidget(SteadyBox(self.realised, MONEY_SAMPLE, sample_is_minimum=True), 1, 1)
        numbers.addWidget(QLabel("Unrealised"), 0, 2)
        numbers.addWidget(SteadyBox(self.unrealised, MONEY_SAMPLE, sample_is_minimum=True), 1, 2)
        self.no_limits = QLabel("No loss limit set (Settings → Risk).")
        self.no_limits.setObjectName("mutedLabel")
        self.consequence = QLabel()
        self.consequence.setObjectName("roomLabel")
        self.consequence.setWordWrap(True)
        self.consequence.setVisible(False)
        set_state(self.consequence, "state", "breached")
        self.limit_rows: dict[LossLimitKind, LimitRow] = {}
        limits = QVBoxLayout()
        limits.setSpacing(2)
        limits.addWidget(self.no_limits)
        for kind in LIMIT_ORDER:
            row = LimitRow(kind)
            row.setVisible(False)
            self.limit_rows[kind] = row
            limits.addWidget(row)
        limits.addWidget(self.consequence)
        self.keep_limit = QCheckBox("Keep the loss limits in view")
        self.keep_limit.setChecked(True)
        self.keep_limit.setToolTip("Off: the chart zooms in on today's P&L line")
        self.keep_limit.toggled.connect(lambda *_: self._fit_y())
        self.chart_holder = QVBoxLayout()
        self.placeholder = QLabel("Chart loading…")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("mutedLabel")
        self.chart_holder.addWidget(self.placeholder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(numbers)
        layout.addLayout(limits)
        layout.addWidget(self.keep_limit)
        layout.addLayout(self.chart_holder, 1)
        bridge.pnl_updated.connect(self.on_pnl)
        self._update_limits()

    # ---- data -------------------------------------------------------------------------------

    @property
    def points(self) -> list[tuple[float, float]]:
        return list(zip(self._times, self._values, strict=True))

    def rooms(self) -> list[LimitRoom]:
        """The loss limits shown, as the risk manager last reported them."""
        return list(self._rooms)

    def row(self, kind: LossLimitKind) -> LimitRow:
        return self.limit_rows[kind]

    def shown_rows(self) -> list[LimitRow]:
        return [row for row in self.limit_rows.values() if not row.isHidden()]

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
            colour = f"color: {self._theme.pnl(amount).name()};"
            if self._colours.get(label) != colour:  # a new style sheet re-styles the label
                self._colours[label] = colour
                label.setStyleSheet(colour)
        stamp = local(event.at).timestamp()
        value = float(event.total)
        if not self._times or stamp - self._times[-1] >= MIN_STEP_S or value != self._values[-1]:
            self._times.append(stamp)
            self._values.append(value)
            if len(self._times) > MAX_POINTS:
                del self._times[: MAX_POINTS // 10]
                del self._values[: MAX_POINTS // 10]
            self._redraw_soon()
        self._update_limits()

    def set_theme(self, theme: ThemeColors) -> None:
        self._theme = theme
        if self._plot is not None:
            self._style_chart()
        if self._last is not None:
            self.on_pnl(self._last)

    def limit_changed(self) -> None:
        """The trader changed the limits: redraw the rows and the lines at once."""
        self._update_limits()

    # ---- limits -----------------------------------------------------------------------------

    def _update_limits(self) -> None:
        self._rooms = self._bridge.limit_rooms()
        by_kind = {room.kind: room for room in self._rooms}
        waiting = self._last is None
        for kind, row in self.limit_rows.items():
            room = by_kind.get(kind)
            row.setVisible(room is not None)
            if room is not None:
                row.show_room(room, waiting=waiting)
        self.no_limits.setVisible(not self._rooms)
        passed = [
            row.sentence
            for row in self.limit_rows.values()
            if not row.isHidden() and row.level is LimitLevel.RED
        ]
        self.consequence.setText(" ".join(passed))
        self.consequence.setVisible(bool(passed))
        self._place_limit_lines()

    # ---- chart ------------------------------------------------------------------------------

    def build_chart(self) -> None:
        """Import pyqtgraph and draw (call after the first paint)."""
        if self._plot is not None:
            return
        import pyqtgraph as pg

        self._pg = pg
        plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        plot.setObjectName("pnlChart")
        plot.setMinimumHeight(CHART_MIN_HEIGHT)
        plot.setMenuEnabled(False)
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setLabel("left", "P&L")
        plot.getPlotItem().setDownsampling(auto=True, mode="peak")
        plot.getPlotItem().setClipToView(True)
        self._plot = plot
        self._curve = plot.plot([], [])
        self._zero_line = pg.InfiniteLine(angle=0, movable=False)
        plot.addItem(self._zero_line)
        for kind in LIMIT_ORDER:
            line = pg.InfiniteLine(
                angle=0,
                movable=False,
                label=" ",
                labelOpts={"position": LABEL_POSITION[kind]},
            )
            line.setVisible(False)
            self._lines[kind] = line
            plot.addItem(line)
        self._warn_line = pg.InfiniteLine(
            angle=0, movable=False, label=" ", labelOpts={"position": WARN_LABEL_POSITION}
        )
        self._warn_line.setVisible(False)
        plot.addItem(self._warn_line)
        self.chart_holder.removeWidget(self.placeholder)
        self.placeholder.deleteLater()
        self.chart_holder.addWidget(plot)
        self._style_chart()
        self._place_limit_lines()
        self._redraw()
        self.chart_ready.emit()

    @property
    def chart_built(self) -> bool:
        return self._plot is not None

    def limit_lines(self) -> dict[LossLimitKind, float]:
        """The P&L level of each limit line drawn on the chart."""
        return {kind: float(line.value()) for kind, line in self._lines.items() if line.isVisible()}

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
        pens = {
            LossLimitKind.DAILY_LOSS: (theme.loss, 2, Qt.PenStyle.DashLine),
            LossLimitKind.TRAILING_LOSS: (theme.warning, 2, Qt.PenStyle.DashDotLine),
            LossLimitKind.MAX_LOSS: (theme.loss, 3, Qt.PenStyle.SolidLine),
        }
        for kind, (colour, width, style) in pens.items():
            line = self._lines[kind]
            line.setPen(pg.mkPen(colour, width=width, style=style))
            if line.label is not None:
                line.label.setColor(colour)
        self._warn_line.setPen(pg.mkPen(theme.warning, width=1, style=Qt.PenStyle.DotLine))
        if self._warn_line.label is not None:
            self._warn_line.label.setColor(theme.warning)

    def _place_limit_lines(self) -> None:
        if self._plot is None:
            return
        by_kind = {room.kind: room for room in self._rooms}
        moved = False
        for kind, line in self._lines.items():
            room = by_kind.get(kind)
            if room is None:
                moved |= self._place(kind, line, None)
            else:
                text = f"{LINE_NAMES[kind]} {_whole(room.floor)}"
                moved |= self._place(kind, line, (float(room.floor), text))
        daily = by_kind.get(LossLimitKind.DAILY_LOSS)
        share = self._bridge.risk_limits.warn_share
        warn = None
        if daily is not None and share is not None:
            warn = (float(daily.floor * share), f"warn {share:.0%}")
        moved |= self._place("warn", self._warn_line, warn)
        if moved:
            self._fit_y()

    def _place(self, key: Any, line: Any, spot: tuple[float, str] | None) -> bool:
        """Show a line at (value, label), or hide it; False when it already was so."""
        shown = (True, *spot) if spot is not None else (False, 0.0, "")
        if self._placed.get(key) == shown:
            return False
        self._placed[key] = shown
        line.setVisible(spot is not None)
        if spot is not None:
            line.setValue(spot[0])
            if line.label is not None:
                line.label.setFormat(spot[1])
        return True

    def _redraw_soon(self) -> None:
        """Redraw now if the chart was last drawn over `CHART_EVERY_MS` ago, else once then."""
        if self._curve is None or self._chart_due.isActive():
            return
        waited = self._drawn.elapsed() if self._drawn.isValid() else CHART_EVERY_MS
        if waited >= CHART_EVERY_MS:
            self._redraw()
        else:
            self._chart_due.start(CHART_EVERY_MS - waited)

    def _redraw(self) -> None:
        if self._curve is None:
            return
        self._chart_due.stop()
        self._drawn.start()
        self._curve.setData(self._times, self._values)
        self._fit_y()

    def _fit_y(self) -> None:
        """Keep the limit lines in view so the trader sees the distance, not just the wiggle."""
        if self._plot is None:
            return
        low = min(self._values, default=0.0)
        high = max(self._values, default=0.0)
        floors = [float(room.floor) for room in self._rooms]
        if floors and self.keep_limit.isChecked():
            lowest = min(floors)
            low = min(low, lowest - abs(lowest) * 0.1)
            high = max(high, *floors, abs(low) * 0.2)
        if high - low < 1.0:
            low, high = low - 1.0, high + 1.0
        self._plot.setYRange(low, high, padding=0.08)
