"""The orders table: one row per order, changed in place as each step is committed.

A ticket cut at the freeze quantity goes out as several orders that share its `ticket_id`;
they sit under one ticket row whose status sums theirs ("3/3 EXECUTED", "2 of 3 filled,
1 FAILED"). Two levels only: top-level rows are single orders and tickets, a ticket's children
are its slices. Every row is keyed, so a new order is one insert and a changed order one
`dataChanged` for its row (and its ticket's row), never a reset: ten thousand rows keep their
selection, scroll position and sort while orders move.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from trader_gui.domain.enums import UNKNOWN_OUTCOME, OrderStatus, Tag
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.ui.columns import (
    SORT_ROLE,
    STYLE_ROLES,
    CellKind,
    Column,
    Index,
    cell_data,
    header_data,
)
from trader_gui.ui.formatting import source_text
from trader_gui.ui.theme import LIGHT, ThemeColors

ORDER_COLUMNS: tuple[Column[OrderRecord], ...] = (
    Column("time", "Time", CellKind.TIME, lambda r: r.created_at, "When the ticket was registered"),
    Column("symbol", "Symbol", CellKind.TEXT, lambda r: r.command.symbol),
    Column("side", "Side", CellKind.SIDE, lambda r: r.command.side),
    Column("quantity", "Qty", CellKind.INT, lambda r: r.command.quantity, "Quantity in units"),
    Column(
        "order_type",
        "Type",
        CellKind.TEXT,
        lambda r: f"{r.command.order_type} · AMO" if r.amo else r.command.order_type,
        "Order type; AMO: an after-market order, held by the broker until the exchange opens",
    ),
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
    Column("source", "Source", CellKind.TEXT, lambda r: source_text(r.command)),
    Column(
        "command_id",
        "Command id",
        CellKind.TEXT,
        lambda r: r.command_id,
        "The order's id, and its tag at the broker",
    ),
    Column("broker_order_id", "Broker id", CellKind.TEXT, lambda r: r.broker_order_id),
    Column(
        "ticket_id",
        "Ticket",
        CellKind.TEXT,
        lambda r: r.command.ticket_id,
        "The ticket a slice belongs to (tickets above the freeze quantity go as several orders)",
    ),
    Column("updated_at", "Updated", CellKind.TIME, lambda r: r.updated_at, "Time of the last step"),
)


def newer(current: OrderRecord, loaded: OrderRecord) -> OrderRecord:
    """Of two versions of one order, the later step (a live event may beat the history read)."""
    return loaded if loaded.updated_at > current.updated_at else current


def ticket_status(children: Iterable[OrderRecord]) -> str:
    """A ticket's status from its slices: "3/3 EXECUTED", "2 of 3 filled, 1 FAILED",
    "1 of 3 filled, 2 open", "2/2 FAILED"."""
    statuses = [child.status for child in children]
    total = len(statuses)
    executed = statuses.count(OrderStatus.EXECUTED)
    failed = statuses.count(OrderStatus.FAILED)
    still_open = total - executed - failed
    if executed == total:
        return f"{total}/{total} EXECUTED"
    if failed == total:
        return f"{total}/{total} FAILED"
    if still_open == total:
        return f"{total}/{total} open"
    parts = [f"{executed} of {total} filled"]
    if failed:
        parts.append(f"{failed} FAILED")
    if still_open:
        parts.append(f"{still_open} open")
    return ", ".join(parts)


class TicketGroup:
    """A ticket sliced at the freeze quantity: its slices, and what they add up to."""

    __slots__ = (
        "avg_price",
        "children",
        "colour_status",
        "created_at",
        "detail",
        "filled_qty",
        "open_count",
        "quantity",
        "serial",
        "status_text",
        "tag",
        "ticket_id",
        "unknown",
        "updated_at",
    )

    def __init__(self, ticket_id: str, serial: int) -> None:
        self.ticket_id = ticket_id
        self.serial = serial
        """The internal id of its children's model indexes (never 0, which is the top level)."""
        self.children: list[OrderRecord] = []
        self._summarise()

    @property
    def key(self) -> tuple[str, str]:
        return ("ticket", self.ticket_id)

    @property
    def command(self) -> OrderCommand:
        """The first slice's command: symbol, side, type, strategy are the ticket's."""
        return self.children[0].command

    @property
    def is_open(self) -> bool:
        return self.open_count > 0

    def open_children(self) -> list[OrderRecord]:
        return [child for child in self.children if child.is_open]

    def row_of(self, command_id: str) -> int | None:
        for row, child in enumerate(self.children):
            if child.command_id == command_id:
                return row
        return None

    def position(self, command_id: str) -> str:
        """`slice 2 of 3`, in the order the slices were registered."""
        ordered = sorted(self.children, key=lambda child: child.created_at)
        for number, child in enumerate(ordered, start=1):
            if child.command_id == command_id:
                return f"slice {number} of {len(ordered)}"
        return f"one of {len(ordered)} slices"

    def add(self, record: OrderRecord) -> int:
        self.children.append(record)
        self._summarise()
        return len(self.children) - 1

    def replace(self, row: int, record: OrderRecord) -> None:
        self.children[row] = record
        self._summarise()

    def _summarise(self) -> None:
        children = self.children
        self.status_text = ticket_status(children) if children else ""
        self.quantity = sum(child.command.quantity for child in children)
        self.filled_qty = sum(child.filled_qty for child in children)
        filled = [c for c in children if c.filled_qty and c.avg_price is not None]
        weight = sum(c.filled_qty for c in filled)
        self.avg_price: Decimal | None = (
            sum((c.avg_price * c.filled_qty for c in filled), Decimal(0)) / weight  # type: ignore[operator]
            if weight
            else None
        )
        if self.avg_price is not None:
            self.avg_price = self.avg_price.quantize(Decimal("0.01"))
        self.created_at: datetime | None = min((c.created_at for c in children), default=None)
        self.updated_at: datetime | None = max((c.updated_at for c in children), default=None)
        self.open_count = sum(1 for c in children if c.is_open)
        self.unknown = any(c.is_open and c.broker_status == UNKNOWN_OUTCOME for c in children)
        failed = [c for c in children if c.status is OrderStatus.FAILED]
        self.tag: Tag | None = failed[0].tag if failed else None
        detail = f"Sliced at the freeze quantity into {len(children)} orders."
        if failed:
            detail += f" {self.position(failed[0].command_id).capitalize()}: {failed[0].detail}"
        self.detail = detail
        if children and all(c.status is OrderStatus.EXECUTED for c in children):
            self.colour_status = OrderStatus.EXECUTED
        elif failed:
            self.colour_status = OrderStatus.FAILED
        elif children and all(c.status is OrderStatus.CREATED for c in children):
            self.colour_status = OrderStatus.CREATED
        else:
            self.colour_status = OrderStatus.SENT_TO_BROKER


