"""The six steps and the watcher through the Shoonya adapter, against the fake Noren server.

The engine's own Runtime on a real SQLite file, the real adapter, real HTTP on 127.0.0.1. The
watcher's loop is given a long interval: the test polls with `poll_once()` and moves a fake
clock, so nothing waits on time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from noren_fake_server import FakeNoren, Fault, running_fake

from trader_gui.brokers.shoonya import ShoonyaBroker
from trader_gui.domain.enums import (
    UNKNOWN_OUTCOME,
    Exchange,
    ExecutionType,
    OrderStatus,
    OrderType,
    Product,
    Side,
    Source,
    Tag,
)
from trader_gui.domain.ids import new_command_id
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.events import Connection, ConnectionChanged, Event, Notice
from trader_gui.engine.runtime import Runtime
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.repository import OrderRepository

pytestmark = pytest.mark.asyncio

GRACE_S = 30.0


@dataclass
class Rig:
    fake: FakeNoren
    runtime: Runtime
    clock: Any
    events: list[Event] = field(default_factory=list)

    def ticket(self, **overrides: Any) -> OrderCommand:
        """A MARKET BUY of 10 SBIN, intraday, for strategy s1, unless told otherwise."""
        fields: dict[str, Any] = {
            "command_id": new_command_id(),
            "client_id": self.fake.user,
            "symbol": "SBIN",
            "exchange": Exchange.NSE,
            "side": Side.BUY,
            "quantity": 10,
            "order_type": OrderType.MARKET,
            "product": Product.MIS,
            "strategy": "s1",
            "execution_type": ExecutionType.ENTRY,
            "source": Source.MANUAL,
        }
        fields.update(overrides)
        return OrderCommand(**fields)

    def row(self, command_id: str) -> OrderRecord:
        record = self.runtime.repository.get(command_id)
        assert record is not None
        return record

    async def poll(self, after_s: float = 1.0) -> None:
        self.clock.advance(after_s)
        done = await self.runtime.watcher.poll_once()
        assert done.ok, done.error

    def placed_once(self, command_id: str) -> str:
        """The one order at the broker with this tag; its Noren order number."""
        (order,) = self.fake.orders_tagged(command_id)
        return order["norenordno"]


@pytest_asyncio.fixture
async def rig(tmp_path: Path, catalog: InstrumentCatalog, clock: Any) -> AsyncIterator[Rig]:
    with running_fake() as fake:
        fake.add_scrip("NSE", "SBIN-EQ", "3045", "808.05")
        broker = ShoonyaBroker(
            catalog,
            host=fake.host,
            credentials=fake.credentials(),
            client_id=fake.user,
            timeout_s=(1.0, 2.0),
        )
        runtime = Runtime(
            repository=OrderRepository(open_database(sqlite_url(tmp_path / "orders.sqlite3"))),
            broker=broker,
            catalog=catalog,
            config=EngineConfig(
                client_id=fake.user,
                poll_interval_s=3600,
                broker_timeout_s=5.0,
                not_found_grace_s=GRACE_S,
            ),
            clock=clock,
            monotonic=clock.monotonic,
        )
        rig = Rig(fake, runtime, clock)
        runtime.events.subscribe(rig.events.append)
        await runtime.start()
        try:
            yield rig
        finally:
            await runtime.stop()


def transitions(rig: Rig, command_id: str) -> list[tuple[str, str | None]]:
    return [
        (t.to_status.value, t.tag.value if t.tag else None)
        for t in rig.runtime.repository.transitions(command_id)
    ]


async def test_market_order_goes_protected_and_reaches_executed(rig: Rig) -> None:
    order = rig.ticket()

    after_step_5 = await rig.runtime.engine.submit(order)
    order_id = rig.placed_once(order.command_id)
    placed = rig.fake.order(order_id)
    rig.fake.fill(order_id, price="808.10")
    await rig.poll()

    assert after_step_5.status is OrderStatus.SENT_TO_BROKER
    assert (after_step_5.broker_order_id, after_step_5.broker_status) == (order_id, "ACCEPTED")
    assert (placed["prctyp"], placed["prc"], placed["remarks"]) == (
        "LMT",
        "812.10",
        order.command_id,
    )
    final = rig.row(order.command_id)
    assert (final.status, final.broker_status) == (OrderStatus.EXECUTED, "COMPLETE")
    assert (final.filled_qty, final.avg_price) == (10, Decimal("808.10"))
    assert transitions(rig, order.command_id) == [
        ("CREATED", None),
        ("SENT_TO_BROKER", None),
        ("SENT_TO_BROKER", None),
        ("EXECUTED", None),
    ]


async def test_rejection_after_accept_fails_with_rejreason_as_the_sentence(rig: Rig) -> None:
    order = rig.ticket()
    reason = "RED:Margin Shortfall:INR 8,121.00 Available:INR 0.00 for C-FA12345 [I]"

    await rig.runtime.engine.submit(order)
    rig.fake.reject(rig.placed_once(order.command_id), reason)
    await rig.poll()

    final = rig.row(order.command_id)
    assert (final.status, final.tag) == (OrderStatus.FAILED, Tag.BROKER_REJECTED)
    assert final.detail == f"REJECTED: {reason}"


async def test_refusal_at_placing_fails_with_the_brokers_words(rig: Rig) -> None:
    rig.fake.inject(Fault.NOT_OK, emsg="Invalid Input : Price out of range 723.95 - 884.85")
    order = rig.ticket()

    result = await rig.runtime.engine.submit(order)

    assert (result.status, result.tag) == (OrderStatus.FAILED, Tag.BROKER_REJECTED)
    assert result.detail == "Invalid Input : Price out of range 723.95 - 884.85"
    assert rig.fake.orders_tagged(order.command_id) == []


async def test_partial_fill_then_cancel_of_the_rest_is_executed(rig: Rig) -> None:
    order = rig.ticket()
    await rig.runtime.engine.submit(order)
    order_id = rig.placed_once(order.command_id)

    rig.fake.fill(order_id, 4, "808.00")
    await rig.poll()
    partial = rig.row(order.command_id)
    rig.fake.cancel(order_id)
    await rig.poll()

    assert (partial.status, partial.broker_status) == (
        OrderStatus.SENT_TO_BROKER,
        "PARTIALLY_FILLED",
    )
    assert (partial.filled_qty, partial.avg_price) == (4, Decimal("808.00"))
    final = rig.row(order.command_id)
    assert (final.status, final.filled_qty) == (OrderStatus.EXECUTED, 4)


async def test_cancel_through_the_engine_ends_broker_cancelled(rig: Rig) -> None:
    order = rig.ticket(order_type=OrderType.LIMIT, price=Decimal("800.00"))
    await rig.runtime.engine.submit(order)

    said = await rig.runtime.engine.cancel(order.command_id)
    await rig.poll()

    assert said.ok
    assert said.sentence == f"Cancel of {order.command_id} sent to the broker."
    final = rig.row(order.command_id)
    assert (final.status, final.tag, final.broker_status) == (
        OrderStatus.FAILED,
        Tag.BROKER_CANCELLED,
        "CANCELLED",
    )
    assert final.detail.startswith("CANCELED")  # Shoonya's word, as it spelled it


async def test_session_expired_mid_day_logs_in_again_and_places_once(rig: Rig) -> None:
    rig.fake.expire_session()
    order = rig.ticket()

    result = await rig.runtime.engine.submit(order)

    assert result.status is OrderStatus.SENT_TO_BROKER
    assert result.broker_order_id == rig.placed_once(order.command_id)
    assert len(rig.fake.calls_to("QuickAuth")) == 2
    notices = [e.text for e in rig.events if isinstance(e, Notice)]
    assert any("Session Expired" in text for text in notices)


async def test_watcher_logs_in_again_when_the_session_expires(rig: Rig) -> None:
    rig.fake.expire_session()

    failed = await rig.runtime.watcher.poll_once()
    relogins = [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "Watcher._relogin"
    ]
    assert len(relogins) == 1
    await asyncio.gather(*relogins)
    recovered = await rig.runtime.watcher.poll_once()

    assert not failed.ok
    assert "Session Expired" in failed.error
    assert recovered.ok
    states = [e.state for e in rig.events if isinstance(e, ConnectionChanged)]
    assert Connection.LOGGED_OUT in states
    assert states[-1] is Connection.CONNECTED


async def test_http_500_on_place_is_unknown_never_resent_and_resolved_by_the_watcher(
    rig: Rig,
) -> None:
    rig.fake.inject(Fault.HTTP_500)
    order = rig.ticket()

    result = await rig.runtime.engine.submit(order)
    await rig.poll(10)
    waiting = rig.row(order.command_id)
    await rig.poll(GRACE_S)

    assert (result.status, result.broker_status) == (OrderStatus.SENT_TO_BROKER, UNKNOWN_OUTCOME)
    assert "Shoonya answered HTTP 500" in result.detail
    assert waiting.status is OrderStatus.SENT_TO_BROKER
    final = rig.row(order.command_id)
    assert (final.status, final.tag) == (OrderStatus.FAILED, Tag.NOT_FOUND_AT_BROKER)
    assert len(rig.fake.calls_to("PlaceOrder")) == 1


async def test_http_500_after_the_broker_took_the_order_is_linked_by_its_tag(rig: Rig) -> None:
    rig.fake.inject(Fault.HTTP_500_AFTER_ACCEPT)
    order = rig.ticket()

    result = await rig.runtime.engine.submit(order)
    await rig.poll()
    linked = rig.row(order.command_id)

    assert result.broker_status == UNKNOWN_OUTCOME
    assert linked.broker_order_id == rig.placed_once(order.command_id)
    assert (linked.status, linked.broker_status) == (OrderStatus.SENT_TO_BROKER, "OPEN")
    assert "by its tag" in linked.detail
    assert len(rig.fake.calls_to("PlaceOrder")) == 1


async def test_lost_reply_is_linked_later_by_its_tag_and_sent_once(rig: Rig) -> None:
    rig.fake.inject(Fault.DROP_AFTER_ACCEPT)
    order = rig.ticket()

    result = await rig.runtime.engine.submit(order)
    order_id = rig.placed_once(order.command_id)
    rig.fake.fill(order_id, price="808.20")
    await rig.poll()

    assert (result.status, result.broker_status) == (OrderStatus.SENT_TO_BROKER, UNKNOWN_OUTCOME)
    assert "connection to Shoonya broke before it answered" in result.detail
    final = rig.row(order.command_id)
    assert (final.status, final.broker_order_id) == (OrderStatus.EXECUTED, order_id)
    assert len(rig.fake.calls_to("PlaceOrder")) == 1
