"""Invalid tickets are marked at their field, cannot be sent, and never reach the broker."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from ui_support import OPTION, Terminal, type_ticket


def assert_nothing_sent(terminal: Terminal) -> None:
    assert terminal.broker.order_book() == []
    assert terminal.window.orders.model.rowCount() == 0


def test_quantity_off_the_lot_is_marked_and_blocks_sending(qtbot: Any, terminal: Terminal) -> None:
    entry = terminal.entry
    type_ticket(qtbot, entry, symbol=OPTION, quantity="70", unit="units")

    assert entry.quantity.property("invalid") is True
    sentence = entry.error_for("quantity")
    assert "not a whole number of lots" in sentence
    assert "lot size of NIFTY01DEC2625500CE is 65" in sentence
    assert entry.error_labels["quantity"].isVisible()
    assert not entry.submit_button.isEnabled()

    entry.submit()  # Enter on an invalid ticket only shows the problems
    qtbot.keyClick(entry.quantity, Qt.Key.Key_Return)
    assert_nothing_sent(terminal)


def test_limit_price_off_the_tick_is_marked_and_blocks_sending(
    qtbot: Any, terminal: Terminal
) -> None:
    entry = terminal.entry
    type_ticket(qtbot, entry, symbol="SBIN", quantity="1", order_type="LIMIT", price="965.03")

    assert entry.price.property("invalid") is True
    assert (
        entry.error_for("price") == "Price 965.03 is not on the tick: SBIN moves in steps of 0.05."
    )
    assert entry.quantity.property("invalid") is False
    assert not entry.submit_button.isEnabled()
    assert_nothing_sent(terminal)

    entry.price.clear()
    qtbot.keyClicks(entry.price, "965.05")
    assert entry.price.property("invalid") is False
    assert entry.error_for("price") == ""
    assert entry.submit_button.isEnabled()


def test_a_fresh_ticket_is_not_red_but_says_what_it_needs(qtbot: Any, terminal: Terminal) -> None:
    entry = terminal.entry
    entry.clear()
    assert not any(label.isVisible() for label in entry.error_labels.values())
    assert entry.form_hint.text() == "To send: Symbol is required."
    assert not entry.submit_button.isEnabled()

    entry.submit()  # trying to send reveals every missing field
    assert entry.error_for("symbol") == "Symbol is required."
    assert entry.symbol.property("invalid") is True
    assert_nothing_sent(terminal)


def test_lots_and_units_convert_and_only_enabled_fields_count(
    qtbot: Any, terminal: Terminal
) -> None:
    entry = terminal.entry
    type_ticket(qtbot, entry, symbol=OPTION, quantity="3", order_type="SL-M", trigger="20.05")
    assert entry.units_hint.text() == "= 195 units"
    assert entry.raw_ticket()["quantity"] == "195"
    assert not entry.price.isEnabled()
    assert entry.trigger.isEnabled()

    entry.unit.setCurrentText("units")
    assert entry.quantity.text() == "195"
    assert entry.units_hint.text() == "= 3 lots"

    type_ticket(qtbot, entry, symbol="SBIN", quantity="5")
    assert not entry.unit.isVisible()
    assert entry.product.currentText() == "MIS"
    assert [entry.product.itemText(i) for i in range(entry.product.count())] == ["MIS", "CNC"]
    assert entry.submit_button.isEnabled()
