"""Kill and flatten leaves no open order and no position at the broker."""

from __future__ import annotations

from decimal import Decimal

import pytest
from engine_support import ticket

from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.domain.enums import (
    ExecutionType,
    OrderStatus,
    OrderType,
    Side,
    Source,
    Tag,
)
from trader_gui.engine.events import Notice

pytestmark = pytest.mark.asyncio


@pytest.fixture
def paper_config() -> PaperConfig:
    return PaperConfig(fill_latency_s=0, volatility=0.0)


async def test_kill_and_flatten_cancels_orders_and_squares_off_positions(harness) -> None:
    runtime = await harness.start()
    engine = runtime.engine
    for symbol in ("SBIN", "INFY"):
        await engine.submit(ticket(symbol=symbol, strategy="trend"))
    await engine.submit(ticket(symbol="TCS", side=Side.SELL, strategy="fade"))
    await runtime.watcher.poll_once()
    price = runtime.broker.quotes([("NSE", "ITC")])[("NSE", "ITC")]
    resting = await engine.submit(
        ticket(
            symbol="ITC",
            order_type=OrderType.LIMIT,
            price=(price * Decimal("0.9")).quantize(Decimal("0.01")),
        )
    )
    await runtime.watcher.poll_once()

    report = await runtime.kill_and_flatten(by="trader", reason="test")

    assert report.flat, report.summary()
    assert [p for p in runtime.broker.positions() if p.quantity] == []
    assert [o for o in runtime.broker.order_book() if not o.state.is_final] == []
    assert resting.command_id in report.cancelled
    exits = [r for r in runtime.repository.orders("PAPER") if r.command.source is Source.FLATTEN]
    assert {(e.command.symbol, e.command.side, e.command.strategy) for e in exits} == {
        ("SBIN", Side.SELL, "trend"),
        ("INFY", Side.SELL, "trend"),
        ("TCS", Side.BUY, "fade"),
    }
    assert all(e.status is OrderStatus.EXECUTED for e in exits)
    assert all(e.command.execution_type is ExecutionType.EXIT for e in exits)
    assert (await engine.kill_switch()).active
    assert any(isinstance(e, Notice) and "The account is flat" in e.text for e in harness.events)


async def test_after_a_flatten_the_strategy_is_flat_for_the_guard(harness) -> None:
    runtime = await harness.start()
    await runtime.engine.submit(ticket(strategy="trend"))
    await runtime.watcher.poll_once()
    await runtime.kill_and_flatten(by="trader")
    await runtime.engine.set_kill_switch(False, by="trader")

    again = await runtime.engine.submit(ticket(strategy="trend"))

    assert again.tag is not Tag.EXECUTION_GUARD_BLOCKED
    assert again.status is OrderStatus.SENT_TO_BROKER
