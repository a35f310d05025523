"""The orders dock: the live table (a ticket's slices grouped under it), its filters, cancel
and modify, CSV export."""

from __future__ import annotations

import csv
import logging
import math
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from trader_gui.domain.enums import OrderStatus
from trader_gui.domain.order import OrderRecord
from trader_gui.domain.transitions import Transition
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.columns import export_text
from trader_gui.ui.modify_dialog import ModifyDialog
from trader_gui.ui.orders_model import (
    OPEN_STATUSES,
    Node,
    OrdersFilter,
    OrdersModel,
    TicketGroup,
)
from trader_gui.ui.tasks import TaskKeeper
from trader_gui.ui.theme import ThemeColors
from trader_gui.ui.widgets import SteadyBox, fit_columns

log = logging.getLogger(__name__)

STATUS_FILTERS: tuple[tuple[str, frozenset[OrderStatus] | None], ...] = (
    ("All statuses", None),
    ("Open", OPEN_STATUSES),
    ("Executed", frozenset({OrderStatus.EXECUTED})),
    ("Failed", frozenset({OrderStatus.FAILED})),
    ("Created", frozenset({OrderStatus.CREATED})),
    ("Sent to broker", frozenset({OrderStatus.SENT_TO_BROKER})),
)
ALL_STRATEGIES = "All strategies"
STRATEGY_CHARS = 12
SEARCH_CHARS = 16
"""The strategy filter's width, in characters."""
COUNT_SAMPLE = "99,999 of 99,999 orders · 9,999 open"
EARLIER_BATCH = 5_000
"""Orders added to the table per click on "Earlier orders"."""
FLUSH_MS = 25
FLUSH_SHARE = 1 / 5
"""In a burst, the largest share of the loop's time that taking updates in may take: a
batch with new rows lays out every row of the table (~30 ms at 5,000 rows under load), so
with a big table the batches are spaced further apart than FLUSH_MS."""
"""Longest an order update waits to be shown while updates pour in (far under a poll)."""
COLUMN_SAMPLES = {
    "time": "00:00:00.000",
    "symbol": "BANKNIFTY29DEC26FUT",
    "side": "SELL",
    "quantity": "10,000",
    "order_type": "MARKET · AMO",
    "price": "25,000.05",
    "trigger_price": "25,000.05",
    "status": "2 of 3 filled, 1 FAILED",
    "broker_status": "TRIGGER_PENDING",
    "filled_qty": "10,000",
    "avg_price": "25,000.05",
    "tag": "Strategy already in position",
    "detail": "Accepted by paper as order 26112500000001 and waiting",
    "strategy": "nifty-scalp",
    "execution_type": "ENTRY",
    "product": "NRML",
    "exchange": "NSE",
    "source": "EXTERNAL · tradingview",
    "command_id": "0MWVNDL9087HPBI5SFPAW",
    "broker_order_id": "26112500000001",
    "ticket_id": "0MWVNDL9087HPBI5SFPAW",
    "updated_at": "00:00:00.000",
}