Node = OrderRecord | TicketGroup

GROUP_VALUES: dict[str, Callable[[TicketGroup], Any]] = {
    "time": lambda g: g.created_at,
    "quantity": lambda g: g.quantity,
    "status": lambda g: g.status_text,
    "broker_status": lambda g: UNKNOWN_OUTCOME if g.unknown else None,
    "filled_qty": lambda g: g.filled_qty,
    "avg_price": lambda g: g.avg_price,
    "tag": lambda g: g.tag,
    "detail": lambda g: g.detail,
    "command_id": lambda g: g.ticket_id,
    "broker_order_id": lambda g: None,
    "ticket_id": lambda g: g.ticket_id,
    "updated_at": lambda g: g.updated_at,
}
"""A ticket row's cells that sum or describe its slices; the others are its first slice's."""


def order_key(value: Any) -> tuple[Any, ...]:
    """A sort key every cell value has, comparable across rows: empty cells first, then
    numbers and times by value, then text."""
    if value is None:
        return (0,)
    if isinstance(value, datetime):
        return (1, value.timestamp())
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return (1, float(value))
    if isinstance(value, Enum):
        return (2, str(value.value))
    return (2, str(value))


def node_value(column: Column[OrderRecord], node: Node) -> Any:
    if isinstance(node, TicketGroup):
        special = GROUP_VALUES.get(column.key)
        return special(node) if special is not None else column.value(node.children[0])
    return column.value(node)


