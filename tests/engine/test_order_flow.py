"""The reference's four database paths, end to end on SQLite and the paper broker."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from engine_support import broker_orders_with_tag, statuses, ticket

from trader_gui.domain.enums import OrderStatus, OrderType, Tag
from trader_gui.engine.events import OrderUpdated
from trader_gui.engine.runtime import Runtime

pytestmark = pytest.mark.asyncio

CREATED = (None, "CREATED", None)
SENT = ("CREATED", "SENT_TO_BROKER", None)
DETAIL = ("SENT_TO_BROKER", "SENT_TO_BROKER", None)


async def test_success_path_reaches_executed_through_every_step(runtime: Runtime, clock) -> None:
    order = ticket()

    after_step_5 = await runtime.engine.submit(order)

    assert after_step_5.status is OrderStatus.SENT_TO_BROKER
    assert after_step_5.broker_order_id
    assert after_step_5.broker_status == "ACCEPTED"
    clock.advance(1)
    await runtime.watcher.poll_once()
    final = runtime.repository.get(order.command_id)
    assert final.status is OrderStatus.EXECUTED
    assert final.filled_qty == 10
    assert final.avg_price is not None
    assert final.broker_status == "COMPLETE"
    assert statuses(runtime, order.command_id) == [
        CREATED,
        SENT,
        DETAIL,
        ("SENT_TO_BROKER", "EXECUTED", None),
    ]


async def test_blocked_order_fails_with_tag_and_sentence_and_nothing_is_sent(
    runtime: Runtime,
) -> None:
    await runtime.engine.set_kill_switch(True, by="trader", reason="test")
    order = ticket()

    result = await runtime.engine.submit(order)

    assert result.status is OrderStatus.FAILED
    assert result.tag is Tag.KILL_SWITCH_ACTIVE
    assert "Kill switch is on" in result.detail
    assert statuses(runtime, order.command_id) == [
        CREATED,
        ("CREATED", "FAILED", "KILL_SWITCH_ACTIVE"),
    ]
    assert runtime.broker.order_book() == []


async def test_broker_rejection_is_failed_with_the_brokers_words(runtime: Runtime) -> None:
    order = ticket(symbol="NIFTY01DEC2626000CE", exchange="NFO", product="NRML", quantity=1820)

    result = await runtime.engine.submit(order)

    assert result.status is OrderStatus.FAILED
    assert result.tag is Tag.BROKER_REJECTED
    assert "freeze" in result.detail.lower()
    assert statuses(runtime, order.command_id) == [
        CREATED,
        SENT,
        ("SENT_TO_BROKER", "FAILED", "BROKER_REJECTED"),
    ]


async def test_broker_failure_found_by_the_watcher(runtime: Runtime, clock) -> None:
    """A margin shortfall is refused after acceptance, as real brokers do: step 6 finds it."""
    order = ticket(symbol="MRF", quantity=500, product="CNC")

    accepted = await runtime.engine.submit(order)
    assert accepted.status is OrderStatus.SENT_TO_BROKER
    clock.advance(1)
    await runtime.watcher.poll_once()

    final = runtime.repository.get(order.command_id)
    assert final.status is OrderStatus.FAILED
    assert final.tag is Tag.BROKER_REJECTED
    assert "margin" in final.detail.lower()
    assert statuses(runtime, order.command_id)[-1] == (
        "SENT_TO_BROKER",
        "FAILED",
        "BROKER_REJECTED",
    )


async def test_cancelled_at_broker_becomes_failed_broker_cancelled(runtime: Runtime, clock) -> None:
    price = runtime.broker.quotes([("NSE", "SBIN")])[("NSE", "SBIN")]
    far_below = (price * Decimal("0.9")).quantize(Decimal("0.05"))
    order = ticket(order_type=OrderType.LIMIT, price=far_below)
    await runtime.engine.submit(order)

    sentence = await runtime.engine.cancel(order.command_id)
    await runtime.watcher.poll_once()

    assert sentence.ok, sentence.sentence
    final = runtime.repository.get(order.command_id)
    assert (final.status, final.tag) == (OrderStatus.FAILED, Tag.BROKER_CANCELLED)


async def test_same_command_id_twice_reaches_the_broker_once(runtime: Runtime) -> None:
    order = ticket()

    first, second = await asyncio.gather(runtime.engine.submit(order), runtime.engine.submit(order))
    third = await runtime.engine.submit(order)

    assert first.command_id == second.command_id == third.command_id == order.command_id
    assert broker_orders_with_tag(runtime, order.command_id) == 1
    assert len(runtime.repository.orders("PAPER")) == 1


async def test_watcher_poll_is_idempotent(runtime: Runtime, clock) -> None:
    order = ticket()
    await runtime.engine.submit(order)
    clock.advance(1)
    await runtime.watcher.poll_once()
    trail = statuses(runtime, order.command_id)

    again = await runtime.watcher.poll_once()

    assert again.ok
    assert again.changes == 0
    assert statuses(runtime, order.command_id) == trail


async def test_partial_fill_updates_filled_qty_and_stays_sent(harness, clock) -> None:
    runtime = await harness.start()
    order = ticket(symbol="NIFTY01DEC2626000CE", exchange="NFO", product="NRML", quantity=65 * 25)
    await runtime.engine.submit(order)

    clock.advance(0.6)
    await runtime.watcher.poll_once()
    partial = runtime.repository.get(order.command_id)
    assert partial.status is OrderStatus.SENT_TO_BROKER
    assert partial.broker_status == "PARTIALLY_FILLED"
    assert 0 < partial.filled_qty < order.quantity

    for _ in range(5):
        clock.advance(0.6)
        await runtime.watcher.poll_once()
    done = runtime.repository.get(order.command_id)
    assert done.status is OrderStatus.EXECUTED
    assert done.filled_qty == order.quantity


async def test_orders_placed_outside_the_program_are_recorded_read_only(runtime: Runtime) -> None:
    from trader_gui.brokers.base import PlaceOrderRequest
    from trader_gui.domain.enums import Exchange, Product, Side, Source

    broker_id = runtime.broker.place_order(
        PlaceOrderRequest(
            tag="",
            symbol="INFY",
            exchange=Exchange.NSE,
            side=Side.BUY,
            quantity=1,
            order_type=OrderType.MARKET,
            product=Product.CNC,
        )
    )

    await runtime.watcher.poll_once()
    await runtime.watcher.poll_once()

    found = runtime.repository.find_by_broker_id("PAPER", broker_id)
    assert found is not None
    assert found.command.source is Source.BROKER
    assert len(runtime.repository.orders("PAPER")) == 1


async def test_preview_says_how_a_protected_market_order_goes_out(runtime: Runtime) -> None:
    from types import SimpleNamespace

    assert await runtime.engine.preview(ticket()) is None  # the paper broker fills at market
    runtime.broker.protection_for = lambda request: SimpleNamespace(  # type: ignore[attr-defined]
        sentence=f"MARKET {request.side} goes out as LIMIT 812.10 (last 808.05 + 0.5%)"
    )

    said = await runtime.engine.preview(ticket())
    limit = await runtime.engine.preview(ticket(order_type=OrderType.LIMIT, price=Decimal("800")))

    assert said == "MARKET BUY goes out as LIMIT 812.10 (last 808.05 + 0.5%)"
    assert limit is None


async def test_the_window_hears_every_transition_in_order_alone_or_behind_another(
    runtime: Runtime,
) -> None:
    """The first order finds nothing to wait for (steps 1-3 in one trip), the second waits
    for the account's lock behind it (step 1 on its own first): the same trail and events."""
    heard: list[OrderUpdated] = []
    runtime.events.subscribe(
        lambda event: heard.append(event) if isinstance(event, OrderUpdated) else None
    )
    first, second = ticket(strategy="s1"), ticket(strategy="s2")

    await asyncio.gather(runtime.engine.submit(first), runtime.engine.submit(second))

    for order in (first, second):
        trail = [e.transition for e in heard if e.record.command_id == order.command_id]
        assert trail == runtime.repository.transitions(order.command_id)
        assert statuses(runtime, order.command_id) == [CREATED, SENT, DETAIL]
        assert [t.broker_status for t in trail][-1] == "ACCEPTED"
        assert broker_orders_with_tag(runtime, order.command_id) == 1
