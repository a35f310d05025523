"""One watcher pass compares every open row with the book and writes only the rows that
differ, in one commit: an unchanged book writes nothing, however the price is spelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import event
from tickets import ticket

from trader_gui.brokers.base import BrokerOrder
from trader_gui.domain.enums import BrokerState, OrderStatus
from trader_gui.domain.order import OrderCommand
from trader_gui.engine.watcher import Reconciler
from trader_gui.persistence.repository import OrderRepository, StatusChange

AT = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)


def sent(repository: OrderRepository, order: OrderCommand, broker_id: str) -> None:
    repository.create(order, AT)
    repository.apply(StatusChange(order.command_id, OrderStatus.SENT_TO_BROKER, AT))
    repository.apply(
        StatusChange(
            order.command_id,
            OrderStatus.SENT_TO_BROKER,
            AT,
            broker_order_id=broker_id,
            broker_status="OPEN",
        )
    )


def book_entry(
    order: OrderCommand,
    broker_id: str,
    state: BrokerState,
    filled: int = 0,
    avg_price: str | None = None,
) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=broker_id,
        tag=order.command_id,
        symbol=order.symbol,
        exchange=order.exchange,
        side=order.side,
        quantity=order.quantity,
        order_type=order.order_type,
        product=order.product,
        state=state,
        status_text=state.value,
        filled_qty=filled,
        avg_price=Decimal(avg_price) if avg_price else None,
    )


def test_a_pass_writes_only_what_differs_and_an_unchanged_book_writes_nothing(
    repository: OrderRepository,
) -> None:
    filling, resting, done = ticket(), ticket(strategy="s2"), ticket(strategy="s3")
    for order, broker_id in ((filling, "B1"), (resting, "B2"), (done, "B3")):
        sent(repository, order, broker_id)
    reconciler = Reconciler(repository, "PAPER", "paper", grace_s=30)
    commits: list[object] = []
    event.listen(repository.engine, "commit", commits.append)
    now = AT + timedelta(seconds=5)
    book = [
        book_entry(filling, "B1", BrokerState.PARTIALLY_FILLED, 4, "812.4"),
        book_entry(resting, "B2", BrokerState.OPEN),
        book_entry(done, "B3", BrokerState.COMPLETE, 10, "99.95"),
    ]

    first = reconciler.reconcile(book, now, frozenset())
    again = reconciler.reconcile(
        [  # the same fills, the prices spelled as another broker would
            book_entry(filling, "B1", BrokerState.PARTIALLY_FILLED, 4, "812.40"),
            book_entry(resting, "B2", BrokerState.OPEN),
        ],
        now,
        frozenset(),
    )

    assert sorted(a.record.command_id for a in first.applied) == sorted(
        [filling.command_id, done.command_id]
    )
    assert len(commits) == 1
    assert again.applied == []
    partial = repository.get(filling.command_id)
    assert partial is not None
    assert (partial.status, partial.filled_qty, partial.avg_price) == (
        OrderStatus.SENT_TO_BROKER,
        4,
        Decimal("812.4"),
    )
    final = repository.get(done.command_id)
    assert final is not None
    assert final.status is OrderStatus.EXECUTED
    assert len(repository.transitions(resting.command_id)) == 3  # untouched by both passes
