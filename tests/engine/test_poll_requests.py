"""Early polls asked for after each submit coalesce: however many come while a poll runs, one
more poll follows, and it reads the whole book, so every change is still seen."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from engine_support import Harness, ticket

from trader_gui.brokers.base import BrokerOrder
from trader_gui.domain.enums import OrderStatus
from trader_gui.engine.events import Event, PollCompleted
from trader_gui.engine.runtime import Runtime

pytestmark = pytest.mark.asyncio


class GatedBook:
    """The broker's order book, held at the gate on every read until the test opens it."""

    def __init__(self, read: Callable[[], Sequence[BrokerOrder]]) -> None:
        self._read = read
        self.reads = 0
        self.entered = threading.Semaphore(0)
        self.gate = threading.Semaphore(0)

    def __call__(self) -> Sequence[BrokerOrder]:
        self.reads += 1
        self.entered.release()
        if not self.gate.acquire(timeout=30):
            raise TimeoutError("the test never opened the gate")
        return self._read()

    async def wait_entered(self) -> None:
        """Until a poll is at the gate (the read runs on a broker thread)."""
        assert await asyncio.to_thread(self.entered.acquire, True, 30)


async def test_requests_during_a_poll_lead_to_exactly_one_more_poll(
    harness: Harness, clock: Any
) -> None:
    runtime: Runtime = await harness.start()
    watcher = runtime.watcher
    polls: list[PollCompleted] = []
    second = asyncio.Event()

    def on_event(event: Event) -> None:
        if isinstance(event, PollCompleted):
            polls.append(event)
            if len(polls) == 2:
                second.set()

    runtime.events.subscribe(on_event)
    book = GatedBook(runtime.broker.order_book)
    runtime.broker.order_book = book  # type: ignore[method-assign]

    watcher.poll_soon()
    await book.wait_entered()  # the first poll is reading the book
    assert not watcher.poll_pending
    records = []
    for number in range(20):  # orders placed while it reads, each followed by a request
        records += await runtime.engine.submit_ticket(ticket(strategy=f"s{number}"))
        watcher.poll_soon()
    assert watcher.poll_pending
    book.gate.release()

    await book.wait_entered()  # the one poll that follows
    assert not watcher.poll_pending  # it took every request made before it began
    clock.advance(1)  # the paper broker fills the orders
    book.gate.release()
    await second.wait()

    assert book.reads == 2
    assert not watcher.poll_pending
    assert [p.ok for p in polls] == [True, True]
    for record in records:
        stored = runtime.repository.get(record.command_id)
        assert stored is not None
        assert stored.status is OrderStatus.EXECUTED
