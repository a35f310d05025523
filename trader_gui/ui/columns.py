"""Tables declared by a column spec (field, title, cell kind) instead of per-column code.

`KeyedTableModel` holds rows keyed by an id and changes them in place: a new key is one
`beginInsertRows`, a changed row one `dataChanged` for that row only, never a reset, so a view
with ten thousand rows keeps its selection, scroll position and sort while orders move.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum, auto
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from trader_gui.domain.enums import Tag
from trader_gui.ui import formatting

R = TypeVar("R")
Index = QModelIndex | QPersistentModelIndex

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
"""Raw, comparable value of a cell (numbers as numbers, times as timestamps)."""
RAW_ROLE = Qt.ItemDataRole.UserRole + 2
"""The value exactly as the record holds it (enums, Decimals), for tests and export."""


class CellKind(Enum):
    TEXT = auto()
    INT = auto()
    PRICE = auto()
    MONEY = auto()
    SIGNED_MONEY = auto()
    TIME = auto()
    STATUS = auto()
    SIDE = auto()
    TAG = auto()
    DETAIL = auto()

    @property
    def is_number(self) -> bool:
        return self in (CellKind.INT, CellKind.PRICE, CellKind.MONEY, CellKind.SIGNED_MONEY)


@dataclass(frozen=True, slots=True)
class Column(Generic[R]):
    key: str
    title: str
    kind: CellKind
    value: Callable[[R], Any]
    tooltip: str = ""
    width: int | None = None


Styler = Callable[[R, Column[R], int], Any]
"""(record, column, role) -> a colour or font for that role, or None."""


def display(kind: CellKind, value: Any) -> str:
    if value is None:
        return ""
    if kind is CellKind.TIME:
        return formatting.clock_ms(value)
    if kind is CellKind.PRICE:
        return formatting.price(value)
    if kind is CellKind.MONEY:
        return formatting.money(value)
    if kind is CellKind.SIGNED_MONEY:
        return formatting.signed_money(value)
    if kind is CellKind.TAG:
        return value.label if isinstance(value, Tag) else str(value)
    if kind is CellKind.INT:
        return f"{value:,}" if isinstance(value, int) else str(value)
    if kind is CellKind.DETAIL:
        return " ".join(str(value).split())
    return str(value)


def sortable(value: Any) -> Any:
    """A value QSortFilterProxyModel can compare: no None, no Decimal, no datetime."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return str(value.value)
    return value


def export_text(value: Any) -> str:
    """A cell as CSV text: ISO times, exact decimals, enum values."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return formatting.local(value).isoformat(timespec="milliseconds")
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


STYLE_ROLES = frozenset(
    {
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.FontRole,
    }
)
"""Roles a model's styler answers (colours and fonts)."""


def cell_data(kind: CellKind, role: int, value: Callable[[], Any]) -> Any:
    """What a cell of this kind answers for a role; `value` gives the raw value on demand
    (most roles a view asks for need none). Style roles are the model's own business."""
    if role == Qt.ItemDataRole.DisplayRole:
        return display(kind, value())
    if role == SORT_ROLE:
        return sortable(value())
    if role == RAW_ROLE:
        return value()
    if role == Qt.ItemDataRole.TextAlignmentRole:
        if kind.is_number:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if kind in (CellKind.STATUS, CellKind.SIDE):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None
    if role == Qt.ItemDataRole.ToolTipRole:
        raw = value()
        if kind is CellKind.DETAIL and raw:
            return str(raw)
        if kind is CellKind.TAG and raw is not None:
            return f"{display(kind, raw)} ({raw})"
        if kind is CellKind.TIME and raw is not None:
            return formatting.date_clock_ms(raw)
        return None
    return None


def header_data(
    columns: Sequence[Column[Any]], section: int, orientation: Qt.Orientation, role: int
) -> Any:
    if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(columns):
        return None
    column = columns[section]
    if role == Qt.ItemDataRole.DisplayRole:
        return column.title
    if role == Qt.ItemDataRole.ToolTipRole:
        return column.tooltip or column.title
    return None


