"""Change an open order's quantity, price or trigger: a small dialog that stays out of the way.

It is not modal: the trader keeps watching the book while typing. The lot and tick rules are
checked here, as the engine checks them, before anything is sent.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from trader_gui.domain.instruments import Instrument
from trader_gui.domain.order import OrderRecord
from trader_gui.domain.prices import is_on_tick, to_decimal
from trader_gui.ui.formatting import price as show_price
from trader_gui.ui.widgets import set_invalid


class ModifyDialog(QDialog):
    modify_requested = Signal(str, object, object, object)
    """(command_id, quantity | None, price | None, trigger | None): only changed fields."""

    def __init__(
        self, record: OrderRecord, instrument: Instrument | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("modifyDialog")
        self.setWindowTitle(f"Modify {record.command_id}")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.record = record
        self.instrument = instrument
        command = record.command
        heading = QLabel(
            f"{command.side} {command.quantity} {command.symbol} {command.order_type}"
            f" · filled {record.filled_qty} · {record.broker_status or record.status}"
        )
        heading.setObjectName("dialogHeading")
        self.quantity = QLineEdit(str(command.quantity))
        self.price = QLineEdit(show_price(command.price).replace(",", ""))
        self.trigger = QLineEdit(show_price(command.trigger_price).replace(",", ""))
        self.price.setEnabled(command.order_type.needs_price)
        self.trigger.setEnabled(command.order_type.needs_trigger)
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        form = QFormLayout()
        lot = f" (lot {instrument.lot_size})" if instrument and instrument.lot_size > 1 else ""
        form.addRow(f"Quantity{lot}", self.quantity)
        form.addRow("Price", self.price)
        form.addRow("Trigger", self.trigger)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Close
        )
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setText("Send modify")
        self.apply_button.clicked.connect(self._apply)
        self.buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)
        for edit in (self.quantity, self.price, self.trigger):
            edit.textChanged.connect(self._check)
        self._check()

    def changes(self) -> tuple[dict[str, object], list[tuple[QLineEdit, str]]]:
        """The fields that differ from the order, and every problem with what was typed."""
        command = self.record.command
        problems: list[tuple[QLineEdit, str]] = []
        changes: dict[str, object] = {}
        quantity_text = self.quantity.text().strip()
        quantity = to_decimal(quantity_text)
        if quantity is None or quantity != quantity.to_integral_value() or quantity <= 0:
            problems.append((self.quantity, "Quantity must be a whole number above zero."))
        else:
            lot = self.instrument.lot_size if self.instrument else 1
            if int(quantity) % lot:
                problems.append(
                    (self.quantity, f"Quantity must be a whole number of lots of {lot}.")
                )
            elif int(quantity) <= self.record.filled_qty:
                problems.append(
                    (
                        self.quantity,
                        f"Quantity must be more than the {self.record.filled_qty} already filled.",
                    )
                )
            elif int(quantity) != command.quantity:
                changes["quantity"] = int(quantity)
        for edit, name, label, old in (
            (self.price, "price", "Price", command.price),
            (self.trigger, "trigger_price", "Trigger", command.trigger_price),
        ):
            if not edit.isEnabled():
                continue
            value = to_decimal(edit.text())
            if value is None or value <= 0:
                problems.append((edit, f"{label} must be a number above zero."))
                continue
            tick = self.instrument.tick_size if self.instrument else None
            if tick is not None and not is_on_tick(value, tick):
                problems.append((edit, f"{label} {value} is not on the tick of {tick}."))
            elif old is None or value != old:
                changes[name] = value
        return changes, problems

    def _check(self) -> None:
        changes, problems = self.changes()
        for edit in (self.quantity, self.price, self.trigger):
            set_invalid(edit, any(edit is bad for bad, _ in problems))
        self.error.setText(" ".join(message for _, message in problems))
        self.error.setVisible(bool(problems))
        self.apply_button.setEnabled(not problems and bool(changes))

    def _apply(self) -> None:
        changes, problems = self.changes()
        if problems or not changes:
            return
        self.apply_button.setEnabled(False)
        self.result_label.setText("Sending…")
        quantity = changes.get("quantity")
        price = changes.get("price")
        trigger = changes.get("trigger_price")
        self.modify_requested.emit(
            self.record.command_id,
            quantity,
            price if isinstance(price, Decimal) else None,
            trigger if isinstance(trigger, Decimal) else None,
        )

    def show_result(self, sentence: str, ok: bool) -> None:
        self.result_label.setText(sentence)
        if ok:
            self.close()
        else:
            self._check()
