"""A ticket above the freeze quantity goes as slices: the orders table groups them under the
ticket, whose status sums theirs, and the lifecycle panel names a slice's ticket and siblings."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from ui_support import OPTION, Terminal, submit, type_ticket, wait_for

from trader_gui.domain.enums import (
    Exchange,
    ExecutionType,
    OrderStatus,
    OrderType,
    Product,
    Side,
    Tag,
)
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.ui.columns import RAW_ROLE
from trader_gui.ui.orders_model import OrdersFilter, OrdersModel, TicketGroup, ticket_status

START = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def child(
    ticket: str, number: int, status: OrderStatus = OrderStatus.SENT_TO_BROKER, **changes: Any
) -> OrderRecord:
    command = OrderCommand(
        command_id=f"{ticket}-{number}",
        client_id="PAPER",
        symbol=OPTION,
        exchange=Exchange.NFO,
        side=Side.BUY,
        quantity=1755 if number < 2 else 845,
        order_type=OrderType.MARKET,
        product=Product.NRML,
        strategy="nifty",
        execution_type=ExecutionType.ENTRY,
        ticket_id=ticket,
    )
    at = START + timedelta(milliseconds=number)
    return replace(
        OrderRecord(command=command, status=status, created_at=at, updated_at=at), **changes
    )


def single(number: int) -> OrderRecord:
    command = OrderCommand(
        command_id=f"S{number:019d}",
        client_id="PAPER",
        symbol="SBIN",
        exchange=Exchange.NSE,
        side=Side.BUY,
        quantity=1,
        order_type=OrderType.MARKET,
        product=Product.MIS,
        strategy=f"s{number % 3}",
        execution_type=ExecutionType.ENTRY,
    )
    at = START + timedelta(milliseconds=number)
    return OrderRecord(
        command=command, status=OrderStatus.SENT_TO_BROKER, created_at=at, updated_at=at
    )


def test_a_tickets_status_sums_its_slices() -> None:
    executed, failed, sent = OrderStatus.EXECUTED, OrderStatus.FAILED, OrderStatus.SENT_TO_BROKER
    assert ticket_status([child("T", 0, executed), child("T", 1, executed)]) == "2/2 EXECUTED"
    assert (
        ticket_status([child("T", 0, executed), child("T", 1, executed), child("T", 2, failed)])
        == "2 of 3 filled, 1 FAILED"
    )
    assert (
        ticket_status([child("T", 0, executed), child("T", 1, sent), child("T", 2, sent)])
        == "1 of 3 filled, 2 open"
    )
    assert ticket_status([child("T", 0, failed), child("T", 1, failed)]) == "2/2 FAILED"
    assert ticket_status([child("T", 0, sent), child("T", 1, sent)]) == "2/2 open"


def test_slices_sit_under_their_ticket_row_and_the_model_stays_sound(
    qtmodeltester: Any,
) -> None:
    model = OrdersModel()
    model.load([single(1), child("T1", 0), child("T1", 1), single(2)])
    model.upsert(child("T1", 2))
    model.upsert(child("T2", 0, OrderStatus.FAILED, tag=Tag.RISK_LIMITS_EXCEEDED, detail="no"))
    proxy = OrdersFilter(model)

    assert model.rowCount() == 4  # two singles, two tickets
    assert model.order_count() == 6
    ticket_index = model.index_of("T1")
    assert model.rowCount(ticket_index) == 3
    status = model.column_index("status")
    quantity = model.column_index("quantity")
    assert ticket_index.siblingAtColumn(status).data() == "3/3 open"
    assert ticket_index.siblingAtColumn(quantity).data(RAW_ROLE) == 1755 * 2 + 845
    slice_index = model.index_of("T1-1")
    assert slice_index.parent() == ticket_index
    assert slice_index.siblingAtColumn(quantity).data() == "1,755"
    assert model.ticket_of("T1-1") is model.ticket("T1")

    changes: list[tuple[int, bool]] = []
    model.dataChanged.connect(lambda top, *_: changes.append((top.row(), top.parent().isValid())))
    model.upsert(
        child(
            "T1",
            0,
            OrderStatus.EXECUTED,
            filled_qty=1755,
            avg_price=Decimal("525.60"),
            updated_at=START + timedelta(seconds=1),
        )
    )
    model.upsert(
        child(
            "T1",
            1,
            OrderStatus.FAILED,
            tag=Tag.BROKER_REJECTED,
            detail="RMS: margin",
            updated_at=START + timedelta(seconds=1),
        )
    )
    model.upsert(
        child(
            "T1",
            2,
            OrderStatus.EXECUTED,
            filled_qty=845,
            avg_price=Decimal("526.10"),
            updated_at=START + timedelta(seconds=1),
        )
    )
    ticket_row = ticket_index.row()
    # each slice's row, then its ticket's row: nothing else is repainted
    slice_then_ticket = [[(row, True), (ticket_row, False)] for row in range(3)]
    assert changes == [change for pair in slice_then_ticket for change in pair]
    assert ticket_index.siblingAtColumn(status).data() == "2 of 3 filled, 1 FAILED"
    assert ticket_index.siblingAtColumn(model.column_index("filled_qty")).data() == "2,600"
    assert ticket_index.siblingAtColumn(model.column_index("avg_price")).data(RAW_ROLE) == Decimal(
        "525.76"
    )
    assert (
        "Slice 2 of 3: RMS: margin"
        in ticket_index.siblingAtColumn(model.column_index("detail")).data()
    )
    assert model.open_count() == 2  # the two singles

    proxy.set_statuses({OrderStatus.FAILED})  # a ticket shows through the slices that match
    assert proxy.shown_count() == 2
    assert {type(proxy.record_at(r)) for r in range(proxy.rowCount())} == {TicketGroup}
    first = proxy.index(0, 0)
    assert proxy.rowCount(first) == 1
    proxy.set_statuses(None)
    proxy.set_search("t1-2")
    assert proxy.shown_count() == 1
    assert [r.command_id for r in proxy.shown_orders()] == ["T1-2"]

    # Qt's own rules for models, on the tree as it stands (one model per tester: it keeps
    # listening to what it checked).
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(OrdersFilter(model), force_py=True)


def test_ten_thousand_rows_with_tickets_load_in_one_insert(qtbot: Any) -> None:
    model = OrdersModel()
    inserts: list[tuple[bool, int, int]] = []
    model.rowsInserted.connect(
        lambda parent, first, last: inserts.append((parent.isValid(), first, last))
    )
    history = [single(n) for n in range(9_000)]
    for ticket in range(500):
        history += [child(f"T{ticket}", n) for n in range(2)]
    started = time.perf_counter()
    model.load(history)
    assert time.perf_counter() - started < 1.0
    assert inserts == [(False, 0, 9_499)]
    assert model.order_count() == 10_000
    proxy = OrdersFilter(model)
    proxy.sort(model.column_index("time"), Qt.SortOrder.DescendingOrder)
    changes: list[tuple[int, bool]] = []
    model.dataChanged.connect(lambda top, *_: changes.append((top.row(), top.parent().isValid())))
    started = time.perf_counter()
    model.upsert(child("T7", 1, OrderStatus.EXECUTED, updated_at=START + timedelta(seconds=9)))
    assert time.perf_counter() - started < 0.1
    assert changes == [(1, True), (model.index_of("T7").row(), False)]
    assert model.index_of("T7").siblingAtColumn(model.column_index("status")).data() == (
        "1 of 2 filled, 1 open"
    )


PUT = "NIFTY01DEC2625500PE"
"""A NIFTY put near 25: 40 lots cost about 66,000, well inside the paper account's money."""


