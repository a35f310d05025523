"""Today's blocked orders (stopped in step 2, never sent) with the sentence why, newest first,
and how many per reason."""

from __future__ import annotations

import html
from collections import Counter
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from trader_gui.domain.enums import BLOCKER_TAGS, OrderStatus, Tag
from trader_gui.domain.market_time import trading_day_start
from trader_gui.domain.order import OrderRecord
from trader_gui.domain.transitions import Transition
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.columns import CellKind, Column, KeyedTableModel
from trader_gui.ui.formatting import clock_ms
from trader_gui.ui.tasks import TaskKeeper
from trader_gui.ui.theme import LIGHT, ThemeColors
from trader_gui.ui.widgets import fit_columns

BLOCKER_ORDER = (
    Tag.KILL_SWITCH_ACTIVE,
    Tag.RISK_LIMITS_EXCEEDED,
    Tag.EXECUTION_GUARD_BLOCKED,
    Tag.DUPLICATE_ORDER_BLOCKED,
    Tag.MARKET_CLOSED,
    Tag.MIS_CUTOFF,
    Tag.VALIDATION_FAILED,
)

BLOCKER_COLUMNS: tuple[Column[OrderRecord], ...] = (
    Column("time", "Time", CellKind.TIME, lambda r: r.created_at),
    Column("tag", "Reason", CellKind.TAG, lambda r: r.tag),
    Column("detail", "Why", CellKind.DETAIL, lambda r: r.detail),
    Column("symbol", "Symbol", CellKind.TEXT, lambda r: r.command.symbol),
    Column("side", "Side", CellKind.SIDE, lambda r: r.command.side),
    Column("quantity", "Qty", CellKind.INT, lambda r: r.command.quantity),
    Column("execution_type", "Entry/exit", CellKind.TEXT, lambda r: r.command.execution_type),
    Column("strategy", "Strategy", CellKind.TEXT, lambda r: r.command.strategy),
    Column("command_id", "Command id", CellKind.TEXT, lambda r: r.command_id),
)


def is_blocked(record: OrderRecord) -> bool:
    return record.status is OrderStatus.FAILED and record.tag in BLOCKER_TAGS


class BlockersPanel(QWidget):
    order_chosen = Signal(str)
    """A command_id the trader double-clicked: the window shows it in the orders table."""

    def __init__(self, bridge: EngineBridge, tasks: TaskKeeper, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("blockersPanel")
        self._bridge = bridge
        self._tasks = tasks
        self._theme: ThemeColors = LIGHT
        self._day_start: datetime = trading_day_start(bridge.now())
        self.counts: Counter[Tag] = Counter()
        self.model: KeyedTableModel[OrderRecord] = KeyedTableModel(
            BLOCKER_COLUMNS,
            lambda r: r.command_id,
            styler=self._style,
            newest_on_top=True,
            parent=self,
        )
        self.total_label = QLabel()
        self.total_label.setObjectName("blockerTotal")
        self.count_labels: dict[Tag, QLabel] = {}
        chips = QHBoxLayout()
        chips.addWidget(self.total_label)
        for tag in BLOCKER_ORDER:
            label = QLabel()
            label.setObjectName("blockerChip")
            label.setToolTip(str(tag))
            self.count_labels[tag] = label
            chips.addWidget(label)
        chips.addStretch(1)
        self.table = QTableView()
        self.table.setObjectName("blockersTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        samples = {
            "time": "00:00:00.000",
            "tag": "Strategy already in position",
            "detail": "Kill switch is on since 09:15:00 UTC, set by trader: no new ENTRY orders",
            "symbol": "NIFTY01DEC2625500CE",
            "side": "SELL",
            "quantity": "10,000",
            "execution_type": "ENTRY",
            "strategy": "nifty-scalp",
        }
        fit_columns(header, {self.model.column_index(k): v for k, v in samples.items()})
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.sentence = QLabel()
        self.sentence.setObjectName("blockerSentence")
        self.sentence.setWordWrap(True)
        self.sentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addLayout(chips)
        layout.addWidget(self.sentence)
        layout.addWidget(self.table)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.selectionModel().currentRowChanged.connect(self._show_sentence)
        self.model.rowsInserted.connect(lambda *_: self._show_sentence())
        bridge.order_updated.connect(self.on_order_updated)
        self._day_timer = QTimer(self)
        self._day_timer.setInterval(60_000)
        self._day_timer.timeout.connect(self._check_new_day)
        self._day_timer.start()
        self._update_counts()
        self._show_sentence()  # hidden until there is a blocked order to explain

    def set_theme(self, theme: ThemeColors) -> None:
        self._theme = theme
        self.model.refresh_all()

    def load(self, records: list[OrderRecord]) -> None:
        """Today's blocked orders as read at start (newest first)."""
        fresh = [
            r for r in reversed(records) if is_blocked(r) and self.model.get(r.command_id) is None
        ]
        self.model.extend(fresh)
        for record in fresh:
            self.counts[record.tag] += 1  # type: ignore[index]
        self._update_counts()

    def on_order_updated(self, record: OrderRecord, transition: Transition) -> None:
        if not is_blocked(record) or record.created_at < self._day_start:
            return
        if self.model.upsert(record):
            self.counts[record.tag] += 1  # type: ignore[index]
            self._update_counts()

    def stop(self) -> None:
        self._day_timer.stop()

    def _check_new_day(self) -> None:
        day_start = trading_day_start(self._bridge.now())
        if day_start != self._day_start:
            self._day_start = day_start
            self.model.clear()
            self.counts.clear()
            self._update_counts()
            self._show_sentence()

    def _update_counts(self) -> None:
        total = sum(self.counts.values())
        self.total_label.setText(
            f"<b>{total}</b> blocked today" if total else "No order blocked today"
        )
        for tag, label in self.count_labels.items():
            count = self.counts.get(tag, 0)
            label.setText(f"{tag.label}: <b>{count}</b>")
            label.setVisible(count > 0)

    def _show_sentence(self, *_: object) -> None:
        """The selected (else the newest) blocked order's full sentence, wrapped."""
        current = self.table.selectionModel().currentIndex()
        row = current.row() if current.isValid() else 0
        if self.model.rowCount() == 0:
            self.sentence.setText("")
            self.sentence.setVisible(False)
            return
        record = self.model.record(row)
        when = clock_ms(record.created_at)
        label = record.tag.label if record.tag else ""
        self.sentence.setText(
            f"<b>{label}</b> · {when} · {record.command.side} {record.command.quantity} "
            f"{record.command.symbol}<br>{html.escape(record.detail)}"
        )
        self.sentence.setVisible(True)

    def _double_clicked(self, index: QModelIndex) -> None:
        self.order_chosen.emit(self.model.record(index.row()).command_id)

    def _style(self, record: OrderRecord, column: Column[OrderRecord], role: int) -> Any:
        if role != Qt.ItemDataRole.ForegroundRole:
            return None
        if column.kind is CellKind.TAG:
            return QBrush(QColor(self._theme.failed))
        if column.kind is CellKind.SIDE:
            return QBrush(self._theme.side(record.command.side))
        return None