class OrdersPanel(QWidget):
    order_selected = Signal(object)
    """The OrderRecord now selected (a single order or one slice of a ticket), or None."""
    ticket_selected = Signal(object)
    """The TicketGroup whose row is now selected (its slices are under it)."""
    ticket_changed = Signal(object)
    """A TicketGroup after one of its slices changed (the table already shows it)."""
    status_message = Signal(str)
    table_updated = Signal()
    """The table has taken in a batch of order updates."""
    rows_laid_out = Signal()
    """A batch with new rows has just laid out every row of the table (the costly kind)."""

    def __init__(self, bridge: EngineBridge, tasks: TaskKeeper, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ordersPanel")
        self._bridge = bridge
        self._tasks = tasks
        self._selected_id: str | None = None
        self._selected_ticket: str | None = None
        self._modify_dialogs: dict[str, ModifyDialog] = {}
        self._pending: list[OrderRecord] = []
        self._flushed_at = 0.0
        self._flush_spacing_ms = float(FLUSH_MS)
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self.flush)
        self.model = OrdersModel(self)
        self.proxy = OrdersFilter(self.model, self)

        self.status_filter = QComboBox()
        self.status_filter.setObjectName("statusFilter")
        for label, _ in STATUS_FILTERS:
            self.status_filter.addItem(label)
        self.strategy_filter = QComboBox()
        self.strategy_filter.setObjectName("strategyFilter")
        self.strategy_filter.addItem(ALL_STRATEGIES)
        # As wide as a usual strategy name, not the longest: a new strategy in the list must
        # not lay the window out again (the list itself shows every name in full).
        self.strategy_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.strategy_filter.setMinimumContentsLength(STRATEGY_CHARS)
        self._strategies: set[str] = {ALL_STRATEGIES}
        self.search = QLineEdit()
        self.search.setObjectName("orderSearch")
        self.search.setPlaceholderText("Search id, ticket, symbol, status, reason…")
        # the filter a trader types into most: never squeezed below a symbol and a status
        self.search.setMinimumWidth(self.search.fontMetrics().averageCharWidth() * SEARCH_CHARS)
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel()
        self.count_label.setObjectName("mutedLabel")
        self.cancel_button = QPushButton("Cancel order")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setToolTip(
            "Ask the broker to cancel the selected open order (on a ticket: its open slices)"
        )
        self.modify_button = QPushButton("Modify…")
        self.modify_button.setObjectName("modifyButton")
        self.earlier_button = QPushButton("Earlier orders")
        self.earlier_button.setObjectName("earlierOrdersButton")
        self.earlier_button.setToolTip(
            f"The table starts with today's orders and every open one: show up to "
            f"{EARLIER_BATCH:,} orders from before those"
        )
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Write the orders shown (filters applied) to a CSV file")

        # A tree with two levels: tickets cut at the freeze quantity hold their slices.
        # Uniform row heights keep ten thousand rows as cheap as a table.
        self.table = QTreeView()
        self.table.setObjectName("ordersTable")
        self.table.setModel(self.proxy)
        self.table.setUniformRowHeights(True)
        self.table.setRootIsDecorated(True)
        self.table.setIndentation(14)
        self.table.setAllColumnsShowFocus(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setExpandsOnDoubleClick(True)
        header = self.table.header()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        fit_columns(
            header,
            {self.model.column_index(key): text for key, text in COLUMN_SAMPLES.items()},
            bold={self.model.column_index("status")},
        )
        time_column = self.model.column_index("time")
        # a slice's time sits two indents in: the ticket's arrow, then its own
        header.resizeSection(
            time_column, header.sectionSize(time_column) + 2 * self.table.indentation()
        )
        self.table.sortByColumn(time_column, Qt.SortOrder.DescendingOrder)

        filters = QHBoxLayout()
        filters.addWidget(self.status_filter)
        filters.addWidget(self.strategy_filter)
        filters.addWidget(self.search, 1)
        filters.addWidget(SteadyBox(self.count_label, COUNT_SAMPLE))
        filters.addSpacing(12)
        filters.addWidget(self.cancel_button)
        filters.addWidget(self.modify_button)
        filters.addWidget(self.earlier_button)
        filters.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addWidget(self.table)

        self.status_filter.currentIndexChanged.connect(self._status_filter_changed)
        self.strategy_filter.currentTextChanged.connect(self._strategy_filter_changed)
        self.search.textChanged.connect(self._search_changed)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(self._double_clicked)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.modify_button.clicked.connect(self.modify_selected)
        self.export_button.clicked.connect(self.choose_export_path)
        self.earlier_button.clicked.connect(self.load_earlier)
        bridge.order_updated.connect(self.on_order_updated)
        self._update_buttons()
        self._update_count()

    # ---- data -------------------------------------------------------------------------------

    def load(self, records: list[OrderRecord]) -> None:
        self.flush()  # live updates first: for an order in both, load keeps the later step
        self.model.load(records)
        self._refresh_strategies()
        self._update_count()
        self._update_buttons()

    def load_earlier(self) -> None:
        """Up to EARLIER_BATCH more orders, the newest of those not shown yet."""
        self.earlier_button.setEnabled(False)
        self._tasks.spawn(self._load_earlier(), name="earlier orders")

    async def _load_earlier(self) -> None:
        try:
            # The newest (shown + batch): the shown ones come back too and are kept as they are.
            records = await self._bridge.orders(limit=self.model.order_count() + EARLIER_BATCH)
            self.flush()
            added = self.model.load(records)
            self._refresh_strategies()
            self._update_count()
            self.status_message.emit(
                f"Showing {added:,} earlier orders." if added else "No earlier orders."
            )
        finally:
            self.earlier_button.setEnabled(True)

    def on_order_updated(self, record: OrderRecord, transition: Transition) -> None:
        """Taken into the table at once when the table is quiet; in a burst, gathered and
        taken in together every FLUSH_MS, or further apart when batches cost more than
        FLUSH_SHARE of the time (one insert and one layout per batch, not per order: per
        order, the window fell ten times behind the engine)."""
        self._pending.append(record)
        if self._flush_timer.isActive():
            return
        wait_ms = self._flush_spacing_ms - (time.monotonic() - self._flushed_at) * 1000
        if wait_ms <= 0:
            self.flush()
        else:
            self._flush_timer.start(math.ceil(wait_ms))

    def flush(self) -> None:
        """Show every update received so far (selection and searches call it first)."""
        self._flush_timer.stop()
        started = self._flushed_at = time.monotonic()
        records, self._pending = self._pending, []
        if not records:
            return
        added = self.model.upsert_many(records)
        for record in added:
            self._add_strategy(record.command.strategy)
        if added:  # the layout Qt would run next, run now to be counted in the batch's cost
            self.table.doItemsLayout()
        took_ms = (time.monotonic() - started) * 1000
        self._flush_spacing_ms = max(FLUSH_MS, took_ms / FLUSH_SHARE - took_ms)
        self._update_count()
        if added:
            self.rows_laid_out.emit()
        tickets: dict[str, None] = {}
        for record in records:
            if record.command_id == self._selected_id:
                self._update_buttons()
                self.order_selected.emit(self.model.get(record.command_id))
            if record.command.ticket_id is not None:
                tickets[record.command.ticket_id] = None
        for ticket_id in tickets:
            if ticket_id == self._selected_ticket:
                self._update_buttons()
            self.ticket_changed.emit(self.model.ticket(ticket_id))
        self.table_updated.emit()

    def set_theme(self, theme: ThemeColors) -> None:
        self.model.set_theme(theme)

    def selected(self) -> OrderRecord | None:
        """The selected order (a single one or a slice); None when a ticket row is selected."""
        if self._selected_id is None:
            return None
        return self.model.get(self._selected_id)

    def selected_ticket(self) -> TicketGroup | None:
        if self._selected_ticket is None:
            return None
        return self.model.ticket(self._selected_ticket)

    def select(self, command_id: str) -> bool:
        """Select an order's row, or a ticket's row by its id (clearing filters that hide it,
        opening its ticket), and scroll to it."""
        self.flush()
        source = self.model.index_of(command_id)
        if not source.isValid():
            return False
        index = self.proxy.mapFromSource(source)
        if not index.isValid():
            self.status_filter.setCurrentIndex(0)
            self.strategy_filter.setCurrentIndex(0)
            self.search.clear()
            index = self.proxy.mapFromSource(source)
        if index.parent().isValid():
            self.table.expand(index.parent())
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    # ---- filters ----------------------------------------------------------------------------

    def _status_filter_changed(self, number: int) -> None:
        self.proxy.set_statuses(STATUS_FILTERS[number][1])
        self._filters_changed()

    def _strategy_filter_changed(self, text: str) -> None:
        self.proxy.set_strategy(None if text == ALL_STRATEGIES else text)
        self._filters_changed()

    def _search_changed(self, text: str) -> None:
        self.proxy.set_search(text)
        self._filters_changed()

    def _filters_changed(self) -> None:
        if self.proxy.filtering:
            self.table.expandAll()  # the slices that match are what the trader looks for
        self._update_count()

    def _refresh_strategies(self) -> None:
        for strategy in self.model.strategies():
            self._add_strategy(strategy)

    def _add_strategy(self, strategy: str) -> None:
        if strategy not in self._strategies:
            self._strategies.add(strategy)
            self.strategy_filter.addItem(strategy)

    def _update_count(self, *_: object) -> None:
        shown, total = self.proxy.shown_count(), self.model.order_count()
        open_orders = self.model.open_count()
        text = f"{shown:,} of {total:,} orders" if shown != total else f"{total:,} orders"
        self.count_label.setText(f"{text} · {open_orders} open")

    # ---- selection and actions --------------------------------------------------------------

    def _selection_changed(self, *_: object) -> None:
        rows = self.table.selectionModel().selectedRows()
        node = self.proxy.node_at(rows[0]) if rows else None
        self._show_selected(node)

    def _show_selected(self, node: Node | None) -> None:
        if isinstance(node, TicketGroup):
            self._selected_id = None
            self._selected_ticket = node.ticket_id
            self._update_buttons()
            self.ticket_selected.emit(node)
            return
        self._selected_ticket = None
        self._selected_id = node.command_id if node is not None else None
        self._update_buttons()
        self.order_selected.emit(node)

    def _update_buttons(self) -> None:
        ticket = self.selected_ticket()
        if ticket is not None:
            count = ticket.open_count
            self.cancel_button.setText(f"Cancel {count} open slices" if count else "Cancel order")
            self.cancel_button.setEnabled(count > 0)
            self.modify_button.setEnabled(False)
            return
        self.cancel_button.setText("Cancel order")
        record = self.selected()
        cancellable = record is not None and record.is_open
        self.cancel_button.setEnabled(cancellable)
        self.modify_button.setEnabled(
            cancellable and record is not None and record.broker_order_id is not None
        )

    def _double_clicked(self, index: QModelIndex) -> None:
        node = self.proxy.node_at(index)
        if isinstance(node, OrderRecord) and node.is_open and node.broker_order_id:
            self.open_modify(node)

    def _context_menu(self, point: QPoint) -> None:
        index = self.table.indexAt(point)
        if not index.isValid():
            return
        node = self.proxy.node_at(index)
        if node is None:
            return
        menu = QMenu(self)
        if isinstance(node, TicketGroup):
            self.select(node.ticket_id)
            count = node.open_count
            cancel = QAction(f"Cancel the ticket's open slices ({count})", menu)
            cancel.setEnabled(count > 0)
            cancel.triggered.connect(lambda: self.cancel_ticket(node.ticket_id))
            menu.addAction(cancel)
            menu.addSeparator()
            copy_ticket = QAction("Copy ticket id", menu)
            copy_ticket.triggered.connect(
                lambda: QGuiApplication.clipboard().setText(node.ticket_id)
            )
            menu.addAction(copy_ticket)
            menu.popup(self.table.viewport().mapToGlobal(point))
            return
        record = node
        self.select(record.command_id)
        cancel = QAction("Cancel order", menu)
        cancel.setEnabled(record.is_open)
        cancel.triggered.connect(lambda: self.cancel(record.command_id))
        modify = QAction("Modify…", menu)
        modify.setEnabled(record.is_open and record.broker_order_id is not None)
        modify.triggered.connect(lambda: self.open_modify(record))
        copy_id = QAction("Copy command id", menu)
        copy_id.triggered.connect(lambda: QGuiApplication.clipboard().setText(record.command_id))
        copy_detail = QAction("Copy detail", menu)
        copy_detail.triggered.connect(lambda: QGuiApplication.clipboard().setText(record.detail))
        for action in (cancel, modify):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(copy_id)
        menu.addAction(copy_detail)
        menu.popup(self.table.viewport().mapToGlobal(point))

    def cancel_selected(self) -> None:
        ticket = self.selected_ticket()
        if ticket is not None:
            self.cancel_ticket(ticket.ticket_id)
            return
        record = self.selected()
        if record is not None:
            self.cancel(record.command_id)

    def cancel(self, command_id: str) -> None:
        """Cancels are never blocked and never asked twice: being unable to cancel is worse."""
        self.status_message.emit(f"Cancelling {command_id}…")
        self._tasks.spawn(self._cancel(command_id), name=f"cancel {command_id}")

    async def _cancel(self, command_id: str) -> None:
        result = await self._bridge.cancel(command_id)
        self.status_message.emit(result.sentence)

    def cancel_ticket(self, ticket_id: str) -> None:
        """Cancel every slice of a ticket still open, one after the other."""
        ticket = self.model.ticket(ticket_id)
        if ticket is None:
            return
        open_ids = [child.command_id for child in ticket.open_children()]
        if not open_ids:
            return
        self.status_message.emit(f"Cancelling {len(open_ids)} open slices of ticket {ticket_id}…")
        self._tasks.spawn(self._cancel_all(ticket_id, open_ids), name=f"cancel ticket {ticket_id}")

    async def _cancel_all(self, ticket_id: str, command_ids: list[str]) -> None:
        results = [await self._bridge.cancel(command_id) for command_id in command_ids]
        refused = [result.sentence for result in results if not result.ok]
        sent = len(results) - len(refused)
        text = f"Ticket {ticket_id}: cancel sent for {sent} of {len(results)} open slices."
        self.status_message.emit(f"{text} {' '.join(refused)}".rstrip())

    def modify_selected(self) -> None:
        record = self.selected()
        if record is not None:
            self.open_modify(record)

    def open_modify(self, record: OrderRecord) -> ModifyDialog:
        existing = self._modify_dialogs.get(record.command_id)
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            return existing
        instrument = self._bridge.catalog.get(record.command.exchange, record.command.symbol)
        dialog = ModifyDialog(record, instrument, self)
        dialog.modify_requested.connect(self._modify)
        dialog.destroyed.connect(lambda *_: self._modify_dialogs.pop(record.command_id, None))
        self._modify_dialogs[record.command_id] = dialog
        dialog.show()
        return dialog

    def _modify(
        self,
        command_id: str,
        quantity: int | None,
        price: Decimal | None,
        trigger: Decimal | None,
    ) -> None:
        self._tasks.spawn(
            self._send_modify(command_id, quantity, price, trigger), name=f"modify {command_id}"
        )

    async def _send_modify(
        self,
        command_id: str,
        quantity: int | None,
        price: Decimal | None,
        trigger: Decimal | None,
    ) -> None:
        result = await self._bridge.modify(
            command_id, quantity=quantity, price=price, trigger_price=trigger
        )
        self.status_message.emit(result.sentence)
        dialog = self._modify_dialogs.get(command_id)
        if dialog is not None:
            dialog.show_result(result.sentence, ok=result.ok)

    def close_dialogs(self) -> None:
        for dialog in list(self._modify_dialogs.values()):
            dialog.close()

    # ---- export -----------------------------------------------------------------------------

    def choose_export_path(self) -> QFileDialog:
        """A non-blocking save dialog; the file is written when a name is chosen."""
        dialog = QFileDialog(self, "Export orders to CSV")
        dialog.setObjectName("exportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        dialog.selectFile(f"orders-{datetime.now():%Y%m%d-%H%M%S}.csv")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self._export_chosen)
        dialog.open()
        return dialog

    def _export_chosen(self, path: str) -> None:
        try:
            count = self.export_csv(Path(path))
        except OSError as error:
            self.status_message.emit(f"Could not write {path}: {error.strerror or error}")
            return
        self.status_message.emit(f"Exported {count:,} orders to {path}.")

    def export_csv(self, path: Path) -> int:
        """Write the orders shown (a ticket's slices, not its summary row), in the order shown,
        every column, exact values."""
        self.flush()
        columns = self.model.columns
        records = self.proxy.shown_orders()
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([column.key for column in columns])
            for record in records:
                writer.writerow([export_text(column.value(record)) for column in columns])
        log.info("exported %d orders to %s", len(records), path)
        return len(records)
