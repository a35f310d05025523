"""A ticket above the freeze quantity goes as whole-lot slices, each through the six steps."""

from __future__ import annotations

import pytest
from engine_support import broker_orders_with_tag, ticket

from trader_gui.domain.enums import ExecutionType, OrderStatus, Side, Tag
from trader_gui.engine.config import EngineConfig

pytestmark = pytest.mark.asyncio

NIFTY_CE = {"symbol": "NIFTY01DEC2626000CE", "exchange": "NFO", "product": "NRML"}


async def test_a_ticket_over_the_freeze_goes_as_slices_under_one_ticket(runtime) -> None:
    order = ticket(**NIFTY_CE, quantity=65 * 60)  # 60 lots; the freeze is 27 lots

    slices = await runtime.engine.submit_ticket(order)

    assert [s.command.quantity for s in slices] == [1755, 1755, 390]
    assert all(s.status is OrderStatus.SENT_TO_BROKER for s in slices)
    assert {s.command.ticket_id for s in slices} == {order.command_id}
    assert len({s.command_id for s in slices}) == 3
    assert all(broker_orders_with_tag(runtime, s.command_id) == 1 for s in slices)


async def test_the_slices_of_an_exit_are_not_each_others_duplicates(runtime) -> None:
    order = ticket(**NIFTY_CE, quantity=65 * 30, side=Side.SELL, execution_type=ExecutionType.EXIT)

    slices = await runtime.engine.submit_ticket(order)

    assert [s.tag for s in slices] == [None, None]


async def test_a_ticket_beyond_the_brokers_slice_limit_is_refused_whole(harness) -> None:
    runtime = await harness.start(max_slices_per_ticket=2)
    order = ticket(**NIFTY_CE, quantity=65 * 60)

    refused = await runtime.engine.submit_ticket(order)

    assert [(r.status, r.tag) for r in refused] == [(OrderStatus.FAILED, Tag.VALIDATION_FAILED)]
    assert "needs 3 slices" in refused[0].detail
    assert runtime.broker.order_book() == []
    assert EngineConfig().max_slices_per_ticket is None