class KeyedTableModel(QAbstractTableModel, Generic[R]):
    def __init__(
        self,
        columns: Sequence[Column[R]],
        key: Callable[[R], Hashable],
        *,
        styler: Styler[R] | None = None,
        newest_on_top: bool = False,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._key = key
        self._styler = styler
        self._newest_on_top = newest_on_top
        self._rows: list[R] = []
        self._row_of: dict[Hashable, int] = {}

    # ---- reading ----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def record(self, row: int) -> R:
        return self._rows[row]

    def records(self) -> list[R]:
        return list(self._rows)

    def row_of(self, key: Hashable) -> int | None:
        return self._row_of.get(key)

    def get(self, key: Hashable) -> R | None:
        row = self._row_of.get(key)
        return None if row is None else self._rows[row]

    def column_index(self, key: str) -> int:
        for number, column in enumerate(self.columns):
            if column.key == key:
                return number
        raise KeyError(key)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        record = self._rows[index.row()]
        column = self.columns[index.column()]
        if self._styler is not None and role in STYLE_ROLES:
            return self._styler(record, column, role)
        return cell_data(column.kind, role, lambda: column.value(record))

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        return header_data(self.columns, section, orientation, role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # ---- changing ---------------------------------------------------------------------------

    def upsert(self, record: R) -> bool:
        """Insert a new key (one row) or replace a known one (one dataChanged). True if new."""
        key = self._key(record)
        row = self._row_of.get(key)
        if row is not None:
            self._rows[row] = record
            self._row_changed(row)
            return False
        self._insert([record])
        return True

    def extend(self, records: Iterable[R], *, prefer: Callable[[R, R], R] | None = None) -> int:
        """Add many rows with one insert signal (history at start); known keys are updated.

        `prefer(current, loaded)` picks which version of a known row to keep.
        """
        fresh: dict[Hashable, R] = {}
        for record in records:
            key = self._key(record)
            row = self._row_of.get(key)
            if row is None:
                fresh[key] = record
                continue
            current = self._rows[row]
            chosen = prefer(current, record) if prefer else record
            if chosen is not current:
                self._rows[row] = chosen
                self._row_changed(row)
        if fresh:
            self._insert(list(fresh.values()))
        return len(fresh)

    def sync(self, records: Iterable[R]) -> None:
        """Make the table hold exactly these rows: update, insert and remove by key."""
        wanted = {self._key(record): record for record in records}
        for key in [k for k in self._row_of if k not in wanted]:
            self.remove(key)
        fresh = []
        for key, record in wanted.items():
            row = self._row_of.get(key)
            if row is None:
                fresh.append(record)
            elif self._rows[row] != record:
                self._rows[row] = record
                self._row_changed(row)
        if fresh:
            self._insert(fresh)

    def remove(self, key: Hashable) -> bool:
        row = self._row_of.get(key)
        if row is None:
            return False
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self._reindex()
        self.endRemoveRows()
        return True

    def clear(self) -> None:
        if not self._rows:
            return
        self.beginRemoveRows(QModelIndex(), 0, len(self._rows) - 1)
        self._rows.clear()
        self._row_of.clear()
        self.endRemoveRows()

    def refresh_all(self) -> None:
        """Repaint every cell (colours after a theme change); rows and keys stay."""
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(self.columns) - 1)
            )

    def _insert(self, records: list[R]) -> None:
        if self._newest_on_top:
            records = list(reversed(records))
            self.beginInsertRows(QModelIndex(), 0, len(records) - 1)
            self._rows[0:0] = records
            self._reindex()
        else:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(records) - 1)
            for offset, record in enumerate(records):
                self._row_of[self._key(record)] = first + offset
            self._rows.extend(records)
        self.endInsertRows()

    def _reindex(self) -> None:
        self._row_of = {self._key(record): row for row, record in enumerate(self._rows)}

    def _row_changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))
