"""What reaches the broker when step 2 sends an order as an AMO: Kite's `amo` variety (and the
same variety on cancel and modify), Noren's `amo` field; a regular order carries neither."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from clocks import FakeClock
from kite_fake_server import (
    KiteFakeServer,
    kite_server,  # noqa: F401 - a fixture
)
from noren_fake_server import FakeNoren, running_fake
from tickets import ticket

from trader_gui.brokers.kite import KiteBroker
from trader_gui.brokers.shoonya import ShoonyaBroker
from trader_gui.domain.enums import OrderStatus, OrderType, Product
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.market_time import IST
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.runtime import Runtime
from trader_gui.persistence.calendar_file import load_bundled_calendar
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.repository import OrderRepository

pytestmark = pytest.mark.asyncio

CLIENT = "AB1234"
WEEKDAY_10_00 = datetime(2026, 11, 25, 10, 0, tzinfo=IST)
SATURDAY = datetime(2026, 11, 28, 11, 0, tzinfo=IST)
WEEKDAY_EVENING = datetime(2026, 11, 25, 19, 0, tzinfo=IST)


def runtime_for(
    broker: Any, catalog: InstrumentCatalog, client_id: str, clock: FakeClock, tmp_path: Path
) -> Runtime:
    return Runtime(
        repository=OrderRepository(open_database(sqlite_url(tmp_path / "orders.sqlite3"))),
        broker=broker,
        catalog=catalog,
        config=EngineConfig(client_id=client_id, poll_interval_s=3600, broker_timeout_s=5.0),
        clock=clock,
        calendar=load_bundled_calendar(),
    )


@pytest.fixture
def wire_clock() -> FakeClock:
    return FakeClock(WEEKDAY_10_00)


@pytest_asyncio.fixture
async def kite(
    kite_server: KiteFakeServer,  # noqa: F811
    catalog: InstrumentCatalog,
    wire_clock: FakeClock,
    tmp_path: Path,
) -> AsyncIterator[Runtime]:
    broker = KiteBroker(
        catalog,
        api_key=kite_server.api_key,
        access_token=kite_server.access_token,
        client_id=CLIENT,
        root=kite_server.root,
        timeout_s=3.0,
        sleep=lambda _seconds: None,
    )
    runtime = runtime_for(broker, catalog, CLIENT, wire_clock, tmp_path)
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
def noren() -> Iterator[FakeNoren]:
    with running_fake() as fake:
        fake.add_scrip("NSE", "SBIN-EQ", "3045", "808.05")
        yield fake


@pytest_asyncio.fixture
async def shoonya(
    noren: FakeNoren, catalog: InstrumentCatalog, wire_clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Runtime]:
    broker = ShoonyaBroker(
        catalog,
        host=noren.host,
        credentials=noren.credentials(),
        client_id=noren.user,
        timeout_s=(1.0, 2.0),
    )
    runtime = runtime_for(broker, catalog, noren.user, wire_clock, tmp_path)
    await runtime.start()
    yield runtime
    await runtime.stop()


def limit(client_id: str, **changes: Any) -> Any:
    return ticket(
        client_id=client_id,
        order_type=OrderType.LIMIT,
        price=Decimal("800"),
        product=Product.CNC,
        **changes,
    )


async def test_kite_gets_a_regular_order_in_market_hours(
    kite: Runtime,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    record = await kite.engine.submit(limit(CLIENT))

    assert record.status is OrderStatus.SENT_TO_BROKER
    assert kite_server.orders[record.broker_order_id]["variety"] == "regular"


async def test_kite_gets_the_amo_variety_on_a_saturday_and_cancels_with_it(
    kite: Runtime,
    kite_server: KiteFakeServer,  # noqa: F811
    wire_clock: FakeClock,
) -> None:
    wire_clock.jump_to(SATURDAY)

    record = await kite.engine.submit(limit(CLIENT))

    assert record.amo is True
    order = kite_server.orders[record.broker_order_id]
    assert order["variety"] == "amo"
    assert ("POST", "/orders/amo") in kite_server.requests
    modified = await kite.engine.modify(record.command_id, price=Decimal("801"))
    assert modified.ok, modified.sentence
    cancelled = await kite.engine.cancel(record.command_id)
    assert cancelled.ok, cancelled.sentence
    assert ("DELETE", f"/orders/amo/{record.broker_order_id}") in kite_server.requests


async def test_noren_gets_amo_yes_on_a_weekday_evening(
    shoonya: Runtime, noren: FakeNoren, wire_clock: FakeClock
) -> None:
    wire_clock.jump_to(WEEKDAY_EVENING)

    record = await shoonya.engine.submit(limit(noren.user))

    assert record.status is OrderStatus.SENT_TO_BROKER
    assert record.amo is True
    (call,) = noren.calls_to("PlaceOrder")
    assert call.jdata["amo"] == "Yes"


async def test_noren_gets_no_amo_field_in_market_hours(shoonya: Runtime, noren: FakeNoren) -> None:
    record = await shoonya.engine.submit(limit(noren.user))

    assert record.amo is False
    (call,) = noren.calls_to("PlaceOrder")
    assert "amo" not in call.jdata
