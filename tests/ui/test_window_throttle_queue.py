"""Orders held back by the one order throttle (10 a second per account) show in the status
bar, and the line goes once the queue has drained."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from ui_support import Terminal, wait_for

from trader_gui.domain.enums import Exchange, ExecutionType, OrderStatus, OrderType, Product, Side
from trader_gui.domain.ids import new_command_id
from trader_gui.domain.order import OrderCommand
from trader_gui.engine.throttle import OrderThrottle

QUEUED = re.compile(r"^(\d+) orders? queued by the 10/s throttle$")


class HeldTime:
    """A monotonic clock that stands still; a throttle's wait lasts until the test releases
    it, then moves the clock on by exactly the time waited (no real sleeping)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.released = asyncio.Event()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await self.released.wait()
        self.now += seconds


def order(number: int) -> OrderCommand:
    return OrderCommand(
        command_id=new_command_id(),
        client_id="PAPER",
        symbol="SBIN",
        exchange=Exchange.NSE,
        side=Side.BUY,
        quantity=1,
        order_type=OrderType.MARKET,
        product=Product.MIS,
        strategy=f"burst{number}",
        execution_type=ExecutionType.ENTRY,
    )


def test_the_throttle_queue_shows_and_clears(qtbot: Any, terminal: Terminal) -> None:
    engine, bridge, status = terminal.runtime.engine, terminal.bridge, terminal.window.status
    time = HeldTime()
    engine.throttle = OrderThrottle(
        10, 1.0, monotonic=time, sleep=time.sleep, on_queue_change=engine._report_queue
    )
    counts: list[int] = []
    bridge.orders_queued.connect(lambda count, _rate: counts.append(count))
    assert not status.queue.isVisible()

    async def burst() -> list[Any]:
        return await asyncio.gather(*(bridge.submit(order(n)) for n in range(13)))

    task = asyncio.get_event_loop().create_task(burst())
    wait_for(qtbot, lambda: status.queue.isVisible())
    shown = QUEUED.match(status.queue.text())
    assert shown is not None, status.queue.text()
    assert int(shown.group(1)) == bridge.queued >= 1
    assert "algo registration above 10 orders a second" in status.queue.toolTip()
    wait_for(qtbot, lambda: len(terminal.broker.order_book()) == 10)  # the eleventh waits
    assert status.queue.isVisible()

    time.released.set()
    wait_for(qtbot, task.done)
    results = [record for records in task.result() for record in records]
    # sent, none dropped (a fast fill may already show as EXECUTED: the watcher got there first)
    assert {r.status for r in results} <= {OrderStatus.SENT_TO_BROKER, OrderStatus.EXECUTED}
    assert len(results) == 13
    assert len(terminal.broker.order_book()) == 13
    assert counts[-1] == 0
    assert bridge.queued == 0
    assert not status.queue.isVisible()
    assert status.queue.text() == ""
