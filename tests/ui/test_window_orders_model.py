"""The orders model: keyed rows changed in place, one insert for the history, sound for Qt."""

from __future__ import annotations

import csv
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from ui_support import Terminal

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
from trader_gui.ui.columns import RAW_ROLE, SORT_ROLE
from trader_gui.ui.orders_model import OPEN_STATUSES, OrdersFilter, OrdersModel

START = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def record(number: int, **changes: Any) -> OrderRecord:
    command = OrderCommand(
        command_id=f"C{number:019d}",
        client_id="PAPER",
        symbol="SBIN" if number % 2 else "INFY",
        exchange=Exchange.NSE,
        side=Side.BUY if number % 3 else Side.SELL,
        quantity=1 + number % 7,
        order_type=OrderType.LIMIT,
        product=Product.MIS,
        strategy=f"s{number % 4}",
        execution_type=ExecutionType.ENTRY,
        price=Decimal("965.05"),
    )
    at = START + timedelta(milliseconds=number)
    base = OrderRecord(
        command=command, status=OrderStatus.SENT_TO_BROKER, created_at=at, updated_at=at
    )
    return replace(base, **changes)


def test_model_passes_the_qt_model_tester(qtmodeltester: Any) -> None:
    model = OrdersModel()
    model.load([record(n) for n in range(5)])
    model.upsert(record(7, status=OrderStatus.FAILED, tag=Tag.KILL_SWITCH_ACTIVE, detail="off"))
    model.upsert(record(2, status=OrderStatus.EXECUTED, filled_qty=3, avg_price=Decimal("965")))
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(OrdersFilter(model), force_py=True)


def test_history_loads_with_one_insert_and_updates_touch_one_row(qtbot: Any) -> None:
    model = OrdersModel()
    inserts: list[tuple[int, int]] = []
    changes: list[tuple[int, int]] = []
    resets: list[bool] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserts.append((first, last)))
    model.dataChanged.connect(lambda top, bottom, *_: changes.append((top.row(), bottom.row())))
    model.modelReset.connect(lambda: resets.append(True))

    history = [record(n) for n in range(10_000)]
    started = time.perf_counter()
    model.load(history)
    assert time.perf_counter() - started < 1.0
    assert inserts == [(0, 9_999)]

    model.upsert(replace(history[1234], status=OrderStatus.EXECUTED, filled_qty=2))
    model.upsert(record(10_000))
    assert changes == [(1234, 1234)]
    assert inserts == [(0, 9_999), (10_000, 10_000)]
    assert resets == []
    status = model.column_index("status")
    assert model.index(1234, status).data() == "EXECUTED"
    assert model.index(1234, status).data(Qt.ItemDataRole.BackgroundRole) is not None


def test_a_batch_shows_each_orders_last_step_with_one_change_per_run_of_rows() -> None:
    model = OrdersModel()
    model.load([record(n) for n in range(10)])
    changes: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda top, bottom, *_: changes.append((top.row(), bottom.row())))
    done = OrderStatus.EXECUTED

    added = model.upsert_many(
        [
            record(7, status=done, filled_qty=1),
            record(3, status=done, filled_qty=1),
            record(4, status=OrderStatus.FAILED, tag=Tag.BROKER_REJECTED, detail="no margin"),
            record(10),
            record(8, status=done, filled_qty=1),
            record(10, status=done, filled_qty=1),
        ]
    )

    assert [r.command_id for r in added] == [record(10).command_id]
    assert sorted(changes) == [(3, 4), (7, 8)]
    status = model.column_index("status")
    shown = [model.index(row, status).data() for row in range(model.rowCount())]
    assert shown == [
        "SENT_TO_BROKER", "SENT_TO_BROKER", "SENT_TO_BROKER", "EXECUTED", "FAILED",
        "SENT_TO_BROKER", "SENT_TO_BROKER", "EXECUTED", "EXECUTED", "SENT_TO_BROKER",
        "EXECUTED",
    ]  # fmt: skip
    assert model.open_count() == 6


def test_a_late_history_row_never_overwrites_a_newer_live_step() -> None:
    model = OrdersModel()
    live = record(1, status=OrderStatus.EXECUTED, updated_at=START + timedelta(seconds=5))
    model.upsert(live)
    model.load([record(1), record(2)])
    assert model.get(live.command_id) == live
    assert model.rowCount() == 2