class OrdersModel(QAbstractItemModel):
    """Single orders and tickets at the top level; a ticket's slices under it.

    `flags` is Qt's own (every row enabled and selectable); the view asks the proxy's.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = ORDER_COLUMNS
        self._column_count = len(self.columns)
        self.theme: ThemeColors = LIGHT
        self._bold = QFont()
        self._bold.setBold(True)
        self._top: list[Node] = []
        self._top_row: dict[object, int] = {}
        """command_id of a single order, or ("ticket", ticket_id): its top-level row."""
        self._where: dict[str, TicketGroup | None] = {}
        """Every order: the ticket it sits under, or None at the top level."""
        self._groups: dict[int, TicketGroup] = {}
        self._open = 0
        self._rows: dict[str, RenderedRow] = {}
        """The cells of the orders a view has painted, per command_id (the latest version)."""

    # ---- the Qt model -----------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        # Bounds checked here rather than by hasIndex(): the proxy asks for every row, and two
        # calls back into Python per index would double the cost of sorting ten thousand rows.
        if row < 0 or not 0 <= column < self._column_count:
            return QModelIndex()
        if not parent.isValid():
            if row >= len(self._top):
                return QModelIndex()
            return self.createIndex(row, column, 0)
        if parent.internalId() != 0 or parent.column() != 0:
            return QModelIndex()
        group = self._top[parent.row()]
        if not isinstance(group, TicketGroup) or row >= len(group.children):
            return QModelIndex()
        return self.createIndex(row, column, group.serial)

    def parent(self, child: Index | None = None) -> Any:  # type: ignore[override]
        if child is None:  # QObject.parent()
            return super().parent()
        if not child.isValid() or child.internalId() == 0:
            return QModelIndex()
        group = self._groups.get(child.internalId())
        if group is None:
            return QModelIndex()
        return self.createIndex(self._top_row[group.key], 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        if not parent.isValid():
            return len(self._top)
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        node = self._top[parent.row()]
        return len(node.children) if isinstance(node, TicketGroup) else 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """A view asks for seven roles of every cell it paints, through the proxy: each answer
        for an order comes from its `RenderedRow`, made once per version of the order."""
        node = self.node(index)
        if node is None:
            return None
        if role in _CACHED_ROLES and isinstance(node, OrderRecord):
            return self._rendered(node).get(role, index.column())
        column = self.columns[index.column()]
        if role in STYLE_ROLES:
            return self._style(node, column, role)
        return cell_data(column.kind, role, lambda: node_value(column, node))

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan) -> None:  # noqa: N802, N803
        """Every role a delegate asks for a cell, in one call (Qt's default asks one by one:
        seven calls into Python per cell, each through the proxy)."""
        node = self.node(index)
        span = roleDataSpan
        row = self._rendered(node) if isinstance(node, OrderRecord) else None
        column = index.column()
        for number in range(len(span)):
            item = span[number]
            role = item.role()
            if node is None:
                value = None
            elif row is not None and role in _CACHED_ROLES:
                value = row.get(role, column)
            else:
                value = self.data(index, role)
            # the delegate hands every cell the same slots: a role this cell lacks is cleared,
            # or the last cell's colour and alignment are painted here too
            if value is None:
                item.clearData()
            else:
                item.setData(value)

    def _rendered(self, record: OrderRecord) -> RenderedRow:
        row = self._rows.get(record.command_id)
        if row is None or row.record is not record:
            row = RenderedRow(self, record)
            self._rows[record.command_id] = row
        return row

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        return header_data(self.columns, section, orientation, role)

    # ---- reading ----------------------------------------------------------------------------

    def node(self, index: Index) -> Node | None:
        """The order or ticket at an index of this model."""
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._top[index.row()] if index.row() < len(self._top) else None
        group = self._groups.get(index.internalId())
        if group is None or index.row() >= len(group.children):
            return None
        return group.children[index.row()]

    def sort_key(self, index: Index) -> tuple[Any, ...]:
        """The cell's `order_key`: what the proxy sorts on, in one call per row."""
        node = self.node(index)
        if node is None:
            return (0,)
        return order_key(node_value(self.columns[index.column()], node))

    def column_index(self, key: str) -> int:
        for number, column in enumerate(self.columns):
            if column.key == key:
                return number
        raise KeyError(key)

    def get(self, command_id: str) -> OrderRecord | None:
        if command_id not in self._where:
            return None
        group = self._where[command_id]
        if group is None:
            node = self._top[self._top_row[command_id]]
            return node if isinstance(node, OrderRecord) else None
        row = group.row_of(command_id)
        return None if row is None else group.children[row]

    def index_of(self, command_id: str, column: int = 0) -> QModelIndex:
        """The index of an order (a single one or a slice), or of a ticket by its id."""
        if command_id in self._where:
            group = self._where[command_id]
            if group is None:
                return self.index(self._top_row[command_id], column)
            row = group.row_of(command_id)
            if row is None:
                return QModelIndex()
            return self.index(row, column, self.index(self._top_row[group.key], 0))
        ticket_row = self._top_row.get(("ticket", command_id))
        return QModelIndex() if ticket_row is None else self.index(ticket_row, column)

    def row_of(self, command_id: str) -> int | None:
        """The order's row under its parent (the top level, or its ticket)."""
        index = self.index_of(command_id)
        return index.row() if index.isValid() else None

    def records(self) -> list[OrderRecord]:
        """Every order, slices included (not the ticket rows)."""
        out: list[OrderRecord] = []
        for node in self._top:
            if isinstance(node, TicketGroup):
                out.extend(node.children)
            else:
                out.append(node)
        return out

    def ticket(self, ticket_id: str) -> TicketGroup | None:
        row = self._top_row.get(("ticket", ticket_id))
        node = None if row is None else self._top[row]
        return node if isinstance(node, TicketGroup) else None

    def ticket_of(self, command_id: str) -> TicketGroup | None:
        """The ticket an order is a slice of, or None for a single order."""
        return self._where.get(command_id)

    def order_count(self) -> int:
        return len(self._where)

    def has_tickets(self) -> bool:
        """Whether any row holds slices (most days none does)."""
        return bool(self._groups)

    def open_count(self) -> int:
        return self._open

    def strategies(self) -> list[str]:
        return sorted({record.command.strategy for record in self.records()})

    # ---- changing ---------------------------------------------------------------------------

    def load(self, records: Iterable[OrderRecord]) -> int:
        """History at start: one top-level insert for every order not seen yet; a known order
        keeps whichever version is the later step."""
        fresh_top: list[Node] = []
        fresh_singles: dict[str, int] = {}
        fresh_groups: dict[str, TicketGroup] = {}
        added = 0
        for record in records:
            command_id = record.command_id
            position = fresh_singles.get(command_id)
            if position is not None:  # twice in one read: keep the later step
                kept = fresh_top[position]
                assert isinstance(kept, OrderRecord)
                fresh_top[position] = newer(kept, record)
                continue
            if command_id in self._where:
                group = self._where[command_id]
                if group is not None and group.ticket_id in fresh_groups:
                    row = group.row_of(command_id)
                    if row is not None:
                        group.replace(row, newer(group.children[row], record))
                    continue
                current = self.get(command_id)
                if current is not None and newer(current, record) is not current:
                    self._replace(record)
                continue
            added += 1
            ticket_id = record.command.ticket_id
            if ticket_id is None:
                fresh_singles[command_id] = len(fresh_top)
                fresh_top.append(record)
                self._where[command_id] = None
            elif (known := self.ticket(ticket_id)) is not None:
                self._open += 1 if record.is_open else 0
                self._add_child(known, record)
            else:
                group = fresh_groups.get(ticket_id)
                if group is None:
                    group = self._new_group(ticket_id)
                    fresh_groups[ticket_id] = group
                    fresh_top.append(group)
                group.add(record)
                self._where[command_id] = group
        if fresh_top:
            for node in fresh_top:
                opened = node.open_count if isinstance(node, TicketGroup) else int(node.is_open)
                self._open += opened
            first = len(self._top)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh_top) - 1)
            for offset, node in enumerate(fresh_top):
                self._top_row[self._key(node)] = first + offset
            self._top.extend(fresh_top)
            self.endInsertRows()
        return added

    def upsert(self, record: OrderRecord) -> bool:
        """Insert a new order (one row) or replace a known one (one dataChanged for its row and
        its ticket's). True if it is new."""
        if record.command_id in self._where:
            self._replace(record)
            return False
        ticket_id = record.command.ticket_id
        self._open += 1 if record.is_open else 0
        if ticket_id is None:
            self._where[record.command_id] = None
            self._append_top(record)
            return True
        group = self.ticket(ticket_id)
        if group is None:
            group = self._new_group(ticket_id)
            group.add(record)
            self._where[record.command_id] = group
            self._append_top(group)
        else:
            self._add_child(group, record)
        return True

    def upsert_many(self, records: Iterable[OrderRecord]) -> list[OrderRecord]:
        """A batch of live updates in the order they happened: known orders replaced in
        place, new single orders appended in one insert (the last version of each). Returns
        the new orders.

        One insert for a burst keeps the view's work per batch, not per order: a tree view
        lays out all its rows again after each insert."""
        added: list[OrderRecord] = []
        singles: dict[str, OrderRecord] = {}
        changed_rows: set[int] = set()
        for record in records:
            command_id = record.command_id
            if command_id in singles:
                singles[command_id] = record
            elif command_id in self._where and self._where[command_id] is None:
                changed_rows.add(self._set_single(record))
            elif command_id in self._where:
                self._replace(record)
            elif record.command.ticket_id is not None:
                self.upsert(record)
                added.append(record)
            else:
                singles[command_id] = record
                added.append(record)
        if singles:
            first = len(self._top)
            self.beginInsertRows(QModelIndex(), first, first + len(singles) - 1)
            for offset, record in enumerate(singles.values()):
                self._where[record.command_id] = None
                self._top_row[record.command_id] = first + offset
                self._open += 1 if record.is_open else 0
            self._top.extend(singles.values())
            self.endInsertRows()
        self._rows_changed(changed_rows)
        return added

    def _set_single(self, record: OrderRecord) -> int:
        """A single order's new version in its row, without a signal; its row."""
        row = self._top_row[record.command_id]
        old = self._top[row]
        if isinstance(old, OrderRecord) and old.is_open != record.is_open:
            self._open += 1 if record.is_open else -1
        self._top[row] = record
        return row

    def _rows_changed(self, rows: Iterable[int]) -> None:
        """One dataChanged per run of neighbouring top rows: a burst changes the newest
        orders, which sit together, and the proxy and the view handle a run at once."""
        last = len(self.columns) - 1
        ordered = sorted(rows)
        start = 0
        for number, row in enumerate(ordered):
            if number + 1 == len(ordered) or ordered[number + 1] != row + 1:
                self.dataChanged.emit(self.index(ordered[start], 0), self.index(row, last))
                start = number + 1

    def set_theme(self, theme: ThemeColors) -> None:
        self.theme = theme
        self._rows.clear()
        self.refresh_all()

    def refresh_all(self) -> None:
        """Repaint every cell (colours after a theme change); rows and keys stay."""
        if not self._top:
            return
        last = len(self.columns) - 1
        self.dataChanged.emit(self.index(0, 0), self.index(len(self._top) - 1, last))
        for row, node in enumerate(self._top):
            if isinstance(node, TicketGroup) and node.children:
                parent = self.index(row, 0)
                self.dataChanged.emit(
                    self.index(0, 0, parent), self.index(len(node.children) - 1, last, parent)
                )

    def _key(self, node: Node) -> object:
        return node.key if isinstance(node, TicketGroup) else node.command_id

    def _new_group(self, ticket_id: str) -> TicketGroup:
        group = TicketGroup(ticket_id, len(self._groups) + 1)
        self._groups[group.serial] = group
        return group

    def _append_top(self, node: Node) -> None:
        row = len(self._top)
        self.beginInsertRows(QModelIndex(), row, row)
        self._top.append(node)
        self._top_row[self._key(node)] = row
        self.endInsertRows()

    def _add_child(self, group: TicketGroup, record: OrderRecord) -> None:
        parent = self.index(self._top_row[group.key], 0)
        row = len(group.children)
        self.beginInsertRows(parent, row, row)
        group.add(record)
        self._where[record.command_id] = group
        self.endInsertRows()
        self._group_changed(group)

    def _replace(self, record: OrderRecord) -> None:
        group = self._where[record.command_id]
        old = self.get(record.command_id)
        if old is not None and old.is_open != record.is_open:
            self._open += 1 if record.is_open else -1
        last = len(self.columns) - 1
        if group is None:
            row = self._top_row[record.command_id]
            self._top[row] = record
            self.dataChanged.emit(self.index(row, 0), self.index(row, last))
            return
        row = group.row_of(record.command_id)
        if row is None:
            return
        group.replace(row, record)
        parent = self.index(self._top_row[group.key], 0)
        self.dataChanged.emit(self.index(row, 0, parent), self.index(row, last, parent))
        self._group_changed(group)

    def _group_changed(self, group: TicketGroup) -> None:
        row = self._top_row[group.key]
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    # ---- colours ----------------------------------------------------------------------------

    def _style(self, node: Node, column: Column[OrderRecord], role: int) -> Any:
        kind = column.kind
        group = node if isinstance(node, TicketGroup) else None
        record = node.children[0] if isinstance(node, TicketGroup) else node
        if kind is CellKind.STATUS:
            if group is not None:
                status = group.colour_status
                broker_status = UNKNOWN_OUTCOME if group.unknown else None
            else:
                status, broker_status = record.status, record.broker_status
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(self.theme.status(status, broker_status))
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor("#ffffff"))
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            return None
        if group is not None and role == Qt.ItemDataRole.FontRole and column.key == "quantity":
            return self._bold
        if role != Qt.ItemDataRole.ForegroundRole:
            return None
        if kind is CellKind.SIDE:
            return QBrush(self.theme.side(record.command.side))
        failed = group.tag is not None if group is not None else record.status is OrderStatus.FAILED
        if kind in (CellKind.TAG, CellKind.DETAIL) and failed:
            return QBrush(QColor(self.theme.failed))
        return None


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_NOTHING_ROLES = frozenset(
    {int(Qt.ItemDataRole.DecorationRole), int(Qt.ItemDataRole.CheckStateRole)}
)
_CACHED_ROLES = frozenset({_DISPLAY, _ALIGNMENT} | _NOTHING_ROLES | {int(r) for r in STYLE_ROLES})
"""The roles a view asks for when it paints a cell; the rest (tooltips, sorting) are rare."""
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_LEAF_FLAGS = _ROW_FLAGS | Qt.ItemFlag.ItemNeverHasChildren
_ALIGNMENTS = tuple(cell_data(c.kind, _ALIGNMENT, lambda: None) for c in ORDER_COLUMNS)


