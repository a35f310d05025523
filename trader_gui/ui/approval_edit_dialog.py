"""Edit an external order before approving it: quantity, order type, price, trigger, product.

The ticket is checked as the order entry checks it (`parse_ticket` and `validate_command`,
with the sender's other fields): a field that would not pass is marked red with the reason
under it, and nothing the trader typed is lost. The dialog is not modal, so the window stays
live; if the order expires or is decided meanwhile, the dialog says so and cannot approve.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from trader_gui.domain.enums import OrderType, Product, Source
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.validation import FieldError, parse_ticket, validate_command
from trader_gui.engine.intake_approvals import WaitingOrder
from trader_gui.ui.formatting import local
from trader_gui.ui.widgets import set_invalid

EDITABLE = ("quantity", "order_type", "price", "trigger_price", "product")


def _shown(value: object) -> str:
    return "" if value is None else str(value).strip()


class ApprovalEditDialog(QDialog):
    approve_requested = Signal(str, object)
    """(command_id, edits): only the fields the trader changed."""

    def __init__(
        self, entry: WaitingOrder, catalog: InstrumentCatalog, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("approvalEditDialog")
        self.setWindowTitle(f"Edit and approve {entry.command_id}")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.entry = entry
        self._catalog = catalog
        command = entry.command
        heading = QLabel(
            f"{command.side} {command.quantity} {command.symbol} {command.exchange} "
            f"· strategy {command.strategy} · waits until {local(entry.expires_at):%H:%M:%S}"
        )
        heading.setObjectName("dialogHeading")
        heading.setWordWrap(True)
        fields = entry.fields
        self.quantity = QLineEdit(_shown(fields.get("quantity")))
        self.order_type = QComboBox()
        self.order_type.addItems([kind.value for kind in OrderType])
        self.order_type.setCurrentText(command.order_type.value)
        self.price = QLineEdit(_shown(fields.get("price")))
        self.trigger = QLineEdit(_shown(fields.get("trigger_price")))
        self.product = QComboBox()
        self.product.addItems([kind.value for kind in Product])
        self.product.setCurrentText(command.product.value)
        self.widgets: dict[str, QWidget] = {
            "quantity": self.quantity,
            "order_type": self.order_type,
            "price": self.price,
            "trigger_price": self.trigger,
            "product": self.product,
        }
        self.error_labels: dict[str, QLabel] = {}
        form = QFormLayout()
        instrument = catalog.get(command.exchange, command.symbol)
        lot = (
            f" (units, lot {instrument.lot_size})" if instrument and instrument.lot_size > 1 else ""
        )
        titles = {
            "quantity": f"Quantity{lot}",
            "order_type": "Order type",
            "price": "Price",
            "trigger_price": "Trigger",
            "product": "Product",
        }
        for name in EDITABLE:
            error = QLabel()
            error.setObjectName("fieldError")
            error.setWordWrap(True)
            error.setVisible(False)
            self.error_labels[name] = error
            form.addRow(titles[name], self.widgets[name])
            form.addRow("", error)  # its own row: a wrapped sentence gets the height it needs
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.approve_button = self.buttons.addButton(
            "&Approve with changes", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.approve_button.setDefault(True)
        self.buttons.accepted.connect(self._approve)
        self.buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)
        for edit in (self.quantity, self.price, self.trigger):
            edit.textChanged.connect(self.check)
        for box in (self.order_type, self.product):
            box.currentTextChanged.connect(self.check)
        self._gone = ""
        self.check()
        self.quantity.setFocus()
        self.quantity.selectAll()

    def edits(self) -> dict[str, object]:
        """The fields that differ from what the sender sent."""
        order_type = OrderType(self.order_type.currentText())
        typed: dict[str, object] = {
            "quantity": self.quantity.text().strip(),
            "order_type": order_type.value,
            "price": self.price.text().strip() if order_type.needs_price else "",
            "trigger_price": self.trigger.text().strip() if order_type.needs_trigger else "",
            "product": self.product.currentText(),
        }
        sent = self.entry.fields
        changes: dict[str, object] = {}
        for name, value in typed.items():
            before = _shown(sent.get(name))
            if name == "order_type":
                before = self.entry.command.order_type.value
            elif name == "product":
                before = self.entry.command.product.value
            if str(value) != before:
                changes[name] = value if value != "" else None
        return changes

    def problems(self) -> list[FieldError]:
        """What the ticket with these edits would be refused for, as the order entry checks."""
        command = self.entry.command
        parsed = parse_ticket(
            {**self.entry.fields, **self.edits()},
            client_id=command.client_id,
            source=Source.EXTERNAL,
            command_id=command.command_id,
        )
        if parsed.command is None:
            return list(parsed.errors)
        return validate_command(parsed.command, self._catalog)

    def check(self) -> list[FieldError]:
        order_type = OrderType(self.order_type.currentText())
        self.price.setEnabled(order_type.needs_price)
        self.trigger.setEnabled(order_type.needs_trigger)
        problems = self.problems()
        by_field: dict[str, list[str]] = {}
        other: list[str] = []
        for problem in problems:
            if problem.field in self.error_labels:
                by_field.setdefault(problem.field, []).append(problem.message)
            else:
                other.append(problem.message)
        shown_before = [label.isVisibleTo(self) for label in self.error_labels.values()]
        for name, label in self.error_labels.items():
            messages = by_field.get(name, [])
            label.setText(" ".join(messages))
            label.setVisible(bool(messages))
            set_invalid(self.widgets[name], bool(messages))
        self.show_error(" ".join([*other, self._gone]).strip())
        shown = [label.isVisibleTo(self) for label in self.error_labels.values()]
        if shown != shown_before and self.isVisible():
            self.adjustSize()  # room for a sentence that appeared, none left for one gone
        self.approve_button.setEnabled(not problems and not self._gone)
        return problems

    def show_error(self, sentence: str) -> None:
        """A refusal (from the check, or from the engine on approving); the edits stay."""
        self.error.setText(sentence)
        self.error.setVisible(bool(sentence))

    def order_gone(self, sentence: str) -> None:
        """The order was decided or expired while the dialog was open: nothing to approve."""
        self._gone = sentence
        self.check()

    def _approve(self) -> None:
        if self.check() or self._gone:
            return
        self.approve_button.setEnabled(False)
        self.show_error("")
        self.approve_requested.emit(self.entry.command_id, self.edits())

    def approval_failed(self, sentence: str) -> None:
        self.check()
        self.show_error(sentence)
