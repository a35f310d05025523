"""Positions as the broker reports them on each poll: quantity, average, last, P&L, and for
open MIS positions the time left before the broker squares them off (amber under 15
minutes, red under 5), ticking every second."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from trader_gui.domain.enums import Exchange, Product
from trader_gui.engine.events import PnlUpdated, PositionView
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.columns import CellKind, Column, KeyedTableModel
from trader_gui.ui.formatting import signed_money
from trader_gui.ui.market_text import square_off_countdown
from trader_gui.ui.theme import LIGHT, ThemeColors
from trader_gui.ui.widgets import SteadyBox, fit_columns

TOTALS_SAMPLE = (
    "999 open · realised -99,999,999.00 · unrealised -99,999,999.00 · total -99,999,999.00"
)

POSITION_COLUMNS: tuple[Column[PositionView], ...] = (
    Column("symbol", "Symbol", CellKind.TEXT, lambda p: p.symbol),
    Column(
        "quantity", "Qty", CellKind.INT, lambda p: p.quantity, "Net: positive long, negative short"
    ),
    Column("pnl", "P&L", CellKind.SIGNED_MONEY, lambda p: p.pnl, "Realised and unrealised"),
    Column("avg_price", "Avg price", CellKind.PRICE, lambda p: p.avg_price),
    Column("last_price", "Last", CellKind.PRICE, lambda p: p.last_price),
    Column("product", "Product", CellKind.TEXT, lambda p: p.product),
    Column("exchange", "Exch", CellKind.TEXT, lambda p: p.exchange),
)


def position_key(position: PositionView) -> tuple[str, str, str]:
    return (position.exchange, position.symbol, position.product)


class PositionsPanel(QWidget):
    def __init__(self, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("positionsPanel")
        self._theme: ThemeColors = LIGHT
        self._last: PnlUpdated | None = None
        self._bridge = bridge
        square_off = Column(
            "square_off",
            "Square-off",
            CellKind.TEXT,
            lambda p: self.square_off(p)[0],
            "Open MIS positions: time left before the broker squares them off",
        )
        self.model: KeyedTableModel[PositionView] = KeyedTableModel(
            (*POSITION_COLUMNS, square_off), position_key, styler=self._style, parent=self
        )
        self.countdown = QTimer(self)
        self.countdown.setInterval(1_000)
        self.countdown.timeout.connect(self._tick)
        self.show_flat = QCheckBox("Show closed")
        self.show_flat.setToolTip("Positions squared off today, which still carry realised P&L")
        self.show_flat.setChecked(True)
        self.totals = QLabel("Waiting for the first positions poll.")
        self.totals.setObjectName("mutedLabel")
        self.totals.setWordWrap(True)  # never widens the dock
        self.table = QTableView()
        self.table.setObjectName("positionsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        samples = {
            "symbol": "NIFTY01DEC2625500CE",
            "quantity": "-1,300",
            "avg_price": "25,000.05",
            "last_price": "25,000.05",
            "pnl": "+1,00,000.00",
            "product": "NRML",
            "exchange": "NSE",
            "square_off": "auto square-off in 12:34",
        }
        fit_columns(header, {self.model.column_index(k): v for k, v in samples.items()})
        top = QHBoxLayout()
        top.addWidget(SteadyBox(self.totals, TOTALS_SAMPLE), 1)  # new numbers every poll
        top.addWidget(self.show_flat)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table)
        self.show_flat.toggled.connect(self._refilter)
        bridge.pnl_updated.connect(self.on_pnl)

    def set_theme(self, theme: ThemeColors) -> None:
        self._theme = theme
        self.model.refresh_all()

    def on_pnl(self, event: PnlUpdated) -> None:
        self._last = event
        shown = [p for p in event.positions if p.quantity or self.show_flat.isChecked()]
        self.model.sync(shown)
        self._tick()
        open_count = sum(1 for p in event.positions if p.quantity)
        self.totals.setText(
            f"{open_count} open · realised {signed_money(event.realised)} · "
            f"unrealised {signed_money(event.unrealised)} · "
            f"<b>total {signed_money(event.total)}</b>"
        )

    def position(self, exchange: str, symbol: str) -> PositionView | None:
        for record in self.model.records():
            if record.exchange == exchange and record.symbol == symbol and record.quantity:
                return record
        return None

    def square_off(self, position: PositionView) -> tuple[str, str]:
        """(countdown text, level) for an open MIS position; ("", "ok") for any other."""
        if not position.quantity or position.product != Product.MIS.value:
            return "", "ok"
        at = self._bridge.square_off_at(Exchange(position.exchange), Product.MIS)
        if at is None:
            return "", "ok"
        return square_off_countdown(at, self._bridge.now())

    def _tick(self) -> None:
        """Repaint the countdown while an MIS position is open; idle otherwise."""
        counting = any(self.square_off(p)[0] for p in self.model.records())
        if counting:
            column = self.model.column_index("square_off")
            rows = self.model.rowCount()
            self.model.dataChanged.emit(
                self.model.index(0, column), self.model.index(rows - 1, column)
            )
            if not self.countdown.isActive():
                self.countdown.start()
        elif self.countdown.isActive():
            self.countdown.stop()

    def _refilter(self) -> None:
        if self._last is not None:
            self.on_pnl(self._last)

    def _style(self, position: PositionView, column: Column[PositionView], role: int) -> Any:
        if role != Qt.ItemDataRole.ForegroundRole:
            return None
        if not position.quantity:
            return QBrush(QColor(self._theme.muted))
        if column.key == "pnl":
            return QBrush(self._theme.pnl(position.pnl))
        if column.key == "quantity":
            return QBrush(self._theme.pnl(Decimal(position.quantity)))
        if column.key == "square_off":
            level = self.square_off(position)[1]
            if level == "warn":
                return QBrush(QColor(self._theme.warning))
            if level == "bad":
                return QBrush(QColor(self._theme.loss))
        return None
