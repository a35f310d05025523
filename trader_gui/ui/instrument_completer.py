"""Symbol completion from the instrument catalog: a prefix search per keystroke (O(log n)),
so a full exchange list of a hundred thousand contracts completes as fast as a short one."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QCompleter, QLineEdit

from trader_gui.domain.instruments import Instrument, InstrumentCatalog

INSTRUMENT_ROLE = Qt.ItemDataRole.UserRole + 10
SUGGESTIONS = 40


def describe(instrument: Instrument) -> str:
    name = instrument.name or instrument.underlying
    return f"{instrument.symbol}   {instrument.exchange} · {instrument.kind} · {name}"


class InstrumentListModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[Instrument] = []

    def set_items(self, items: list[Instrument]) -> None:
        if items == self._items:
            return
        self.beginResetModel()  # a short suggestion list, not the orders table
        self._items = items
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._items)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.row() >= len(self._items):
            return None
        instrument = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return describe(instrument)
        if role == Qt.ItemDataRole.EditRole:
            return instrument.symbol
        if role == INSTRUMENT_ROLE:
            return instrument
        return None


class InstrumentCompleter(QCompleter):
    def __init__(self, catalog: InstrumentCatalog, edit: QLineEdit) -> None:
        self.instruments = InstrumentListModel()
        super().__init__(self.instruments, edit)
        self.instruments.setParent(self)
        self._catalog = catalog
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompletionRole(Qt.ItemDataRole.EditRole)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setMaxVisibleItems(12)
        self.popup().setObjectName("symbolPopup")
        self.popup().setMinimumWidth(380)
        edit.textEdited.connect(self.search)
        edit.setCompleter(self)

    def search(self, text: str) -> None:
        self.instruments.set_items(self._catalog.search(text, limit=SUGGESTIONS))
