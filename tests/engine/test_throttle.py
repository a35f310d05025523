"""The one order throttle: 10 a second per account, in order, never dropped."""

from __future__ import annotations

import asyncio

import pytest
from engine_support import ticket

from trader_gui.domain.enums import OrderStatus
from trader_gui.engine.events import OrdersQueued
from trader_gui.engine.throttle import OrderThrottle

pytestmark = pytest.mark.asyncio


class ControlledTime:
    """A monotonic clock whose sleeps advance it instead of waiting."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # allow-sleep: yields to the loop, does not wait


async def test_eleventh_order_in_a_second_waits_for_the_window_to_pass() -> None:
    time = ControlledTime()
    throttle = OrderThrottle(10, 1.0, monotonic=time, sleep=time.sleep)
    left_at = []

    for _ in range(11):
        await throttle.wait_for_slot("A")
        throttle.take("A")
        left_at.append(time.now)
        time.now += 0.01

    assert left_at[:10] == pytest.approx([100 + 0.01 * i for i in range(10)])
    assert left_at[10] == pytest.approx(101.0)
    assert max(b - a for a, b in zip(left_at, left_at[10:], strict=False)) <= 1.0 + 1e-9


async def test_accounts_have_their_own_rate() -> None:
    time = ControlledTime()
    throttle = OrderThrottle(2, 1.0, monotonic=time, sleep=time.sleep)
    for _ in range(2):
        await throttle.wait_for_slot("A")
        throttle.take("A")

    waited = await throttle.wait_for_slot("B")

    assert waited == 0
    assert time.slept == []


async def test_engine_holds_a_burst_to_the_rate_in_order_and_drops_nothing(harness) -> None:
    time = ControlledTime()
    runtime = harness.build()
    engine = runtime.engine
    engine.throttle = OrderThrottle(
        10, 1.0, monotonic=time, sleep=time.sleep, on_queue_change=engine._report_queue
    )
    await runtime.start()
    left_at: list[float] = []
    take = engine.throttle.take
    engine.throttle.take = lambda client_id: (left_at.append(time.now), take(client_id))[1]  # type: ignore[method-assign]
    orders = [ticket(strategy=f"burst{i}") for i in range(25)]

    results = await asyncio.gather(*(engine.submit(order) for order in orders))

    assert all(r.status is OrderStatus.SENT_TO_BROKER for r in results)
    with runtime.repository.engine.connect() as connection:
        marked = list(
            connection.exec_driver_sql(
                "SELECT command_id FROM order_transitions "
                "WHERE from_status = 'CREATED' AND to_status = 'SENT_TO_BROKER' ORDER BY id"
            ).scalars()
        )
    assert marked == [o.command_id for o in orders]
    assert len(left_at) == 25
    for first, eleventh in zip(left_at, left_at[10:], strict=False):
        assert eleventh - first >= 1.0
    queued = [e.count for e in harness.events if isinstance(e, OrdersQueued)]
    assert max(queued) > 1
    assert queued[-1] == 0


async def test_free_says_whether_an_order_would_wait() -> None:
    time = ControlledTime()
    throttle = OrderThrottle(2, 1.0, monotonic=time, sleep=time.sleep)

    free_before = [throttle.free("A")]
    for _ in range(2):
        await throttle.wait_for_slot("A")
        throttle.take("A")
        free_before.append(throttle.free("A"))
    other_account = throttle.free("B")
    time.now += 1.0

    assert free_before == [True, True, False]
    assert other_account
    assert throttle.free("A")
    assert OrderThrottle(None).free("A")
