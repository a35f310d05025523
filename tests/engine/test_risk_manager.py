"""The risk manager in the running engine: limits, the max-loss trip, memory across restarts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from engine_support import ticket

from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.domain.enums import ExecutionType, OrderStatus, OrderType, Side, Tag
from trader_gui.domain.risk_limits import RiskLimits
from trader_gui.engine.events import Notice
from trader_gui.engine.order_engine import KillSwitchLockedError

pytestmark = pytest.mark.asyncio


@pytest.fixture
def paper_config() -> PaperConfig:
    return PaperConfig(fill_latency_s=0, volatility=0.0, slippage_ticks=0)


async def _long_sbin_losing(runtime, loss_per_share: str) -> None:
    """Buy 100 SBIN, then move the market down so the position loses."""
    await runtime.engine.submit(ticket(quantity=100, strategy="swing"))
    await runtime.watcher.poll_once()
    entry = runtime.broker.positions()[0].avg_price
    runtime.broker.set_price("NSE", "SBIN", entry - Decimal(loss_per_share))


async def test_max_loss_trips_the_kill_switch_and_flattens_the_account(harness) -> None:
    runtime = await harness.start(
        risk_limits=RiskLimits(max_loss=Decimal("5000"), flatten_on_max_loss=True),
        daily_loss_limit=Decimal("4000"),
    )
    await _long_sbin_losing(runtime, "60")

    await runtime.watcher.poll_once()
    await runtime.watcher._flatten_task

    switch = await runtime.engine.kill_switch()
    assert switch.active
    assert switch.changed_by == "max-loss trip"
    assert [p for p in runtime.broker.positions() if p.quantity] == []
    assert [o for o in runtime.broker.order_book() if not o.state.is_final] == []
    assert any(isinstance(e, Notice) and "Kill switch tripped" in e.text for e in harness.events)
    with pytest.raises(KillSwitchLockedError):
        await runtime.engine.set_kill_switch(False, by="trader")


async def test_exit_passes_a_breached_daily_loss_limit(harness) -> None:
    runtime = await harness.start(daily_loss_limit=Decimal("1000"))
    await _long_sbin_losing(runtime, "20")
    await runtime.watcher.poll_once()

    entry = await runtime.engine.submit(ticket(symbol="INFY"))
    exit_order = await runtime.engine.submit(
        ticket(quantity=100, side=Side.SELL, execution_type=ExecutionType.EXIT, strategy="swing")
    )

    assert entry.tag is Tag.RISK_LIMITS_EXCEEDED
    assert "Daily loss limit 1,000.00" in entry.detail
    assert exit_order.status is OrderStatus.SENT_TO_BROKER


async def test_order_rate_limit_counts_and_blocks_exits_too(harness) -> None:
    runtime = await harness.start(risk_limits=RiskLimits(max_orders_per_minute=2))
    for symbol in ("SBIN", "INFY"):
        await runtime.engine.submit(ticket(symbol=symbol))

    third = await runtime.engine.submit(
        ticket(symbol="TCS", side=Side.SELL, execution_type=ExecutionType.EXIT)
    )

    assert third.tag is Tag.RISK_LIMITS_EXCEEDED
    assert "2" in third.detail


async def test_fat_finger_guard_uses_the_brokers_last_price(harness) -> None:
    runtime = await harness.start(risk_limits=RiskLimits(fat_finger_pct=Decimal("5")))
    runtime.broker.set_price("NSE", "SBIN", Decimal("800"))

    typo = await runtime.engine.submit(ticket(order_type=OrderType.LIMIT, price=Decimal("880.00")))
    fine = await runtime.engine.submit(
        ticket(order_type=OrderType.LIMIT, price=Decimal("810.00"), strategy="s2")
    )

    assert typo.tag is Tag.RISK_LIMITS_EXCEEDED
    assert "Fat-finger" in typo.detail
    assert fine.status is OrderStatus.SENT_TO_BROKER


async def test_the_days_risk_memory_survives_a_restart(harness) -> None:
    first = await harness.start(risk_limits=RiskLimits(max_loss=Decimal("5000")))
    await _long_sbin_losing(first, "60")
    await first.watcher.poll_once()
    await first.stop()

    second = await harness.start(risk_limits=RiskLimits(max_loss=Decimal("5000")))

    assert second.engine.risk.max_loss_tripped_today()
    with pytest.raises(KillSwitchLockedError):
        await second.engine.set_kill_switch(False, by="trader")
