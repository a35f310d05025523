"""A crash between each pair of steps, then a restart: nothing lost, nothing sent twice."""

from __future__ import annotations

import pytest
from engine_support import broker_orders_with_tag, statuses, ticket

from trader_gui.brokers.base import PlaceOrderRequest
from trader_gui.domain.enums import OrderStatus, Tag
from trader_gui.persistence.repository import StatusChange

pytestmark = pytest.mark.asyncio


def _request(order) -> PlaceOrderRequest:
    return PlaceOrderRequest(
        tag=order.command_id,
        symbol=order.symbol,
        exchange=order.exchange,
        side=order.side,
        quantity=order.quantity,
        order_type=order.order_type,
        product=order.product,
    )


async def _crash_after(harness, clock, step: int):
    """Leave the database and the broker as a crash after `step` would, with no engine."""
    crashed = harness.build()
    repo, broker = crashed.repository, crashed.broker
    order = ticket()
    repo.create(order, clock())
    if step >= 3:
        repo.apply(StatusChange(order.command_id, OrderStatus.SENT_TO_BROKER, clock()))
    if step >= 4:
        broker_id = broker.place_order(_request(order))
    if step >= 5:
        repo.apply(
            StatusChange(
                order.command_id,
                OrderStatus.SENT_TO_BROKER,
                clock(),
                broker_order_id=broker_id,
                broker_status="ACCEPTED",
            )
        )
    crashed.workers.shutdown()
    broker.close()
    repo.close()
    harness.runtimes.remove(crashed)
    return order


async def test_crash_after_register_fails_the_order_as_interrupted(harness, clock) -> None:
    order = await _crash_after(harness, clock, step=1)
    clock.advance(60)

    runtime = await harness.start()

    final = runtime.repository.get(order.command_id)
    assert (final.status, final.tag) == (OrderStatus.FAILED, Tag.INTERRUPTED)
    assert "not be sent late" in final.detail
    assert broker_orders_with_tag(runtime, order.command_id) == 0
    assert runtime.engine.accepting


async def test_crash_after_mark_before_submit_is_not_found_after_grace(harness, clock) -> None:
    order = await _crash_after(harness, clock, step=3)
    clock.advance(5)

    runtime = await harness.start()
    waiting = runtime.repository.get(order.command_id)
    clock.advance(30)
    await runtime.watcher.poll_once()

    assert waiting.status is OrderStatus.SENT_TO_BROKER
    final = runtime.repository.get(order.command_id)
    assert (final.status, final.tag) == (OrderStatus.FAILED, Tag.NOT_FOUND_AT_BROKER)
    assert broker_orders_with_tag(runtime, order.command_id) == 0


async def test_crash_after_submit_before_result_is_linked_by_tag(harness, clock) -> None:
    order = await _crash_after(harness, clock, step=4)
    clock.advance(1)

    runtime = await harness.start()

    final = runtime.repository.get(order.command_id)
    assert final.status is OrderStatus.EXECUTED
    assert final.broker_order_id is not None
    assert broker_orders_with_tag(runtime, order.command_id) == 1
    assert len(runtime.repository.orders("PAPER")) == 1


async def test_crash_after_result_is_reconciled_to_executed(harness, clock) -> None:
    order = await _crash_after(harness, clock, step=5)
    clock.advance(1)

    runtime = await harness.start()

    final = runtime.repository.get(order.command_id)
    assert final.status is OrderStatus.EXECUTED
    assert statuses(runtime, order.command_id)[-1] == ("SENT_TO_BROKER", "EXECUTED", None)
    assert broker_orders_with_tag(runtime, order.command_id) == 1


async def test_kill_switch_survives_a_restart(harness) -> None:
    first = await harness.start()
    await first.engine.set_kill_switch(True, by="trader", reason="enough for today")
    await first.stop()

    second = await harness.start()
    blocked = await second.engine.submit(ticket())

    assert (await second.engine.kill_switch()).active
    assert blocked.tag is Tag.KILL_SWITCH_ACTIVE
