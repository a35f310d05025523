"""Brokers for the benchmarks: the paper broker with a stopwatch, and a book-only stub.

`TimedBroker` wraps any broker and notes when each order reached `place_order` and how long
the call took, so submit-to-broker latency and the broker's own share of the time can be
told apart from the engine's. `BookBroker` answers from a prebuilt order book and costs next
to nothing, so a watcher pass measures the engine and the database, not a simulator.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from trader_gui.brokers.base import Broker, BrokerOrder, BrokerPosition, PlaceOrderRequest
from trader_gui.domain.enums import BrokerState, Exchange, OrderType


class TimedBroker:
    """Delegates everything to `inner`; stamps each `place_order` (thread-safe appends)."""

    def __init__(self, inner: Broker) -> None:
        self.inner = inner
        self.name = inner.name
        self.reached: dict[str, float] = {}
        """perf_counter() at which each order's tag reached the broker call."""
        self.call_s: list[float] = []
        """Seconds each place_order took, the broker's own work."""

    def place_order(self, request: PlaceOrderRequest) -> str:
        started = time.perf_counter()
        self.reached[request.tag] = started
        try:
            return self.inner.place_order(request)
        finally:
            self.call_s.append(time.perf_counter() - started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class BookBroker:
    """A broker whose order book is a list the benchmark built; `place_order` fills at once.

    `touch(count)` changes the next `count` orders of the book (one more share filled, still
    open), so each watcher pass has a known number of rows to write and the rest unchanged.
    """

    name = "bench"

    def __init__(self, book: Sequence[BrokerOrder] = ()) -> None:
        self.book: list[BrokerOrder] = list(book)
        self._ids = itertools.count(1)
        self._cursor = 0

    def login(self) -> None:
        return None

    def place_order(self, request: PlaceOrderRequest) -> str:
        broker_order_id = f"S{next(self._ids):013d}"
        self.book.append(
            BrokerOrder(
                broker_order_id=broker_order_id,
                tag=request.tag,
                symbol=request.symbol,
                exchange=request.exchange,
                side=request.side,
                quantity=request.quantity,
                order_type=request.order_type,
                product=request.product,
                state=BrokerState.COMPLETE,
                status_text="COMPLETE",
                filled_qty=request.quantity,
                avg_price=request.price or Decimal("965.05"),
            )
        )
        return broker_order_id

    def cancel_order(self, broker_order_id: str) -> None:
        raise NotImplementedError("the benchmark broker does not cancel")

    def modify_order(
        self,
        broker_order_id: str,
        *,
        quantity: int | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        order_type: OrderType | None = None,
    ) -> None:
        raise NotImplementedError("the benchmark broker does not modify")

    def order_book(self) -> Sequence[BrokerOrder]:
        return list(self.book)

    def positions(self) -> Sequence[BrokerPosition]:
        return []

    def quotes(self, keys: Sequence[tuple[Exchange, str]]) -> dict[tuple[Exchange, str], Decimal]:
        return {}

    def close(self) -> None:
        return None

    def touch(self, count: int) -> int:
        """One more share filled on the next `count` open orders, round the book; how many."""
        count = min(count, len(self.book))
        for _ in range(count):
            index = self._cursor % len(self.book)
            order = self.book[index]
            filled = order.filled_qty + 1
            self.book[index] = replace(
                order,
                state=BrokerState.PARTIALLY_FILLED,
                status_text="PARTIALLY_FILLED",
                filled_qty=filled,
                avg_price=order.avg_price or Decimal("965.05"),
            )
            self._cursor += 1
        return count
