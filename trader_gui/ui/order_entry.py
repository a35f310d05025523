"""The order ticket: every rule is checked at its field before anything is sent.

The form runs the same two stages the engine runs in step 2 (`parse_ticket`, then
`validate_command` against the catalog), so a ticket that would be blocked as
VALIDATION_FAILED never leaves the form: the field turns red with the sentence under it and
the send button stays disabled.

MARKET and SL-M tickets on a broker that protects market orders go out as LIMIT or SL-LIMIT
at a protected price; when the engine can say which, the sentence is shown under the ticket
before it is sent (and in the large-order confirmation).
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from trader_gui.domain.enums import (
    Exchange,
    ExecutionType,
    OrderStatus,
    OrderType,
    Product,
    Side,
    Source,
)
from trader_gui.domain.instruments import PRODUCTS_BY_EXCHANGE, Instrument
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.domain.prices import round_to_tick, to_decimal
from trader_gui.domain.validation import FieldError, parse_ticket, validate_command
from trader_gui.engine.events import PollCompleted
from trader_gui.engine.order_engine import EngineClosedError
from trader_gui.settings import Settings
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.dialogs import answer, question
from trader_gui.ui.formatting import money
from trader_gui.ui.formatting import price as show_price
from trader_gui.ui.instrument_completer import InstrumentCompleter
from trader_gui.ui.tasks import TaskKeeper
from trader_gui.ui.widgets import set_invalid, set_state

log = logging.getLogger(__name__)

PRODUCT_ORDER = (Product.MIS, Product.NRML, Product.CNC)
"""Intraday first: the product a manual ticket most often means."""
DERIVATIVE_PRODUCT_ORDER = (Product.NRML, Product.MIS)
LOTS, UNITS = "lots", "units"
FIELDS = (
    "symbol",
    "exchange",
    "quantity",
    "order_type",
    "price",
    "trigger_price",
    "product",
    "strategy",
    "execution_type",
)
REQUIRED_WORDS = ("is required", "needs a")
STATES = ("ok", "warn", "bad")
PROTECTED_TYPES = frozenset({OrderType.MARKET, OrderType.SL_M})
PROTECTION_REFRESH_S = 5.0
"""A protected price follows the last price; asked again at most this often while typing."""


def products_for(exchange: Exchange) -> list[Product]:
    allowed = PRODUCTS_BY_EXCHANGE[exchange]
    order = DERIVATIVE_PRODUCT_ORDER if exchange.is_derivatives else PRODUCT_ORDER
    return [product for product in order if product in allowed] + sorted(
        allowed - set(order), key=str
    )


def order_value(command: OrderCommand, last_price: Decimal | None) -> Decimal | None:
    """Quantity x the price it will trade near: the limit, the SL-M trigger, or the last."""
    reference: Decimal | None = last_price
    if command.order_type.needs_price and command.price is not None:
        reference = command.price
    elif command.order_type is OrderType.SL_M and command.trigger_price is not None:
        reference = command.trigger_price
    return None if reference is None else reference * command.quantity


def outcome_sentence(record: OrderRecord) -> tuple[str, str]:
    """What happened to a ticket, in one line, and its state ("ok", "warn", "bad")."""
    command = record.command
    what = f"{command.side} {command.quantity} {command.symbol}"
    if record.status is OrderStatus.FAILED:
        if record.tag is not None and record.tag.is_blocker:
            return f"Blocked ({record.tag.label}): {record.detail}", "bad"
        label = record.tag.label if record.tag else "Failed"
        return f"{what}: {label}. {record.detail}", "bad"
    if record.status is OrderStatus.EXECUTED:
        return f"{what} executed. {record.detail}", "ok"
    if record.broker_status == "UNKNOWN":
        return f"{what}: {record.detail}", "warn"
    return f"{what} sent. {record.detail}", "ok"


class OrderEntryPanel(QWidget):
    submitted = Signal(object)
    """The OrderRecord as it stands after steps 1-5."""
    status_message = Signal(str)

    def __init__(
        self,
        bridge: EngineBridge,
        tasks: TaskKeeper,
        settings: Settings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("orderEntry")
        self._bridge = bridge
        self._tasks = tasks
        self._settings = settings
        self._side = Side.BUY
        self._instrument: Instrument | None = None
        self._last_price: Decimal | None = None
        self._quote_in_flight = False
        self._sending = False
        self._touched: set[str] = set()
        self._reveal_all = False
        self._command: OrderCommand | None = None
        self._errors: list[FieldError] = []
        self.confirmation: QMessageBox | None = None
        """The large-order confirmation while it is open (tests answer it)."""
        self._protection_for: tuple[object, ...] | None = None
        self._protection_in_flight = False
        self._protection_asked_at = 0.0
        self._build()
        self._connect()
        self._exchange_changed(self.exchange.currentText())
        self.clear()

    # ---- construction -----------------------------------------------------------------------

    def _build(self) -> None:
        self.buy_button = QPushButton("BUY")
        self.buy_button.setObjectName("buySide")
        self.sell_button = QPushButton("SELL")
        self.sell_button.setObjectName("sellSide")
        self.side_group = QButtonGroup(self)
        for button in (self.buy_button, self.sell_button):
            button.setCheckable(True)
            button.setMinimumHeight(34)
            self.side_group.addButton(button)
        self.side_group.setExclusive(True)

        self.symbol = QLineEdit()
        self.symbol.setObjectName("symbolEdit")
        self.symbol.setPlaceholderText("Symbol, e.g. SBIN or NIFTY…")
        self.completer = InstrumentCompleter(self._bridge.catalog, self.symbol)
        self.instrument_info = QLabel()
        self.instrument_info.setObjectName("mutedLabel")
        self.instrument_info.setWordWrap(True)
        self.last_price_label = QLabel("LTP —")
        self.last_price_label.setObjectName("lastPrice")
        self.last_price_label.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )

        self.exchange = QComboBox()
        self.exchange.setObjectName("exchangeCombo")
        self.exchange.addItems([exchange.value for exchange in Exchange])
        self.product = QComboBox()
        self.product.setObjectName("productCombo")

        self.quantity = QLineEdit()
        self.quantity.setObjectName("quantityEdit")
        self.quantity.setPlaceholderText("0")
        self.unit = QComboBox()
        self.unit.setObjectName("unitCombo")
        self.unit.addItems([LOTS, UNITS])
        self.units_hint = QLabel()
        self.units_hint.setObjectName("mutedLabel")

        self.order_type = QComboBox()
        self.order_type.setObjectName("orderTypeCombo")
        self.order_type.addItems([order_type.value for order_type in OrderType])
        self.price = QLineEdit()
        self.price.setObjectName("priceEdit")
        self.use_last = QToolButton()
        self.use_last.setText("LTP")
        self.use_last.setToolTip("Fill in the last price, rounded to the tick")
        self.trigger = QLineEdit()
        self.trigger.setObjectName("triggerEdit")
        self.strategy = QLineEdit()
        self.strategy.setObjectName("strategyEdit")
        self.execution = QComboBox()
        self.execution.setObjectName("executionCombo")
        self.execution.addItems([kind.value for kind in ExecutionType])
        self.execution.setToolTip(
            "ENTRY opens or adds to a position; EXIT reduces it and is never blocked by the "
            "kill switch or the loss limit"
        )

        self.value_label = QLabel()
        self.value_label.setObjectName("orderValue")
        self.protection_label = QLabel()
        self.protection_label.setObjectName("protectionNote")
        self.protection_label.setWordWrap(True)
        self.protection_label.setVisible(False)
        self.session_label = QLabel()
        self.session_label.setObjectName("sessionNote")
        self.session_label.setWordWrap(True)
        self.session_label.setVisible(False)
        self.submit_button = QPushButton()
        self.submit_button.setObjectName("submitButton")
        self.submit_button.setMinimumHeight(40)
        self.submit_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.form_hint = QLabel()
        self.form_hint.setObjectName("formHint")
        self.form_hint.setWordWrap(True)
        self.result = QLabel()
        self.result.setObjectName("ticketResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.error_labels: dict[str, QLabel] = {}
        self.field_widgets: dict[str, QWidget] = {
            "symbol": self.symbol,
            "exchange": self.exchange,
            "quantity": self.quantity,
            "order_type": self.order_type,
            "price": self.price,
            "trigger_price": self.trigger,
            "product": self.product,
            "strategy": self.strategy,
            "execution_type": self.execution,
        }
        for name in FIELDS:
            label = QLabel()
            label.setObjectName("fieldError")
            label.setWordWrap(True)
            label.setVisible(False)
            self.error_labels[name] = label

        sides = QHBoxLayout()
        sides.setSpacing(4)
        sides.addWidget(self.buy_button)
        sides.addWidget(self.sell_button)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        grid.setColumnStretch(1, 1)
        row = 0

        def add(
            title: str, field: str | None, *widgets: QWidget, stretch_first: bool = True
        ) -> None:
            nonlocal row
            holder = QHBoxLayout()
            holder.setSpacing(4)
            for number, widget in enumerate(widgets):
                holder.addWidget(widget, 1 if number == 0 and stretch_first else 0)
            caption = QLabel(title)
            caption.setObjectName("fieldCaption")
            grid.addWidget(caption, row, 0)
            grid.addLayout(holder, row, 1)
            row += 1
            if field is not None:
                grid.addWidget(self.error_labels[field], row, 1)
                row += 1

        add("Symbol", "symbol", self.symbol)
        grid.addWidget(self.instrument_info, row, 1)
        row += 1
        add("Exchange", "exchange", self.exchange, self.last_price_label)
        add("Quantity", "quantity", self.quantity, self.unit, self.units_hint)
        add("Type", "order_type", self.order_type)
        add("Price", "price", self.price, self.use_last)
        add("Trigger", "trigger_price", self.trigger)
        add("Product", "product", self.product)
        add("Strategy", "strategy", self.strategy)
        add("Entry/exit", "execution_type", self.execution)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(sides)
        layout.addLayout(grid)
        layout.addWidget(self.value_label)
        layout.addWidget(self.protection_label)
        layout.addWidget(self.session_label)
        layout.addWidget(self.submit_button)
        layout.addWidget(self.form_hint)
        layout.addWidget(self.result)
        layout.addStretch(1)

    def _connect(self) -> None:
        self.buy_button.clicked.connect(lambda: self.set_side(Side.BUY))
        self.sell_button.clicked.connect(lambda: self.set_side(Side.SELL))
        self.symbol.textChanged.connect(self._symbol_changed)
        self.exchange.currentTextChanged.connect(self._exchange_changed)
        self.unit.currentTextChanged.connect(self._unit_changed)
        self.order_type.currentTextChanged.connect(self._order_type_changed)
        self.use_last.clicked.connect(self._use_last_price)
        self.submit_button.clicked.connect(self.submit)
        touched = {
            "symbol": self.symbol.textEdited,
            "quantity": self.quantity.textEdited,
            "price": self.price.textEdited,
            "trigger_price": self.trigger.textEdited,
            "strategy": self.strategy.textEdited,
        }
        for name, signal in touched.items():
            signal.connect(lambda *_, field=name: self._touch(field))
        self.quantity.textChanged.connect(self._update_units_hint)
        for edit in (self.quantity, self.price, self.trigger, self.strategy):
            edit.textChanged.connect(self.check)
        for combo in (self.product, self.execution):
            combo.currentTextChanged.connect(self.check)
        self._bridge.ready_changed.connect(lambda *_: self.check())
        self._bridge.busy_changed.connect(lambda *_: self._update_submit())
        self._bridge.poll_completed.connect(self._poll_completed)

    # ---- the trader's keys ------------------------------------------------------------------

    def new_ticket(self, side: Side) -> None:
        """F1 / F2: a buy or sell ticket, the cursor in the symbol field."""
        self.set_side(side)
        self.symbol.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.symbol.selectAll()

    def clear(self) -> None:
        """Esc: an empty ticket (side and strategy kept as the trader's defaults)."""
        for edit in (self.symbol, self.quantity, self.price, self.trigger):
            edit.clear()
        self.strategy.setText(self._settings.default_strategy)
        self.order_type.setCurrentText(OrderType.MARKET.value)
        self.execution.setCurrentText(ExecutionType.ENTRY.value)
        self.unit.setCurrentText(LOTS)
        self._touched.clear()
        self._reveal_all = False
        self.result.clear()
        set_state(self.result, "state", "")
        self.set_side(self._side)
        self._order_type_changed(self.order_type.currentText())
        self._symbol_changed(self.symbol.text())

    def set_side(self, side: Side) -> None:
        self._side = side
        (self.buy_button if side is Side.BUY else self.sell_button).setChecked(True)
        set_state(self, "side", side.value.lower())
        set_state(self.submit_button, "side", side.value.lower())
        self.check()

    @property
    def side(self) -> Side:
        return self._side

    def apply_settings(self, settings: Settings) -> None:
        if self.strategy.text() == self._settings.default_strategy:
            self.strategy.setText(settings.default_strategy)
        self._settings = settings
        self.check()

    # ---- reading the form -------------------------------------------------------------------

    @property
    def instrument(self) -> Instrument | None:
        return self._instrument

    @property
    def last_price(self) -> Decimal | None:
        return self._last_price

    def in_lots(self) -> bool:
        instrument = self._instrument
        return (
            instrument is not None and instrument.lot_size > 1 and self.unit.currentText() == LOTS
        )

    def units_text(self) -> str:
        """The quantity as units (lots x lot size when typed in lots)."""
        text = self.quantity.text().strip()
        if self.in_lots() and self._instrument is not None:
            number = to_decimal(text)
            if number is not None and number == number.to_integral_value() and number > 0:
                return str(int(number) * self._instrument.lot_size)
        return text

    def raw_ticket(self) -> dict[str, object]:
        order_type = OrderType(self.order_type.currentText())
        return {
            "symbol": self.symbol.text(),
            "exchange": self.exchange.currentText(),
            "side": self._side.value,
            "quantity": self.units_text(),
            "order_type": order_type.value,
            "price": self.price.text() if order_type.needs_price else None,
            "trigger_price": self.trigger.text() if order_type.needs_trigger else None,
            "product": self.product.currentText(),
            "strategy": self.strategy.text(),
            "execution_type": self.execution.currentText(),
        }

    def check(self) -> OrderCommand | None:
        """Validate the form as the engine would; mark fields; None while anything is wrong."""
        parsed = parse_ticket(
            self.raw_ticket(), client_id=self._bridge.client_id, source=Source.MANUAL
        )
        if parsed.command is None:
            errors = list(parsed.errors)
        else:
            errors = validate_command(parsed.command, self._bridge.catalog)
        self._errors = errors
        self._command = parsed.command if not errors else None
        self._show_errors()
        self._update_value()
        self._update_submit()
        self._update_protection()
        self._update_session()
        return self._command

    @property
    def errors(self) -> list[FieldError]:
        return list(self._errors)

    def error_for(self, field: str) -> str:
        """The sentence shown under a field ("" when none is shown)."""
        label = self.error_labels.get(field)
        return label.text() if label is not None and label.isVisibleTo(self) else ""

    def _shown(self, error: FieldError) -> bool:
        """Every error of a field the trader has typed in; "required" ones wait for a touch."""
        if self._reveal_all or error.field in self._touched:
            return True
        widget = self.field_widgets.get(error.field)
        if isinstance(widget, QLineEdit) and not widget.text().strip():
            return not any(word in error.message for word in REQUIRED_WORDS)
        return True

    def _show_errors(self) -> None:
        by_field: dict[str, list[str]] = {}
        hidden: list[str] = []
        for error in self._errors:
            if error.field in self.error_labels and self._shown(error):
                by_field.setdefault(error.field, []).append(error.message)
            else:
                hidden.append(error.message)
        for name, label in self.error_labels.items():
            messages = by_field.get(name, [])
            label.setText(" ".join(messages))
            label.setVisible(bool(messages))
            set_invalid(self.field_widgets[name], bool(messages))
        self._hidden_errors = hidden

    def _update_submit(self) -> None:
        ready = self._bridge.is_ready
        busy = self._sending or self._bridge.is_busy
        self.submit_button.setEnabled(self._command is not None and ready and not busy)
        self.submit_button.setText("Sending…" if self._sending else self._submit_text())
        if not ready:
            self.form_hint.setText("Waiting for the engine: reconciling with the broker…")
        elif self._command is None and getattr(self, "_hidden_errors", None):
            self.form_hint.setText(f"To send: {self._hidden_errors[0]}")
        elif self._command is None and self._errors:
            self.form_hint.setText("Fix the fields marked in red to send.")
        else:
            self.form_hint.setText("")
        self.form_hint.setVisible(bool(self.form_hint.text()))

    def _submit_text(self) -> str:
        what = self.symbol.text().strip().upper() or "order"
        quantity = self.quantity.text().strip()
        amount = ""
        if quantity:
            amount = f"{quantity} {LOTS if self.in_lots() else ''}".rstrip() + " "
        return f"{self._side.value} {amount}{what}   ⏎"

    def _update_value(self) -> None:
        command = self._command
        if command is None:
            self.value_label.setText("")
            return
        value = order_value(command, self._last_price)
        if value is None:
            self.value_label.setText("Order value: waiting for the last price")
            return
        threshold = self._settings.confirm_above_value
        note = " · asks to confirm" if threshold is not None and value > threshold else ""
        self.value_label.setText(f"Order value ≈ {money(value)}{note}")

    # ---- market protection ------------------------------------------------------------------

    @property
    def protection(self) -> str:
        """The protected-price sentence shown for this ticket ("" when none)."""
        return self.protection_label.text() if self.protection_label.isVisibleTo(self) else ""

    def _update_protection(self, *, refresh: bool = False) -> None:
        """Ask the engine, at most one question at a time, what price a MARKET or SL-M ticket
        would be protected at; the answer is shown while the ticket is still the same."""
        command = self._command
        if command is None or command.order_type not in PROTECTED_TYPES:
            self._protection_for = None
            self._show_protection("")
            return
        key = _protection_key(command)
        if key == self._protection_for and not refresh:
            return
        if key != self._protection_for:
            self._show_protection("")
        self._protection_for = key
        if not self._protection_in_flight:
            self._protection_in_flight = True
            self._protection_asked_at = time.monotonic()
            self._tasks.spawn(self._fetch_protection(command), name="market protection")

    async def _fetch_protection(self, command: OrderCommand) -> None:
        try:
            sentence = await self._bridge.protection_preview(command)
        except Exception as error:  # a preview is a nicety: never an error dialog
            log.info("no protected price for %s: %s", command.symbol, error)
            sentence = None
        finally:
            self._protection_in_flight = False
        if self._protection_for == _protection_key(command):
            self._show_protection(sentence or "")
        elif self._protection_for is not None and self._command is not None:
            self._update_protection(refresh=True)  # the ticket changed while asking

    def _show_protection(self, sentence: str) -> None:
        self.protection_label.setText(sentence)
        self.protection_label.setVisible(bool(sentence))

    # ---- market hours -----------------------------------------------------------------------

    @property
    def session_note(self) -> str:
        """What the market's hours do to this ticket ("" when it goes as a regular order)."""
        return self.session_label.text() if self.session_label.isVisibleTo(self) else ""

    def _update_session(self) -> None:
        """Say before Buy/Sell that the ticket goes as an AMO, or will be refused and why."""
        command = self._command
        note = self._bridge.session_preview(command) if command is not None else None
        self.session_label.setText(note.text if note else "")
        self.session_label.setToolTip(note.detail if note else "")
        set_state(self.session_label, "state", "bad" if note and note.refused else "")
        self.session_label.setVisible(note is not None)

    # ---- field reactions --------------------------------------------------------------------

    def _touch(self, field: str) -> None:
        self._touched.add(field)

    def _symbol_changed(self, text: str) -> None:
        symbol = text.strip().upper()
        listed = self._bridge.catalog.by_symbol(symbol) if symbol else []
        current = self.exchange.currentText()
        if listed and current not in {i.exchange.value for i in listed}:
            self.exchange.setCurrentText(listed[0].exchange.value)  # calls _exchange_changed
        self._instrument_changed()

    def _exchange_changed(self, text: str) -> None:
        exchange = Exchange(text)
        keep = self.product.currentText()
        products = [product.value for product in products_for(exchange)]
        self.product.blockSignals(True)
        self.product.clear()
        self.product.addItems(products)
        self.product.setCurrentText(keep if keep in products else products[0])
        self.product.blockSignals(False)
        self._instrument_changed()

    def _instrument_changed(self) -> None:
        instrument = self._bridge.catalog.get(self.exchange.currentText(), self.symbol.text())
        if instrument != self._instrument:
            self._instrument = instrument
            self._last_price = None
            self._show_last_price()
            if instrument is not None:
                self._refresh_quote()
        lots = instrument is not None and instrument.lot_size > 1
        self.unit.setVisible(lots)
        if instrument is None:
            self.instrument_info.setText("")
        else:
            freeze = f" · freeze {instrument.freeze_qty:,}" if instrument.freeze_qty else ""
            self.instrument_info.setText(
                f"{instrument.name or instrument.underlying} · {instrument.kind} · "
                f"lot {instrument.lot_size} · tick {instrument.tick_size}{freeze}"
            )
        self._update_units_hint()
        self.check()

    def _unit_changed(self, unit: str) -> None:
        """Switching lots/units converts what is typed, so the size stays the same."""
        instrument = self._instrument
        number = to_decimal(self.quantity.text())
        if instrument is not None and instrument.lot_size > 1 and number is not None:
            if unit == UNITS and number == number.to_integral_value():
                self.quantity.setText(str(int(number) * instrument.lot_size))
            elif unit == LOTS and number % instrument.lot_size == 0:
                self.quantity.setText(str(int(number) // instrument.lot_size))
        self._update_units_hint()
        self.check()

    def _update_units_hint(self) -> None:
        instrument = self._instrument
        if instrument is None or instrument.lot_size <= 1:
            self.units_hint.setText("")
            return
        number = to_decimal(self.quantity.text())
        if number is None or number != number.to_integral_value():
            self.units_hint.setText(f"lot {instrument.lot_size}")
        elif self.in_lots():
            self.units_hint.setText(f"= {int(number) * instrument.lot_size:,} units")
        else:
            lots = number / instrument.lot_size
            shown = f"{lots:.0f}" if lots == lots.to_integral_value() else f"{lots:.2f}"
            self.units_hint.setText(f"= {shown} lots")

    def _order_type_changed(self, text: str) -> None:
        order_type = OrderType(text)
        self.price.setEnabled(order_type.needs_price)
        self.use_last.setEnabled(order_type.needs_price)
        self.trigger.setEnabled(order_type.needs_trigger)
        self.price.setPlaceholderText("limit price" if order_type.needs_price else "at market")
        self.trigger.setPlaceholderText(
            "trigger price" if order_type.needs_trigger else "no trigger"
        )
        self.check()

    def _use_last_price(self) -> None:
        if self._last_price is None or self._instrument is None:
            return
        rounded = round_to_tick(self._last_price, self._instrument.tick_size)
        self.price.setText(str(rounded))
        self._touch("price")

    # ---- last price -------------------------------------------------------------------------

    def _poll_completed(self, event: PollCompleted) -> None:
        self._update_units_hint()
        self._update_session()  # the market opens and closes while a ticket is typed
        if event.ok and self._instrument is not None:
            self._refresh_quote()
            since = time.monotonic() - self._protection_asked_at
            if self._protection_for is not None and since >= PROTECTION_REFRESH_S:
                self._update_protection(refresh=True)  # the last price it rests on moved

    def _refresh_quote(self) -> None:
        if self._quote_in_flight or self._instrument is None:
            return
        self._quote_in_flight = True
        self._tasks.spawn(self._fetch_quote(self._instrument), name="last price")

    async def _fetch_quote(self, instrument: Instrument) -> None:
        try:
            last = await self._bridge.last_price(instrument.exchange, instrument.symbol)
        except Exception as error:  # a quote is a nicety: never an error dialog
            log.info("last price of %s not available: %s", instrument.symbol, error)
            last = None
        finally:
            self._quote_in_flight = False
        if instrument == self._instrument:
            self._last_price = last
            self._show_last_price()
            self._update_value()

    def _show_last_price(self) -> None:
        self.last_price_label.setText(
            f"LTP {show_price(self._last_price)}" if self._last_price is not None else "LTP —"
        )

    # ---- sending ----------------------------------------------------------------------------

    def submit(self) -> None:
        """Enter / the button: send the ticket if it is valid (else show every problem)."""
        if self._sending:
            return
        if self.completer.popup().isVisible():
            return
        self._reveal_all = True
        command = self.check()
        if command is None or not self._bridge.is_ready or self._bridge.is_busy:
            return
        self._sending = True
        self._update_submit()
        self._tasks.spawn(self._send(command), name="submit ticket")

    async def _send(self, command: OrderCommand) -> None:
        try:
            if not await self._confirm(command):
                self._show_result("Not sent: you cancelled the confirmation.", "warn")
                return
            records = await self._bridge.submit(command)
        except EngineClosedError as error:
            self._show_result(f"Not sent: {error}", "bad")
            return
        finally:
            self._sending = False
            self._update_submit()
        text, state = outcome_sentence(records[0])
        if len(records) > 1:
            worst = max((outcome_sentence(r) for r in records), key=lambda o: STATES.index(o[1]))
            text = (
                f"Sliced at the freeze quantity into {len(records)} orders. "
                f"{worst[0] if worst[1] != 'ok' else text}"
            )
            state = worst[1]
        self._show_result(text, state)
        self.status_message.emit(text)
        self.submitted.emit(records[0])

    async def _confirm(self, command: OrderCommand) -> bool:
        threshold = self._settings.confirm_above_value
        if threshold is None:
            return True
        last = self._last_price
        if last is None and order_value(command, None) is None:
            try:
                last = await self._bridge.last_price(command.exchange, command.symbol)
            except Exception:
                last = None
        value = order_value(command, last)
        if value is not None and value <= threshold:
            return True
        worth = f"≈ {money(value)}" if value is not None else "unknown (no last price)"
        priced = f" @ {show_price(command.price)}" if command.price is not None else ""
        protected = f"\n{self.protection}" if self.protection else ""
        box, yes = question(
            self.window(),
            title="Confirm order",
            text=(
                f"{command.side} {command.quantity:,} {command.symbol} {command.order_type}"
                f"{priced}\nOrder value {worth}"
            ),
            details=f"Your confirmation threshold is {money(threshold)}.{protected}",
            accept=f"Send {command.side}",
            reject="Don't send",
            icon=QMessageBox.Icon.Warning,
        )
        self.confirmation = box
        try:
            return await answer(box, yes)
        finally:
            self.confirmation = None

    def _show_result(self, text: str, state: str) -> None:
        self.result.setText(text)
        set_state(self.result, "state", state)


def _protection_key(command: OrderCommand) -> tuple[object, ...]:
    """What a protected price depends on (the command id changes with every check)."""
    return (
        command.exchange,
        command.symbol,
        command.side,
        command.order_type,
        command.quantity,
        command.trigger_price,
        command.product,
    )
