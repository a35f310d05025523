"""Step 2: each blocker stops what it should, with its sentence, and lets EXIT orders go."""

from __future__ import annotations

from decimal import Decimal

import pytest
from engine_support import ticket

from trader_gui.domain.enums import ExecutionType, OrderStatus, OrderType, Side, Tag
from trader_gui.domain.market_time import utc_now
from trader_gui.engine.events import KillSwitchChanged
from trader_gui.engine.risk import PnlSnapshot
from trader_gui.engine.runtime import Runtime

pytestmark = pytest.mark.asyncio


def _far_limit(runtime: Runtime, symbol: str = "SBIN", side: Side = Side.BUY) -> Decimal:
    """A LIMIT price that rests at the broker: 10% away from the market, on the tick."""
    price = runtime.broker.quotes([("NSE", symbol)])[("NSE", symbol)]
    factor = Decimal("0.9") if side is Side.BUY else Decimal("1.1")
    tick = runtime.catalog.get("NSE", symbol).tick_size
    return (price * factor / tick).quantize(Decimal(1)) * tick


async def test_invalid_ticket_is_recorded_failed_with_every_reason(runtime: Runtime) -> None:
    order = ticket(order_type=OrderType.LIMIT, price=Decimal("800.03"))

    result = await runtime.engine.submit(order)

    assert (result.status, result.tag) == (OrderStatus.FAILED, Tag.VALIDATION_FAILED)
    assert "not on the tick" in result.detail
    assert runtime.broker.order_book() == []


async def test_kill_switch_blocks_entry_but_lets_exit_through(runtime: Runtime, clock) -> None:
    await runtime.engine.set_kill_switch(True, by="trader")

    entry = await runtime.engine.submit(ticket())
    exit_order = await runtime.engine.submit(
        ticket(side=Side.SELL, execution_type=ExecutionType.EXIT)
    )

    assert entry.tag is Tag.KILL_SWITCH_ACTIVE
    assert exit_order.status is OrderStatus.SENT_TO_BROKER
    assert exit_order.broker_order_id is not None


async def test_kill_switch_set_from_outside_is_honoured_within_one_poll(
    runtime: Runtime, harness
) -> None:
    runtime.repository.set_kill_switch(
        "PAPER", True, by="command line", reason="from a terminal", at=utc_now()
    )

    await runtime.watcher.poll_once()
    blocked = await runtime.engine.submit(ticket())

    assert any(isinstance(e, KillSwitchChanged) and e.state.active for e in harness.events)
    assert blocked.tag is Tag.KILL_SWITCH_ACTIVE
    assert "command line" in blocked.detail


async def test_daily_loss_limit_blocks_entry_at_the_limit_not_before(runtime: Runtime) -> None:
    risk = runtime.engine.risk
    risk.update_pnl(PnlSnapshot(utc_now(), Decimal("-4999.99"), Decimal(0)))
    allowed = await runtime.engine.submit(ticket(symbol="INFY"))

    risk.update_pnl(PnlSnapshot(utc_now(), Decimal("-3000"), Decimal("-2000")))
    blocked = await runtime.engine.submit(ticket(symbol="TCS"))
    exit_order = await runtime.engine.submit(
        ticket(symbol="ITC", side=Side.SELL, execution_type=ExecutionType.EXIT)
    )

    assert allowed.status is OrderStatus.SENT_TO_BROKER
    assert blocked.tag is Tag.RISK_LIMITS_EXCEEDED
    assert blocked.detail == "Daily loss limit 5,000.00 reached: today's P&L is -5,000.00."
    assert exit_order.status is OrderStatus.SENT_TO_BROKER


async def test_guard_blocks_a_second_entry_until_the_strategy_exits(
    runtime: Runtime, clock
) -> None:
    first = await runtime.engine.submit(ticket())
    clock.advance(1)
    await runtime.watcher.poll_once()
    assert runtime.repository.get(first.command_id).status is OrderStatus.EXECUTED

    again = await runtime.engine.submit(ticket())
    other_strategy = await runtime.engine.submit(ticket(strategy="s2"))
    exit_order = await runtime.engine.submit(
        ticket(side=Side.SELL, execution_type=ExecutionType.EXIT)
    )
    clock.advance(1)
    await runtime.watcher.poll_once()
    after_exit = await runtime.engine.submit(ticket())

    assert again.tag is Tag.EXECUTION_GUARD_BLOCKED
    assert "already holds +10 SBIN" in again.detail
    assert other_strategy.status is OrderStatus.SENT_TO_BROKER
    assert runtime.repository.get(exit_order.command_id).status is OrderStatus.EXECUTED
    assert after_exit.status is OrderStatus.SENT_TO_BROKER


async def test_guard_clears_when_the_entry_fails_at_the_broker(runtime: Runtime, clock) -> None:
    rejected = await runtime.engine.submit(ticket(symbol="MRF", quantity=500, product="CNC"))
    clock.advance(1)
    await runtime.watcher.poll_once()
    assert runtime.repository.get(rejected.command_id).status is OrderStatus.FAILED

    retry = await runtime.engine.submit(ticket(symbol="MRF", quantity=1, product="CNC"))

    assert retry.status is OrderStatus.SENT_TO_BROKER


async def test_duplicate_open_order_is_blocked_with_the_first_orders_id(runtime: Runtime) -> None:
    price = _far_limit(runtime, side=Side.SELL)
    first = await runtime.engine.submit(
        ticket(
            order_type=OrderType.LIMIT,
            price=price,
            execution_type=ExecutionType.EXIT,
            side=Side.SELL,
        )
    )
    # an EXIT is not guarded, so the second is stopped by the duplicate detector itself
    second = await runtime.engine.submit(
        ticket(
            order_type=OrderType.LIMIT,
            price=price,
            execution_type=ExecutionType.EXIT,
            side=Side.SELL,
        )
    )

    assert first.status is OrderStatus.SENT_TO_BROKER
    assert second.tag is Tag.DUPLICATE_ORDER_BLOCKED
    assert first.command_id in second.detail


async def test_accounts_are_isolated(harness) -> None:
    paper_account = await harness.start()
    other_account = await harness.start(client_id="OTHER")
    await paper_account.engine.set_kill_switch(True, by="trader")

    other = await other_account.engine.submit(ticket(client_id="OTHER"))

    assert other.status is OrderStatus.SENT_TO_BROKER
    assert [o.command_id for o in paper_account.repository.orders("PAPER")] == []


async def test_an_fno_limit_outside_the_exchanges_band_is_refused_with_the_band(
    runtime: Runtime,
) -> None:
    from trader_gui.domain.price_bands import limit_price_band

    option = runtime.catalog.get("NFO", "NIFTY01DEC2626000CE")
    last = runtime.broker.quotes([("NFO", option.symbol)])[("NFO", option.symbol)]
    band = limit_price_band(option.kind, option.exchange, last, tick=option.tick_size)
    base = {"symbol": option.symbol, "exchange": "NFO", "product": "NRML", "quantity": 65}

    outside = await runtime.engine.submit(
        ticket(**base, order_type=OrderType.LIMIT, price=band.high + option.tick_size)
    )
    edge = await runtime.engine.submit(
        ticket(**base, order_type=OrderType.LIMIT, price=band.high, strategy="s2")
    )

    assert outside.tag is Tag.VALIDATION_FAILED
    assert "price band" in outside.detail
    assert runtime.broker.order_book()[0].tag == edge.command_id  # the edge itself goes
