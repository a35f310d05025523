"""The engine's six steps through the Kite adapter, the official SDK and the fake Kite server."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from kite_fake_server import (
    Fault,
    KiteFakeServer,
    kite_server,  # noqa: F401 - a fixture
)

from trader_gui.brokers.kite import KiteBroker
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
from trader_gui.domain.order import OrderCommand
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.events import Connection, ConnectionChanged, Event
from trader_gui.engine.runtime import Runtime
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.repository import OrderRepository

pytestmark = pytest.mark.asyncio

CLIENT = "AB1234"


def ticket(**changes: Any) -> OrderCommand:
    """A MARKET BUY of 10 SBIN, intraday, unless told otherwise."""
    fields: dict[str, Any] = {
        "command_id": new_command_id(),
        "client_id": CLIENT,
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
    fields.update(changes)
    return OrderCommand(**fields)


class KiteRuntime:
    """A Runtime on SQLite whose broker is the Kite adapter pointed at the fake server."""

    def __init__(self, runtime: Runtime, broker: KiteBroker, events: list[Event]) -> None:
        self.runtime = runtime
        self.broker = broker
        self.events = events

    @property
    def engine(self) -> Any:
        return self.runtime.engine

    def row(self, command_id: str) -> Any:
        return self.runtime.repository.get(command_id)

    async def poll(self) -> bool:
        return (await self.runtime.watcher.poll_once()).ok

    def connection_states(self) -> list[Connection]:
        return [e.state for e in self.events if isinstance(e, ConnectionChanged)]


@pytest_asyncio.fixture
async def kite(
    kite_server: KiteFakeServer,  # noqa: F811
    catalog: InstrumentCatalog,
    clock: Any,
    tmp_path: Path,
) -> AsyncIterator[KiteRuntime]:
    broker = KiteBroker(
        catalog,
        api_key=kite_server.api_key,
        access_token=kite_server.access_token,
        client_id=CLIENT,
        root=kite_server.root,
        timeout_s=3.0,
        sleep=lambda _seconds: None,
    )
    runtime = Runtime(
        repository=OrderRepository(open_database(sqlite_url(tmp_path / "orders.sqlite3"))),
        broker=broker,
        catalog=catalog,
        config=EngineConfig(
            client_id=CLIENT,
            poll_interval_s=3600,
            broker_timeout_s=5.0,
            not_found_grace_s=30.0,
        ),
        clock=clock,
        monotonic=clock.monotonic,
    )
    events: list[Event] = []
    runtime.events.subscribe(events.append)
    await runtime.start()
    assert runtime.engine.accepting
    yield KiteRuntime(runtime, broker, events)
    await runtime.stop()


async def test_success_reaches_executed(kite: KiteRuntime, kite_server: KiteFakeServer) -> None:  # noqa: F811
    order = ticket()

    sent = await kite.engine.submit(order)
    kite_server.fill(sent.broker_order_id, price=812.45)
    await kite.poll()

    assert (sent.status, sent.broker_status) == (OrderStatus.SENT_TO_BROKER, "ACCEPTED")
    final = kite.row(order.command_id)
    assert final.status is OrderStatus.EXECUTED
    assert (final.filled_qty, final.avg_price, final.broker_status) == (
        10,
        Decimal("812.45"),
        "COMPLETE",
    )
    (form,) = kite_server.placed
    assert (form["tag"], form["market_protection"]) == (order.command_id, "-1")


async def test_a_rejection_in_the_book_fails_the_order_with_kites_sentence(
    kite: KiteRuntime,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    order = ticket()
    sent = await kite.engine.submit(order)
    sentence = "Insufficient funds. Required margin is 8,245.00 but available margin is 12.40."
    kite_server.set_status(sent.broker_order_id, "REJECTED", sentence)

    await kite.poll()

    final = kite.row(order.command_id)
    assert (final.status, final.tag) == (OrderStatus.FAILED, Tag.BROKER_REJECTED)
    assert sentence in final.detail


async def test_a_refusal_of_the_request_fails_the_order_with_kites_words(
    kite: KiteRuntime,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    kite_server.inject(
        "place",
        Fault.HTTP_ERROR,
        status=400,
        error_type="InputException",
        message="Invalid `price`.",
    )
    order = ticket()

    result = await kite.engine.submit(order)

    assert (result.status, result.tag) == (OrderStatus.FAILED, Tag.BROKER_REJECTED)
    assert result.detail == "Invalid `price`."
    assert kite_server.placed == []


async def test_a_partial_fill_is_shown_then_completes(
    kite: KiteRuntime,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    order = ticket(order_type=OrderType.LIMIT, price=Decimal("812.40"))
    sent = await kite.engine.submit(order)

    kite_server.fill(sent.broker_order_id, 4, price=812.40)
    await kite.poll()
    partial = kite.row(order.command_id)
    kite_server.fill(sent.broker_order_id, price=812.40)
    await kite.poll()

    assert (partial.status, partial.broker_status, partial.filled_qty) == (
        OrderStatus.SENT_TO_BROKER,
        "PARTIALLY_FILLED",
        4,
    )
    assert kite.row(order.command_id).status is OrderStatus.EXECUTED


async def test_cancel_ends_as_broker_cancelled(
    kite: KiteRuntime,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    order = ticket(order_type=OrderType.LIMIT, price=Decimal("800.00"))
    await kite.engine.submit(order)
    await kite.poll()

    said = await kite.engine.cancel(order.command_id)
    await kite.poll()

    assert said.ok, said.sentence
    final = kite.row(order.command_id)
    assert (final.status, final.tag) == (OrderStatus.FAILED, Tag.BROKER_CANCELLED)


async def test_an_expired_token_leaves_the_order_unsent_until_a_fresh_login(
    kite: KiteRuntime,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    first = ticket(strategy="s1")
    await kite.engine.submit(first)
    kite_server.expire_token()
    refused = ticket(strategy="s2")

    result = await kite.engine.submit(refused)
    poll_ok = await kite.poll()
    await kite.runtime.watcher._relogin()
    logged_out = kite.connection_states()[-1]
    kite.broker.set_access_token(kite_server.new_access_token())
    await kite.runtime.watcher._relogin()
    await kite.poll()
    after_login = ticket(strategy="s3")
    accepted = await kite.engine.submit(after_login)

    assert (result.status, result.tag) == (OrderStatus.FAILED, Tag.BROKER_REJECTED)
    assert result.detail.startswith("Not sent:")
    assert "log in again" in result.detail
    assert not poll_ok
    assert logged_out is Connection.LOGGED_OUT
    assert kite.connection_states()[-1] is Connection.CONNECTED
    assert accepted.broker_status == "ACCEPTED"
    assert [kite_server.count_tag(o.command_id) for o in (first, refused, after_login)] == [1, 0, 1]


async def test_http_500_after_accepting_is_resolved_by_the_watcher_through_the_tag(
    kite: KiteRuntime,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    kite_server.inject("place", Fault.HTTP_ERROR, status=500, accept=True, message="Gateway error")
    order = ticket()

    unknown = await kite.engine.submit(order)
    kite_server.fill(kite_server.order_by_tag(order.command_id)["order_id"], price=812.0)
    await kite.poll()

    assert (unknown.status, unknown.broker_status) == (OrderStatus.SENT_TO_BROKER, UNKNOWN_OUTCOME)
    assert "Gateway error" in unknown.detail
    final = kite.row(order.command_id)
    assert final.status is OrderStatus.EXECUTED
    assert final.broker_order_id == kite_server.order_by_tag(order.command_id)["order_id"]
    assert kite_server.count_tag(order.command_id) == 1


async def test_http_500_before_accepting_fails_as_not_found_after_the_grace(
    kite: KiteRuntime,
    kite_server: KiteFakeServer,  # noqa: F811
    clock: Any,
) -> None:
    kite_server.inject("place", Fault.HTTP_ERROR, status=500)
    order = ticket()

    unknown = await kite.engine.submit(order)
    await kite.poll()  # the first look: the grace is counted from here on both clocks
    clock.advance(31)
    await kite.poll()

    assert unknown.broker_status == UNKNOWN_OUTCOME
    final = kite.row(order.command_id)
    assert (final.status, final.tag) == (OrderStatus.FAILED, Tag.NOT_FOUND_AT_BROKER)
    assert kite_server.count_tag(order.command_id) == 0


@pytest.mark.parametrize("fault", [Fault.DROP, Fault.MALFORMED])
async def test_a_lost_reply_is_linked_by_tag_and_sent_once(
    kite: KiteRuntime,
    kite_server: KiteFakeServer,  # noqa: F811
    fault: Fault,
) -> None:
    kite_server.inject("place", fault, accept=True)
    order = ticket()

    unknown = await kite.engine.submit(order)
    await kite.poll()

    assert unknown.broker_status == UNKNOWN_OUTCOME
    linked = kite.row(order.command_id)
    assert linked.broker_order_id == kite_server.order_by_tag(order.command_id)["order_id"]
    assert linked.broker_status == "OPEN"
    assert "by its tag" in kite.runtime.repository.transitions(order.command_id)[-1].detail
    assert kite_server.count_tag(order.command_id) == 1


async def test_the_daily_browser_login_renews_the_session_without_a_restart(
    kite: KiteRuntime,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    import requests
    from keyring_doubles import MemoryKeyring

    from trader_gui.credentials import CredentialStore
    from trader_gui.engine.daily_login import browser_login

    store = CredentialStore(MemoryKeyring(), service="trader-gui-daily-login-test")
    store.save(
        "kite", CLIENT, {"api_key": kite_server.api_key, "api_secret": kite_server.api_secret}
    )
    kite_server.expire_token()
    assert not await kite.poll()
    redirect: list[str] = []

    def browser(url: str) -> bool:  # Kite's page, logged in, redirects to our 127.0.0.1 port
        params = {
            "action": "login",
            "type": "login",
            "status": "success",
            "request_token": kite_server.issue_request_token(),
        }
        redirect.append(url)
        requests.get(f"http://127.0.0.1:{port}/", params=params, timeout=10)
        return True

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    said = await browser_login(
        kite.engine, redirect_port=port, root=kite_server.root, store=store, open_browser=browser
    )
    await kite.runtime.watcher._relogin()
    await kite.poll()
    order = ticket(strategy="after-login")
    accepted = await kite.engine.submit(order)

    assert said == f"Logged in to Kite as {CLIENT} for today."
    assert redirect
    assert store.load("kite", CLIENT)["access_token"].reveal() in kite_server.valid_tokens
    assert accepted.broker_status == "ACCEPTED"
    assert kite.connection_states()[-1] is Connection.CONNECTED
