"""The fake Noren server speaks the real protocol: Shoonya's official SDK talks to it unchanged.

The SDK (`NorenRestApiPy`) is used here only as a witness of the wire format; the program
talks through its own client. It keeps its host on the class, so each test sets it and puts it
back. It imports `websocket` (for streaming, not used here) without declaring it: a stand-in
module is given when websocket-client is not installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyotp
import pytest
from noren_fake_server import FakeNoren, Fault, running_fake

from trader_gui.brokers.shoonya import ShoonyaBroker
from trader_gui.domain.enums import BrokerState, Exchange
from trader_gui.domain.instruments import InstrumentCatalog


@pytest.fixture
def fake() -> Iterator[FakeNoren]:
    with running_fake() as noren:
        noren.add_scrip("NSE", "SBIN-EQ", "3045", "808.05")
        yield noren


@pytest.fixture
def sdk_class(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if importlib.util.find_spec("websocket") is None:
        monkeypatch.setitem(sys.modules, "websocket", types.ModuleType("websocket"))
    module = importlib.import_module("NorenRestApiPy.NorenApi")
    config = module.NorenApi._NorenApi__service_config  # the class-wide host, shared by all
    saved = dict(config)
    yield module.NorenApi
    config.clear()
    config.update(saved)


@pytest.fixture
def sdk(fake: FakeNoren, sdk_class: Any) -> Any:
    api = sdk_class(host=fake.host, websocket="wss://127.0.0.1:9/NorenWSTP/")
    reply = api.login(
        userid=fake.user,
        password=fake.password,
        twoFA=pyotp.TOTP(fake.totp_secret).now(),
        vendor_code=fake.vendor_code,
        api_secret=fake.api_secret,
        imei="abc1234",
    )
    assert reply is not None
    assert reply["stat"] == "Ok"
    return api


def place(sdk: Any, **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "buy_or_sell": "B",
        "product_type": "I",
        "exchange": "NSE",
        "tradingsymbol": "SBIN-EQ",
        "quantity": 10,
        "discloseqty": 0,
        "price_type": "LMT",
        "price": 800.0,
        "trigger_price": None,
        "retention": "DAY",
        "remarks": "0MQ3K2ZTA1B2C3D4E5F6",
    }
    fields.update(overrides)
    return sdk.place_order(**fields)


def test_sdk_login_is_quickauth_without_jkey(fake: FakeNoren, sdk: Any) -> None:
    (login,) = fake.calls_to("QuickAuth")

    assert login.jkey is None
    assert login.jdata["source"] == "API"
    assert fake.session_tokens


def test_sdk_places_with_remarks_reads_the_book_and_cancels(
    fake: FakeNoren, sdk: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    placed = place(sdk)
    order_id = placed["norenordno"]
    book = sdk.get_order_book()
    cancelled = sdk.cancel_order(order_id)
    after = sdk.get_order_book()
    capsys.readouterr()  # the SDK prints the cancel URL and reply to stdout

    assert placed["stat"] == "Ok"
    assert fake.calls_to("PlaceOrder")[0].jkey == fake.session_tokens[-1]
    (row,) = book
    assert (row["norenordno"], row["remarks"], row["status"]) == (
        order_id,
        "0MQ3K2ZTA1B2C3D4E5F6",
        "OPEN",
    )
    assert (row["tsym"], row["trantype"], row["prctyp"], row["prd"]) == ("SBIN-EQ", "B", "LMT", "I")
    assert cancelled["stat"] == "Ok"
    assert after[0]["status"] == "CANCELED"


def test_sdk_url_encoded_symbol_arrives_as_the_adapter_sends_it(fake: FakeNoren, sdk: Any) -> None:
    placed = place(sdk, tradingsymbol="M&M-EQ", price=3680.0)

    assert fake.order(placed["norenordno"])["tsym"] == "M&M-EQ"
    assert "M%26M-EQ" in fake.calls_to("PlaceOrder")[0].raw_body


def test_sdk_loses_the_brokers_words_where_the_adapter_keeps_them(
    fake: FakeNoren, sdk: Any
) -> None:
    fake.inject(Fault.NOT_OK, emsg="Invalid Input : Price out of range 723.95 - 884.85")

    assert place(sdk) is None  # the SDK's whole answer to a refusal


def test_an_order_placed_by_the_sdk_reads_the_same_through_the_adapter(
    fake: FakeNoren, sdk: Any, catalog: InstrumentCatalog
) -> None:
    order_id = place(sdk)["norenordno"]
    fake.fill(order_id, 4, "799.95")
    adapter = ShoonyaBroker(
        catalog, host=fake.host, credentials=fake.credentials(), client_id=fake.user
    )
    try:
        adapter.login()
        (order,) = adapter.order_book()
    finally:
        adapter.close()

    assert (order.broker_order_id, order.tag, order.symbol) == (
        order_id,
        "0MQ3K2ZTA1B2C3D4E5F6",
        "SBIN",
    )
    assert order.exchange is Exchange.NSE
    assert (order.state, order.filled_qty, order.avg_price) == (
        BrokerState.PARTIALLY_FILLED,
        4,
        Decimal("799.95"),
    )