class RenderedRow:
    """One version of an order as the table paints it: its texts made once, its colours and
    fonts on first use. A record never changes (a new version is a new record), so neither
    does its row; a repaint then costs dictionary lookups, not formatting."""

    __slots__ = ("_model", "_styles", "record", "texts")

    def __init__(self, model: OrdersModel, record: OrderRecord) -> None:
        self._model = model
        self.record = record
        self.texts = [
            cell_data(column.kind, _DISPLAY, lambda c=column: c.value(record))
            for column in model.columns
        ]
        self._styles: dict[tuple[int, int], Any] = {}

    def get(self, role: int, column: int) -> Any:
        if role == _DISPLAY:
            return self.texts[column]
        if role == _ALIGNMENT:
            return _ALIGNMENTS[column]
        if role in _NOTHING_ROLES:
            return None
        key = (role, column)
        try:
            return self._styles[key]
        except KeyError:
            style = self._model._style(self.record, self._model.columns[column], role)
            self._styles[key] = style
            return style


OPEN_STATUSES = frozenset({OrderStatus.CREATED, OrderStatus.SENT_TO_BROKER})


class OrdersFilter(QSortFilterProxyModel):
    """Filters by status, strategy and a search text; sorts on raw values (newest first).

    Filters look at orders: a ticket row is shown when at least one of its slices is.
    """

    def __init__(self, source: OrdersModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._orders = source
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self.setRecursiveFilteringEnabled(True)
        self._statuses: frozenset[OrderStatus] | None = None
        self._strategy: str | None = None
        self._words: list[str] = []

    @property
    def filtering(self) -> bool:
        return self._statuses is not None or self._strategy is not None or bool(self._words)

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
        node = self._orders.node(self._orders.index(source_row, 0, source_parent))
        if node is None:
            return False
        if isinstance(node, TicketGroup):
            return not self.filtering  # else shown through a slice that matches
        return self.accepts(node)

    def accepts(self, record: OrderRecord) -> bool:
        if self._statuses is not None and record.status not in self._statuses:
            return False
        if self._strategy is not None and record.command.strategy != self._strategy:
            return False
        if self._words:
            haystack = " ".join(
                str(part)
                for part in (
                    record.command_id,
                    record.command.ticket_id or "",
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

    def lessThan(  # noqa: N802
        self,
        source_left: QModelIndex | QPersistentModelIndex,
        source_right: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        """One Python call per comparison (the default asks the model twice for data)."""
        orders = self._orders
        return orders.sort_key(source_left) < orders.sort_key(source_right)

    def multiData(  # noqa: N802
        self,
        index: QModelIndex | QPersistentModelIndex,
        roleDataSpan: QModelRoleDataSpan,  # noqa: N803
    ) -> None:
        """A painted cell's roles in one call into Python, not seven (see OrdersModel)."""
        self._orders.multiData(self.mapToSource(index), roleDataSpan)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        """Every row enabled and selectable, and a row that holds no slices says it never
        will: a tree view lays out all its rows after each insert, asking every row for
        children unless its flags say so, and through this proxy each such question cost
        four calls into Python (the source's `index` twice, `hasChildren`, `rowCount`)."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if not self._orders.has_tickets() or index.parent().isValid():
            return _LEAF_FLAGS
        return _LEAF_FLAGS if isinstance(self.node_at(index), OrderRecord) else _ROW_FLAGS

    def node_at(self, index: QModelIndex | QPersistentModelIndex) -> Node | None:
        """The order or ticket at an index of this proxy."""
        return self._orders.node(self.mapToSource(index))

    def record_at(self, proxy_row: int, parent: QModelIndex = QModelIndex()) -> Node:  # noqa: B008
        node = self.node_at(self.index(proxy_row, 0, parent))
        assert node is not None
        return node

    def shown_orders(self) -> list[OrderRecord]:
        """The orders shown, in the order shown (a ticket's slices under it)."""
        out: list[OrderRecord] = []
        for row in range(self.rowCount()):
            index = self.index(row, 0)
            node = self.node_at(index)
            if isinstance(node, TicketGroup):
                for child_row in range(self.rowCount(index)):
                    child = self.node_at(self.index(child_row, 0, index))
                    if isinstance(child, OrderRecord):
                        out.append(child)
            elif node is not None:
                out.append(node)
        return out

    def shown_count(self) -> int:
        """How many orders the filters let through (slices counted, ticket rows not)."""
        if not self.filtering:
            return self._orders.order_count()
        count = 0
        for row in range(self.rowCount()):
            index = self.index(row, 0)
            children = self.rowCount(index)
            count += children if children else 1
        return count

    def _change(self, apply: Any) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            apply()
            self.invalidateRowsFilter()
