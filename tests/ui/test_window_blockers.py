"""Blocked tickets show in the blockers panel with their sentence, newest first, counted."""

from __future__ import annotations

from typing import Any

from ui_support import Terminal, submit, type_ticket, wait_for

from trader_gui.domain.enums import OrderStatus, Side, Tag
from trader_gui.ui.columns import RAW_ROLE

FAR_BELOW = "820.00"  # SBIN trades near 965: a buy limit here waits
FAR_ABOVE = "1110.00"


def test_repeated_entry_and_repeated_exit_are_blocked_with_their_reasons(
    qtbot: Any, terminal: Terminal
) -> None:
    entry = terminal.entry
    blockers = terminal.window.blockers

    type_ticket(qtbot, entry, symbol="SBIN", quantity="1", order_type="LIMIT", price=FAR_BELOW)
    first = submit(qtbot, entry)
    assert first.status is OrderStatus.SENT_TO_BROKER
    wait_for(qtbot, lambda: terminal.record(first.command_id).broker_status == "OPEN")

    type_ticket(qtbot, entry, symbol="SBIN", quantity="1", order_type="LIMIT", price=FAR_BELOW)
    again = submit(qtbot, entry)

    # The execution guard answers first: the strategy is already entering SBIN.
    assert again.status is OrderStatus.FAILED
    assert again.tag is Tag.EXECUTION_GUARD_BLOCKED
    assert first.command_id in again.detail
    assert blockers.model.rowCount() == 1
    assert blockers.model.record(0).command_id == again.command_id
    assert blockers.counts[Tag.EXECUTION_GUARD_BLOCKED] == 1
    assert entry.result.text().startswith("Blocked (Strategy already in position)")

    for _ in range(2):
        type_ticket(
            qtbot,
            entry,
            symbol="SBIN",
            quantity="1",
            side=Side.SELL,
            order_type="LIMIT",
            price=FAR_ABOVE,
            execution="EXIT",
        )
        exit_record = submit(qtbot, entry)
    assert exit_record.tag is Tag.DUPLICATE_ORDER_BLOCKED
    assert "same strategy, symbol and side is already open" in exit_record.detail

    assert blockers.model.rowCount() == 2
    newest = blockers.model.index(0, blockers.model.column_index("tag"))
    assert newest.data(RAW_ROLE) == Tag.DUPLICATE_ORDER_BLOCKED
    assert newest.data() == "Duplicate order"
    why = blockers.model.index(0, blockers.model.column_index("detail")).data()
    assert why == exit_record.detail
    assert blockers.counts == {Tag.EXECUTION_GUARD_BLOCKED: 1, Tag.DUPLICATE_ORDER_BLOCKED: 1}
    assert blockers.count_labels[Tag.DUPLICATE_ORDER_BLOCKED].text() == "Duplicate order: <b>1</b>"
    assert blockers.count_labels[Tag.DUPLICATE_ORDER_BLOCKED].isVisibleTo(blockers)
    assert not blockers.count_labels[Tag.KILL_SWITCH_ACTIVE].isVisibleTo(blockers)
    assert blockers.total_label.text() == "<b>2</b> blocked today"
    assert len(terminal.broker.order_book()) == 2  # the blocked ones never left