def send_large_option_ticket(
    qtbot: Any, terminal: Terminal, symbol: str
) -> tuple[OrderRecord, TicketGroup]:
    """40 lots of a NIFTY option (2,600 units; the freeze quantity is 27 lots, 1,755 units),
    sent from the ticket; returns the first slice and the ticket once both slices are done."""
    entry = terminal.entry
    type_ticket(qtbot, entry, symbol=symbol, quantity="40")
    assert "freeze 1,755" in entry.instrument_info.text()
    first = submit(qtbot, entry)
    assert first.command.ticket_id is not None
    assert entry.result.text().startswith("Sliced at the freeze quantity into 2 orders.")
    model = terminal.window.orders.model
    ticket_id = first.command.ticket_id

    def done() -> bool:
        group = model.ticket(ticket_id)
        return group is not None and len(group.children) == 2 and not group.is_open

    wait_for(qtbot, done)
    ticket = model.ticket(ticket_id)
    assert ticket is not None
    return first, ticket


def test_a_large_option_ticket_is_sliced_and_grouped_with_its_summed_status(
    qtbot: Any, terminal: Terminal
) -> None:
    first, ticket = send_large_option_ticket(qtbot, terminal, PUT)
    orders = terminal.window.orders
    model = orders.model
    ticket_id = ticket.ticket_id
    assert sorted(c.command.quantity for c in ticket.children) == [845, 1755]
    assert {c.command.ticket_id for c in ticket.children} == {ticket_id}
    assert model.rowCount() == 1  # one ticket row, the slices under it
    row = model.index_of(ticket_id)
    assert not row.parent().isValid()
    assert model.rowCount(row) == 2
    assert row.siblingAtColumn(model.column_index("status")).data() == "2/2 EXECUTED"
    assert row.siblingAtColumn(model.column_index("quantity")).data() == "2,600"
    assert row.siblingAtColumn(model.column_index("filled_qty")).data() == "2,600"
    assert row.siblingAtColumn(model.column_index("command_id")).data() == ticket_id
    assert orders.count_label.text() == "2 orders · 0 open"

    # The first slice was selected after sending: its steps, its ticket and its sibling.
    lifecycle = terminal.window.lifecycle
    sibling = next(c for c in ticket.children if c.command_id != first.command_id)
    selected = orders.selected()
    assert selected is not None
    assert selected.command_id == first.command_id
    assert orders.table.isExpanded(orders.proxy.mapFromSource(row))
    assert lifecycle.command_id == first.command_id
    wait_for(qtbot, lambda: "2/2 EXECUTED" in lifecycle.ticket_label.text())
    context = lifecycle.ticket_label.text()
    assert context.startswith(f"Slice 1 of 2 of ticket <b>{ticket_id}</b> (2/2 EXECUTED)")
    assert f"{sibling.command_id} <span" in context
    assert "EXECUTED</span>" in context
    wait_for(qtbot, lambda: lifecycle.tree.topLevelItemCount() >= 3)
    assert lifecycle.tree.topLevelItem(0).text(2) == "CREATED"

    assert orders.select(ticket_id)  # the ticket's row: its slices, one line each
    assert orders.selected_ticket() is ticket
    assert lifecycle.ticket_id == ticket_id
    assert lifecycle.slice_lines() == [
        "slice 1 of 2 · 1,755 · EXECUTED",
        "slice 2 of 2 · 845 · EXECUTED",
    ]
    assert f"Ticket BUY 2,600 {PUT}" in lifecycle.title.text()
    assert not orders.cancel_button.isEnabled()

    orders.search.setText(sibling.command_id)  # searching finds the slice inside its ticket
    assert orders.proxy.shown_count() == 1
    assert orders.proxy.rowCount(orders.proxy.index(0, 0, QModelIndex())) == 1


def test_a_slice_the_broker_refuses_shows_in_the_tickets_status(
    qtbot: Any, terminal: Terminal
) -> None:
    """40 lots of a call near 525 cost 1.37 million: the paper account's million pays for the
    first slice, and the broker refuses the second for margin."""
    first, ticket = send_large_option_ticket(qtbot, terminal, OPTION)
    model = terminal.window.orders.model
    row = model.index_of(ticket.ticket_id)
    assert row.siblingAtColumn(model.column_index("status")).data() == "1 of 2 filled, 1 FAILED"
    assert row.siblingAtColumn(model.column_index("filled_qty")).data() == "1,755"
    assert row.siblingAtColumn(model.column_index("tag")).data(RAW_ROLE) == Tag.BROKER_REJECTED
    detail = row.siblingAtColumn(model.column_index("detail")).data()
    assert detail.startswith("Sliced at the freeze quantity into 2 orders. Slice 2 of 2: REJECTED")
    assert "Margin" in detail
    lifecycle = terminal.window.lifecycle
    assert lifecycle.command_id == first.command_id
    wait_for(qtbot, lambda: "(1 of 2 filled, 1 FAILED)" in lifecycle.ticket_label.text())
    assert "FAILED</span>" in lifecycle.ticket_label.text()
