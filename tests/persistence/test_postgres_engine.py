"""The engine's four paths on SQLite and on PostgreSQL, and two accounts on one PostgreSQL.

The same Runtime, paper broker and fake clock as the engine tests; only the database URL
changes. Two programs (two Runtimes, each with its own paper broker file) sharing one
PostgreSQL database with different accounts must never see each other's orders, kill
switch, guard, duplicate detector or limits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from postgres_support import (
    Clock,
    Rig,
    paper_book_tags,
    postgres_schema,
    postgres_skip_reason,
    ticket,
)

from trader_gui.brokers.base import PlaceOrderRequest
from trader_gui.domain.enums import Exchange, OrderStatus, OrderType, Product, Side, Tag
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.risk_limits import RiskLimits
from trader_gui.engine.runtime import Runtime

pytestmark = pytest.mark.asyncio


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture
async def rig(
    url: str, tmp_path: Path, catalog: InstrumentCatalog, clock: Clock
) -> AsyncIterator[Rig]:
    rig = Rig(url, tmp_path / "paper.sqlite3", catalog, clock)
    yield rig
    await rig.stop_all()


def trail(runtime: Runtime, command_id: str) -> list[tuple[str | None, str, str | None]]:
    return [
        (
            t.from_status.value if t.from_status else None,
            t.to_status.value,
            t.tag.value if t.tag else None,
        )
        for t in runtime.repository.transitions(command_id)
    ]


CREATED = (None, "CREATED", None)
SENT = ("CREATED", "SENT_TO_BROKER", None)
DETAIL = ("SENT_TO_BROKER", "SENT_TO_BROKER", None)


# ---- the four paths, on both databases --------------------------------------------------------


async def test_success_path(rig: Rig, clock: Clock) -> None:
    runtime = await rig.start()
    order = ticket()

    after_step_5 = await runtime.engine.submit(order)
    clock.advance(1)
    await runtime.watcher.poll_once()

    assert after_step_5.broker_status == "ACCEPTED"
    final = runtime.repository.get(order.command_id)
    assert final is not None
    assert (final.status, final.filled_qty, final.broker_status) == (
        OrderStatus.EXECUTED,
        10,
        "COMPLETE",
    )
    assert final.avg_price is not None
    assert trail(runtime, order.command_id) == [
        CREATED,
        SENT,
        DETAIL,
        ("SENT_TO_BROKER", "EXECUTED", None),
    ]


async def test_blocked_path_sends_nothing(rig: Rig) -> None:
    runtime = await rig.start()
    await runtime.engine.set_kill_switch(True, by="trader", reason="test")
    order = ticket()

    result = await runtime.engine.submit(order)

    assert (result.status, result.tag) == (OrderStatus.FAILED, Tag.KILL_SWITCH_ACTIVE)
    assert trail(runtime, order.command_id) == [
        CREATED,
        ("CREATED", "FAILED", "KILL_SWITCH_ACTIVE"),
    ]
    assert paper_book_tags(runtime) == []


async def test_broker_rejection_path(rig: Rig) -> None:
    runtime = await rig.start()
    order = ticket(symbol="NIFTY01DEC2626000CE", exchange="NFO", product="NRML", quantity=1820)

    result = await runtime.engine.submit(order)

    assert (result.status, result.tag) == (OrderStatus.FAILED, Tag.BROKER_REJECTED)
    assert "freeze" in result.detail.lower()
    assert trail(runtime, order.command_id) == [
        CREATED,
        SENT,
        ("SENT_TO_BROKER", "FAILED", "BROKER_REJECTED"),
    ]


async def test_broker_failure_found_by_the_watcher(rig: Rig, clock: Clock) -> None:
    runtime = await rig.start()
    order = ticket(symbol="MRF", quantity=500, product="CNC")

    accepted = await runtime.engine.submit(order)
    clock.advance(1)
    await runtime.watcher.poll_once()

    assert accepted.status is OrderStatus.SENT_TO_BROKER
    final = runtime.repository.get(order.command_id)
    assert final is not None
    assert (final.status, final.tag) == (OrderStatus.FAILED, Tag.BROKER_REJECTED)
    assert "margin" in final.detail.lower()


async def test_a_restart_finds_the_order_and_sends_nothing_twice(rig: Rig, clock: Clock) -> None:
    """Crash between steps 4 and 5: the next start links the order by its tag."""
    runtime = await rig.start()
    order = ticket()
    runtime.repository.create(order, clock())
    from trader_gui.persistence.repository import StatusChange

    runtime.repository.apply(StatusChange(order.command_id, OrderStatus.SENT_TO_BROKER, clock()))
    runtime.broker.place_order(
        PlaceOrderRequest(
            order.command_id, "SBIN", Exchange.NSE, Side.BUY, 10, OrderType.MARKET, Product.MIS
        )
    )
    clock.advance(1)

    again = await rig.restart(runtime)

    final = again.repository.get(order.command_id)
    assert final is not None
    assert final.status is OrderStatus.EXECUTED
    assert paper_book_tags(again).count(order.command_id) == 1


# ---- two programs, two accounts, one PostgreSQL database --------------------------------------


@pytest_asyncio.fixture
async def two_accounts(
    tmp_path: Path, catalog: InstrumentCatalog, clock: Clock
) -> AsyncIterator[tuple[Runtime, Runtime]]:
    """Program A and program B: their own paper files, the same PostgreSQL schema."""
    reason = postgres_skip_reason()
    if reason is not None:
        pytest.skip(reason)
    with postgres_schema() as shared:
        limits = RiskLimits(max_open_orders=1, max_orders_per_minute=2)
        a = Rig(shared, tmp_path / "paper_a.sqlite3", catalog, clock, client_id="ACC_A")
        b = Rig(shared, tmp_path / "paper_b.sqlite3", catalog, clock, client_id="ACC_B")
        try:
            yield await a.start(risk_limits=limits), await b.start(risk_limits=limits)
        finally:
            await a.stop_all()
            await b.stop_all()


async def test_two_accounts_never_see_each_others_orders(
    two_accounts: tuple[Runtime, Runtime], clock: Clock
) -> None:
    a, b = two_accounts
    mine = await a.engine.submit(ticket(client_id="ACC_A"))
    theirs = await b.engine.submit(ticket(client_id="ACC_B"))
    clock.advance(1)

    await a.watcher.poll_once()
    await b.watcher.poll_once()

    assert [r.command_id for r in a.repository.orders("ACC_A")] == [mine.command_id]
    assert [r.command_id for r in b.repository.orders("ACC_B")] == [theirs.command_id]
    for runtime, record in ((a, mine), (b, theirs)):
        final = runtime.repository.get(record.command_id)
        assert final is not None
        assert final.status is OrderStatus.EXECUTED
        assert runtime.repository.transitions(record.command_id)[-1].to_status is (
            OrderStatus.EXECUTED
        )


async def test_one_accounts_kill_switch_does_not_block_the_other(
    two_accounts: tuple[Runtime, Runtime],
) -> None:
    a, b = two_accounts
    await a.engine.set_kill_switch(True, by="trader", reason="A only")

    blocked = await a.engine.submit(ticket(client_id="ACC_A"))
    free = await b.engine.submit(ticket(client_id="ACC_B"))

    assert blocked.tag is Tag.KILL_SWITCH_ACTIVE
    assert free.status is OrderStatus.SENT_TO_BROKER
    assert (await b.engine.kill_switch()).active is False


async def test_guard_duplicates_and_limits_count_only_the_accounts_own_orders(
    two_accounts: tuple[Runtime, Runtime], clock: Clock
) -> None:
    a, b = two_accounts
    resting = {"order_type": "LIMIT", "price": Decimal("900.00"), "strategy": "same"}
    held = await a.engine.submit(ticket(client_id="ACC_A", **resting))
    assert held.status is OrderStatus.SENT_TO_BROKER  # open at A's broker: A's guard, A's limits

    again_a = await a.engine.submit(ticket(client_id="ACC_A", **resting))
    same_in_b = await b.engine.submit(ticket(client_id="ACC_B", **resting))

    assert again_a.tag in (Tag.EXECUTION_GUARD_BLOCKED, Tag.RISK_LIMITS_EXCEEDED)
    assert same_in_b.status is OrderStatus.SENT_TO_BROKER, same_in_b.detail
    assert a.repository.count_at_broker("ACC_A") == 1
    assert b.repository.count_at_broker("ACC_B") == 1


async def test_each_accounts_watcher_leaves_the_other_accounts_rows_alone(
    two_accounts: tuple[Runtime, Runtime], clock: Clock
) -> None:
    """B's broker has no order with A's tag: B's watcher must not fail A's row as not found."""
    a, b = two_accounts
    mine = await a.engine.submit(
        ticket(client_id="ACC_A", order_type="LIMIT", price=Decimal("900.00"))
    )
    clock.advance(120)

    await b.watcher.poll_once()
    await b.watcher.poll_once()

    row = a.repository.get(mine.command_id)
    assert row is not None
    assert row.status is OrderStatus.SENT_TO_BROKER
    assert len(a.repository.transitions(mine.command_id)) == 3


async def test_orders_placed_outside_are_recorded_for_each_account(
    two_accounts: tuple[Runtime, Runtime], clock: Clock
) -> None:
    a, b = two_accounts
    outside = PlaceOrderRequest(
        "web", "SBIN", Exchange.NSE, Side.BUY, 1, OrderType.MARKET, Product.MIS
    )
    id_a = a.broker.place_order(outside)
    id_b = b.broker.place_order(outside)
    assert id_a == id_b  # two brokers (or two paper files) number their orders alike
    clock.advance(1)

    await a.watcher.poll_once()
    await b.watcher.poll_once()

    assert a.repository.find_by_broker_id("ACC_A", id_a) is not None
    assert b.repository.find_by_broker_id("ACC_B", id_b) is not None