def test_filters_search_and_sort(qtbot: Any) -> None:
    model = OrdersModel()
    model.load([record(n) for n in range(20)])
    model.upsert(
        record(3, status=OrderStatus.FAILED, tag=Tag.DUPLICATE_ORDER_BLOCKED, detail="twin X")
    )
    proxy = OrdersFilter(model)
    proxy.sort(model.column_index("time"), Qt.SortOrder.DescendingOrder)
    assert proxy.record_at(0).command_id == record(19).command_id

    proxy.set_statuses({OrderStatus.FAILED})
    assert proxy.rowCount() == 1
    proxy.set_statuses(OPEN_STATUSES)
    assert proxy.rowCount() == 19
    proxy.set_statuses(None)
    proxy.set_strategy("s1")
    assert {proxy.record_at(r).command.strategy for r in range(proxy.rowCount())} == {"s1"}
    proxy.set_strategy(None)
    proxy.set_search("duplicate twin")
    assert proxy.rowCount() == 1
    proxy.set_search("infy")
    assert proxy.rowCount() == 10
    price = model.index(0, model.column_index("price"))
    assert price.data() == "965.05"
    assert price.data(SORT_ROLE) == 965.05
    assert price.data(RAW_ROLE) == Decimal("965.05")


def test_csv_export_writes_the_rows_shown(terminal: Terminal, tmp_path: Path) -> None:
    panel = terminal.window.orders
    panel.load([record(n) for n in range(6)])
    panel.search.setText("SBIN")
    path = tmp_path / "orders.csv"
    assert panel.export_csv(path) == 3
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["symbol"] for row in rows] == ["SBIN"] * 3
    assert rows[0]["price"] == "965.05"
    assert rows[0]["status"] == "SENT_TO_BROKER"
    assert rows[0]["time"].startswith("2026-11-25")
    assert panel.count_label.text() == "3 of 6 orders · 6 open"


def test_a_painted_cell_shows_the_orders_new_version_text_and_colour(qtbot: Any) -> None:
    """What the table's delegate is given (all roles of a cell in one call) is the model's
    data, and a new version of an order is what is painted after it changes."""
    from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

    model = OrdersModel()
    model.load([record(n) for n in range(3)])
    proxy = OrdersFilter(model)
    delegate = QStyledItemDelegate()
    status = model.column_index("status")

    def painted(command_id: str, column: int) -> QStyleOptionViewItem:
        option = QStyleOptionViewItem()
        delegate.initStyleOption(option, proxy.mapFromSource(model.index_of(command_id, column)))
        return option

    before = painted(record(1).command_id, status)
    assert before.text == "SENT_TO_BROKER"
    assert before.font.bold()

    model.upsert(record(1, status=OrderStatus.FAILED, tag=Tag.KILL_SWITCH_ACTIVE, detail="off"))

    after = painted(record(1).command_id, status)
    source = model.index_of(record(1).command_id, status)
    assert after.text == source.data() == "FAILED"
    assert after.backgroundBrush.color() == source.data(Qt.ItemDataRole.BackgroundRole).color()
    assert after.backgroundBrush.color() != before.backgroundBrush.color()
    quantity = painted(record(2).command_id, model.column_index("quantity"))
    assert quantity.text == "3"
    assert quantity.displayAlignment & Qt.AlignmentFlag.AlignRight


def test_a_cell_painted_after_a_status_cell_keeps_its_own_colours_and_alignment(
    qtbot: Any,
) -> None:
    """The delegate reuses one set of role slots for every cell it paints: a role a cell
    does not have must be cleared, or the status cell's fill and white text spread along
    the row (a BUY side unreadable on a red fill)."""
    from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

    model = OrdersModel()
    model.load([record(1, status=OrderStatus.FAILED, tag=Tag.KILL_SWITCH_ACTIVE, detail="off")])
    proxy = OrdersFilter(model)
    delegate = QStyledItemDelegate()
    command_id = record(1).command_id

    def painted(key: str) -> QStyleOptionViewItem:
        option = QStyleOptionViewItem()
        index = proxy.mapFromSource(model.index_of(command_id, model.column_index(key)))
        delegate.initStyleOption(option, index)
        return option

    status = painted("status")
    symbol = painted("symbol")
    side = painted("side")

    assert status.backgroundBrush.style() != Qt.BrushStyle.NoBrush
    assert symbol.backgroundBrush.style() == Qt.BrushStyle.NoBrush
    assert not symbol.font.bold()
    assert not symbol.displayAlignment & Qt.AlignmentFlag.AlignHCenter
    assert side.backgroundBrush.style() == Qt.BrushStyle.NoBrush
    side_colour = model.index_of(command_id, model.column_index("side")).data(
        Qt.ItemDataRole.ForegroundRole
    )
    assert side.palette.text().color() == side_colour.color()
