"""MARKET and SL-M tickets on a broker that protects market orders: the protected price is
said before the ticket is sent, when the engine can tell it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from ui_support import Terminal, TerminalFactory, run, type_ticket, wait_for

from trader_gui.domain.enums import OrderType
from trader_gui.domain.order import OrderCommand

SENTENCE = "Goes out as LIMIT 975.15: 1 % above the last price 965.50 (market protection)."


def test_a_broker_that_protects_nothing_shows_nothing(qtbot: Any, terminal: Terminal) -> None:
    type_ticket(qtbot, terminal.entry, symbol="SBIN", quantity="1")  # MARKET on paper
    assert run(qtbot, terminal.bridge.protection_preview(terminal.entry.check())) is None
    assert terminal.entry.protection == ""
    assert not terminal.entry.protection_label.isVisibleTo(terminal.entry)


def test_a_market_ticket_shows_its_protected_price_before_it_is_sent(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    terminal = terminals.open(confirm_above_value=Decimal("500"))
    asked: list[OrderCommand] = []

    async def preview(command: OrderCommand) -> str | None:
        asked.append(command)
        return SENTENCE if command.order_type in (OrderType.MARKET, OrderType.SL_M) else None

    terminal.runtime.engine.preview = preview  # type: ignore[attr-defined]
    entry = terminal.entry
    type_ticket(qtbot, entry, symbol="SBIN", quantity="1")
    wait_for(qtbot, lambda: entry.protection == SENTENCE)
    assert asked[-1].order_type is OrderType.MARKET
    assert asked[-1].symbol == "SBIN"

    entry.order_type.setCurrentText("LIMIT")
    qtbot.keyClicks(entry.price, "965.00")
    assert entry.protection == ""

    entry.order_type.setCurrentText("MARKET")
    wait_for(qtbot, lambda: entry.protection == SENTENCE)
    qtbot.mouseClick(entry.submit_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: entry.confirmation is not None and entry.confirmation.isVisible())
    assert SENTENCE in entry.confirmation.informativeText()
    qtbot.mouseClick(entry.confirmation.buttons()[1], Qt.MouseButton.LeftButton)  # Don't send
    wait_for(qtbot, lambda: entry.result.text() == "Not sent: you cancelled the confirmation.")
    assert terminal.broker.order_book() == []
