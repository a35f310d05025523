"""The orders table: one row per command_id, changed in place as each step is committed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from trader_gui.domain.enums import OrderStatus
from trader_gui.domain.order import OrderRecord
from trader_gui.ui.columns import SORT_ROLE, CellKind, Column, KeyedTableModel
from trader_gui.ui.theme import LIGHT, ThemeColors

ORDER_COLUMNS: tuple[Column[OrderRecord], ...] = (
    Column("time", "Time", CellKind.TIME, lambda r: r.created_at, "When the ticket was registered"),
    Column("symbol", "Symbol", CellKind.TEXT, lambda r: r.command.symbol),
    Column("side", "Side", CellKind.SIDE, lambda r: r.command.side),
    Column("quantity", "Qty", CellKind.INT, lambda r: r.command.quantity, "Quantity in units"),
    Column("order_type", "Type", CellKind.TEXT, lambda r: r.command.order_type),
    Column("price", "Price", CellKind.PRICE, lambda r: r.command.price),
    Column("trigger_price", "Trigger", CellKind.PRICE, lambda r: r.command.trigger_price),
    Column("status", "Status", CellKind.STATUS, lambda r: r.status),
    Column(
        "broker_status",
        "Broker status",
        CellKind.TEXT,
        lambda r: r.broker_status,
        "The broker's live word for the order",
    ),
    Column("filled_qty", "Filled", CellKind.INT, lambda r: r.filled_qty),
    Column("avg_price", "Avg price", CellKind.PRICE, lambda r: r.avg_price),
    Column("tag", "Tag", CellKind.TAG, lambda r: r.tag, "Why the order has its status"),
    Column("detail", "Detail", CellKind.DETAIL, lambda r: r.detail),
    Column("strategy", "Strategy", CellKind.TEXT, lambda r: r.command.strategy),
    Column("execution_type", "Entry/exit", CellKind.TEXT, lambda r: r.command.execution_type),
    Column("product", "Product", CellKind.TEXT, lambda r: r.command.product),
    Column("exchange", "Exch", CellKind.TEXT, lambda r: r.command.exchange),
    Column("source", "Source", CellKind.TEXT, lambda r: r.command.source),
    Column(
        "command_id",
        "Command id",
        CellKind.TEXT,
        lambda r: r.command_id,
        "The order's id, and its tag at the broker",
    ),
    Column("broker_order_id", "Broker id", CellKind.TEXT, lambda r: r.broker_order_id),
    Column("updated_at", "Updated", CellKind.TIME, lambda r: r.updated_at, "Time of the last step"),
)


def newer(current: OrderRecord, loaded: OrderRecord) -> OrderRecord:
    """Of two versions of one order, the later step (a live event may beat the history read)."""
    return loaded if loaded.updated_at > current.updated_at else current


class OrdersModel(KeyedTableModel[OrderRecord]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(ORDER_COLUMNS, lambda r: r.command_id, styler=self._style, parent=parent)
        self.theme: ThemeColors = LIGHT
        self._bold = QFont()
        self._bold.setBold(True)

    def load(self, records: Iterable[OrderRecord]) -> int:
        """History at start: one insert for every order not seen yet."""
        return self.extend(records, prefer=newer)

    def set_theme(self, theme: ThemeColors) -> None:
        self.theme = theme
        self.refresh_all()

    def strategies(self) -> list[str]:
        return sorted({record.command.strategy for record in self.records()})

    def open_count(self) -> int:
        return sum(1 for record in self.records() if record.is_open)

    def _style(self, record: OrderRecord, column: Column[OrderRecord], role: int) -> Any:
        kind = column.kind
        if kind is CellKind.STATUS:
            colour = self.theme.status(record.status, record.broker_status)
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(colour)
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor("#ffffff"))
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            return None
        if role != Qt.ItemDataRole.ForegroundRole:
            return None
        if kind is CellKind.SIDE:
            return QBrush(self.theme.side(record.command.side))
        if kind in (CellKind.TAG, CellKind.DETAIL) and record.status is OrderStatus.FAILED:
            return QBrush(QColor(self.theme.failed))
        return None


OPEN_STATUSES = frozenset({OrderStatus.CREATED, OrderStatus.SENT_TO_BROKER})


class OrdersFilter(QSortFilterProxyModel):
    """Filters by status, strategy and a search text; sorts on raw values (newest first)."""

    def __init__(self, source: OrdersModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._orders = source
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self._statuses: frozenset[OrderStatus] | None = None
        self._strategy: str | None = None
        self._words: list[str] = []

    def set_statuses(self, statuses: Iterable[OrderStatus] | None) -> None:
        self._change(
            lambda: setattr(self, "_statuses", None if statuses is None else frozenset(statuses))
        )

    def set_strategy(self, strategy: str | None) -> None:
        self._change(lambda: setattr(self, "_strategy", strategy or None))

    def set_search(self, text: str) -> None:
        self._change(lambda: setattr(self, "_words", text.lower().split()))

    def filterAcceptsRow(  # noqa: N802
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        record = self._orders.record(source_row)
        if self._statuses is not None and record.status not in self._statuses:
            return False
        if self._strategy is not None and record.command.strategy != self._strategy:
            return False
        if self._words:
            haystack = " ".join(
                str(part)
                for part in (
                    record.command_id,
                    record.command.symbol,
                    record.command.side,
                    record.command.strategy,
                    record.status,
                    record.broker_status or "",
                    record.broker_order_id or "",
                    record.tag or "",
                    record.tag.label if record.tag else "",
                    record.detail,
                )
            ).lower()
            return all(word in haystack for word in self._words)
        return True

    def record_at(self, proxy_row: int) -> OrderRecord:
        source = self.mapToSource(self.index(proxy_row, 0))
        return self._orders.record(source.row())

    def _change(self, apply: Any) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            apply()
            self.invalidateRowsFilter()
