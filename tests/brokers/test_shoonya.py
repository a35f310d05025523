"""The Shoonya adapter against a wire-level fake of the Noren OMS: every path through real HTTP."""

from __future__ import annotations

import hashlib
import logging
import re
import time
import traceback
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyotp
import pytest
from noren_fake_server import FakeNoren, Fault, running_fake

from trader_gui.brokers.base import (
    Broker,
    BrokerError,
    BrokerOrder,
    BrokerRejected,
    BrokerUnavailable,
    PlaceOrderRequest,
    SessionExpired,
)
from trader_gui.brokers.broker_credentials import (
    CredentialsUnavailableError,
    shoonya_credentials,
)
from trader_gui.brokers.market_protection import (
    protect,
    protected_price,
    protection_percent,
)
from trader_gui.brokers.shoonya import ShoonyaBroker, ShoonyaCredentials
from trader_gui.credentials import CredentialStore
from trader_gui.domain.enums import (
    BrokerState,
    Exchange,
    InstrumentKind,
    OrderType,
    Product,
    Side,
)
from trader_gui.domain.ids import new_command_id
from trader_gui.domain.instruments import InstrumentCatalog

OPTION = "NIFTY01DEC2625500PE"
OPTION_TSYM = "NIFTY01DEC26P25500"


@pytest.fixture
def fake() -> Iterator[FakeNoren]:
    with running_fake() as noren:
        noren.add_scrip("NSE", "SBIN-EQ", "3045", "808.05")
        noren.add_scrip("NSE", "M&M-EQ", "2031", "3680.00", tick="0.10")
        noren.add_scrip("NFO", OPTION_TSYM, "45210", "25.60")
        yield noren


def make_broker(
    fake: FakeNoren,
    catalog: InstrumentCatalog,
    *,
    oauth: bool = False,
    timeout_s: tuple[float, float] = (1.0, 2.0),
) -> ShoonyaBroker:
    return ShoonyaBroker(
        catalog,
        host=fake.oauth_host if oauth else fake.host,
        credentials=fake.credentials(oauth=oauth),
        client_id=fake.user,
        timeout_s=timeout_s,
    )


@pytest.fixture
def broker(fake: FakeNoren, catalog: InstrumentCatalog) -> Iterator[ShoonyaBroker]:
    shoonya = make_broker(fake, catalog)
    shoonya.login()
    yield shoonya
    shoonya.close()


def request(**overrides: Any) -> PlaceOrderRequest:
    """A LIMIT BUY of 10 SBIN at 800.00, intraday, unless told otherwise."""
    fields: dict[str, Any] = {
        "tag": new_command_id(),
        "symbol": "SBIN",
        "exchange": Exchange.NSE,
        "side": Side.BUY,
        "quantity": 10,
        "order_type": OrderType.LIMIT,
        "product": Product.MIS,
        "price": Decimal("800.00"),
    }
    fields.update(overrides)
    return PlaceOrderRequest(**fields)


def the_order(broker: ShoonyaBroker, order_id: str) -> BrokerOrder:
    (order,) = [o for o in broker.order_book() if o.broker_order_id == order_id]
    return order


# -- login ---------------------------------------------------------------------------------------


def test_is_a_broker(broker: ShoonyaBroker) -> None:
    assert isinstance(broker, Broker)
    assert broker.name == "shoonya"


def test_password_login_sends_quickauth_as_the_sdk_does(
    fake: FakeNoren, broker: ShoonyaBroker
) -> None:
    (login,) = fake.calls_to("QuickAuth")
    sent = login.jdata

    assert login.jkey is None
    assert sent["uid"] == fake.user
    assert sent["pwd"] == hashlib.sha256(fake.password.encode()).hexdigest()
    assert pyotp.TOTP(fake.totp_secret).verify(sent["factor2"], valid_window=1)
    assert sent["vc"] == fake.vendor_code
    assert sent["appkey"] == hashlib.sha256(f"{fake.user}|{fake.api_secret}".encode()).hexdigest()
    assert sent["imei"]
    assert sent["source"] == "API"
    broker.order_book()
    assert fake.calls_to("OrderBook")[-1].jkey == fake.session_tokens[-1]


def test_access_token_login_sends_bearer_and_no_jkey(
    fake: FakeNoren, catalog: InstrumentCatalog
) -> None:
    shoonya = make_broker(fake, catalog, oauth=True)
    try:
        shoonya.login()
        order_id = shoonya.place_order(request())
    finally:
        shoonya.close()

    assert fake.calls_to("QuickAuth") == []
    for call in fake.calls_to("UserDetails") + fake.calls_to("PlaceOrder"):
        assert call.authorization == f"Bearer {fake.access_token}"
        assert call.jkey is None
    assert fake.order(order_id)["remarks"]


def test_refused_access_token_fails_login_with_the_brokers_words(
    fake: FakeNoren, catalog: InstrumentCatalog
) -> None:
    fake.revoke_access_token()
    shoonya = make_broker(fake, catalog, oauth=True)

    with pytest.raises(BrokerRejected, match="refused the access token: Session Expired"):
        shoonya.login()
    with pytest.raises(SessionExpired, match="Not logged in"):
        shoonya.order_book()
    shoonya.close()


def test_wrong_password_is_refused_with_the_brokers_words(
    fake: FakeNoren, catalog: InstrumentCatalog
) -> None:
    credentials = fake.credentials()
    wrong = ShoonyaCredentials(
        user=credentials.user,
        password="not-the-password",
        totp_secret=credentials.totp_secret,
        vendor_code=credentials.vendor_code,
        api_secret=credentials.api_secret,
    )
    shoonya = ShoonyaBroker(catalog, host=fake.host, credentials=wrong, client_id=fake.user)

    with pytest.raises(BrokerRejected) as refused:
        shoonya.login()

    assert refused.value.message == "Shoonya refused the login: Invalid Input : Wrong Password"
    shoonya.close()


def test_missing_credentials_are_named_before_anything_is_sent(
    fake: FakeNoren, catalog: InstrumentCatalog
) -> None:
    shoonya = ShoonyaBroker(
        catalog,
        host=fake.host,
        credentials=ShoonyaCredentials(user="FA12345", password="x"),
        client_id="FA12345",
    )

    with pytest.raises(BrokerRejected, match="totp_secret, vendor_code, api_secret"):
        shoonya.login()
    assert fake.calls == []
    shoonya.close()


def test_calls_before_login_say_so(fake: FakeNoren, catalog: InstrumentCatalog) -> None:
    shoonya = make_broker(fake, catalog)

    with pytest.raises(SessionExpired, match="Not logged in to Shoonya"):
        shoonya.order_book()
    shoonya.close()


def test_credentials_repr_hides_every_secret(fake: FakeNoren) -> None:
    credentials = ShoonyaCredentials(
        user="FA12345",
        password=fake.password,
        totp_secret=fake.totp_secret,
        vendor_code="FA12345_U",
        api_secret=fake.api_secret,
        access_token=fake.access_token,
    )

    text = repr(credentials) + str(credentials)

    for secret in (fake.password, fake.totp_secret, fake.api_secret, fake.access_token):
        assert secret not in text
    assert "user='FA12345'" in text
    assert "password='***'" in text


def test_two_instances_keep_their_own_hosts(catalog: InstrumentCatalog) -> None:
    with running_fake(user="FA00001") as first, running_fake(user="FA00002") as second:
        one, two = make_broker(first, catalog), make_broker(second, catalog)
        try:
            one.login()
            two.login()
            one.place_order(request())
        finally:
            one.close()
            two.close()

        assert len(first.calls_to("PlaceOrder")) == 1
        assert second.calls_to("PlaceOrder") == []
        assert first.calls_to("QuickAuth")[0].jdata["uid"] == "FA00001"
        assert second.calls_to("QuickAuth")[0].jdata["uid"] == "FA00002"


# -- placing -------------------------------------------------------------------------------------


def test_limit_order_goes_out_in_noren_words_and_shows_in_the_book_with_its_tag(
    fake: FakeNoren, broker: ShoonyaBroker
) -> None:
    sent = request(side=Side.SELL, product=Product.CNC)

    order_id = broker.place_order(sent)

    (call,) = fake.calls_to("PlaceOrder")
    assert call.jdata == {
        "ordersource": "API",
        "uid": fake.user,
        "actid": fake.user,
        "trantype": "S",
        "prd": "C",
        "exch": "NSE",
        "tsym": "SBIN-EQ",
        "qty": "10",
        "dscqty": "0",
        "prctyp": "LMT",
        "prc": "800.00",
        "ret": "DAY",
        "remarks": sent.tag,
    }
    order = the_order(broker, order_id)
    assert order.tag == sent.tag
    assert (order.symbol, order.exchange, order.side) == ("SBIN", Exchange.NSE, Side.SELL)
    assert (order.order_type, order.product) == (OrderType.LIMIT, Product.CNC)
    assert (order.state, order.status_text) == (BrokerState.OPEN, "OPEN")
    assert order.price == Decimal("800.00")
    assert order.trigger_price is None
    assert order.placed_at is not None


def test_symbols_with_an_ampersand_are_url_encoded_inside_jdata(
    fake: FakeNoren, broker: ShoonyaBroker
) -> None:
    order_id = broker.place_order(request(symbol="M&M", price=Decimal("3680.00")))

    assert "M%26M-EQ" in fake.calls_to("PlaceOrder")[0].raw_body
    assert fake.order(order_id)["tsym"] == "M&M-EQ"
    assert the_order(broker, order_id).symbol == "M&M"


def test_market_buy_goes_out_as_a_protected_limit_from_the_last_price(
    fake: FakeNoren, broker: ShoonyaBroker
) -> None:
    first = broker.place_order(request(order_type=OrderType.MARKET, price=None))
    second = broker.place_order(request(order_type=OrderType.MARKET, price=None))

    for order_id in (first, second):
        placed = fake.order(order_id)
        assert (placed["prctyp"], placed["prc"]) == ("LMT", "812.10")  # 808.05 + 0.5%, up
    assert fake.calls_to("GetQuotes")[0].jdata["token"] == "3045"
    assert len(fake.calls_to("SearchScrip")) == 1  # the token is looked up once


def test_sl_m_sell_goes_out_as_sl_limit_below_its_trigger(
    fake: FakeNoren, broker: ShoonyaBroker
) -> None:
    order_id = broker.place_order(
        request(
            side=Side.SELL,
            order_type=OrderType.SL_M,
            price=None,
            trigger_price=Decimal("800.00"),
        )
    )

    placed = fake.order(order_id)
    assert (placed["prctyp"], placed["trgprc"], placed["prc"]) == ("SL-LMT", "800.00", "796.00")
    assert fake.calls_to("GetQuotes") == []
    order = the_order(broker, order_id)
    assert (order.order_type, order.state) == (OrderType.SL, BrokerState.TRIGGER_PENDING)


def test_protection_preview_is_the_sentence_the_window_shows(broker: ShoonyaBroker) -> None:
    preview = broker.protection_for(request(order_type=OrderType.MARKET, price=None))

    assert preview is not None
    assert preview.sentence == "MARKET BUY goes out as LIMIT 812.10 (last 808.05 + 0.5%)"
    assert broker.protection_for(request()) is None


def test_market_order_without_a_last_price_is_not_sent(
    fake: FakeNoren, broker: ShoonyaBroker
) -> None:
    with pytest.raises(BrokerRejected, match="Not sent: Shoonya has no last price of INFY"):
        broker.place_order(request(symbol="INFY", order_type=OrderType.MARKET, price=None))

    assert fake.calls_to("PlaceOrder") == []


def test_market_order_whose_quote_times_out_is_not_sent(
    fake: FakeNoren, catalog: InstrumentCatalog
) -> None:
    shoonya = make_broker(fake, catalog, timeout_s=(1.0, 0.3))
    shoonya.login()
    fake.inject(Fault.HANG, "GetQuotes")

    with pytest.raises(BrokerRejected) as refused:
        shoonya.place_order(request(order_type=OrderType.MARKET, price=None))

    fake.release()
    shoonya.close()
    assert refused.value.message == (
        "Not sent: could not get the last price of SBIN to protect the MARKET order: "
        "no answer from Shoonya within 0.3 s"
    )
    assert fake.calls_to("PlaceOrder") == []


def test_instrument_without_a_shoonya_symbol_is_not_sent(
    fake: FakeNoren, broker: ShoonyaBroker
) -> None:
    with pytest.raises(BrokerRejected, match="Not sent: NSE:NOSUCH is not in the instrument list"):
        broker.place_order(request(symbol="NOSUCH"))
    assert fake.calls_to("PlaceOrder") == []


# -- the order book ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "state"),
    [
        ("OPEN", BrokerState.OPEN),
        ("open", BrokerState.OPEN),
        ("PENDING", BrokerState.PENDING),
        ("TRIGGER_PENDING", BrokerState.TRIGGER_PENDING),
        ("COMPLETE", BrokerState.COMPLETE),
        ("Complete", BrokerState.COMPLETE),
        ("REJECTED", BrokerState.REJECTED),
        ("REJECT", BrokerState.REJECTED),
        ("reject", BrokerState.REJECTED),
        ("CANCELED", BrokerState.CANCELLED),
        ("CANCELLED", BrokerState.CANCELLED),
        ("canceled", BrokerState.CANCELLED),
        ("INVALID_STATUS_TYPE", BrokerState.UNRECOGNISED),
    ],
)
def test_status_words_as_shoonya_spells_them(
    fake: FakeNoren, broker: ShoonyaBroker, word: str, state: BrokerState
) -> None:
    order_id = broker.place_order(request())
    fake.set_status(order_id, word)

    order = the_order(broker, order_id)

    assert order.state is state
    assert order.status_text == word


def test_partial_fill_then_complete(fake: FakeNoren, broker: ShoonyaBroker) -> None:
    order_id = broker.place_order(request())

    fake.fill(order_id, 4, "799.95")
    partial = the_order(broker, order_id)
    fake.fill(order_id, 6, "800.00")
    complete = the_order(broker, order_id)

    assert (partial.state, partial.status_text) == (BrokerState.PARTIALLY_FILLED, "OPEN")
    assert (partial.filled_qty, partial.avg_price) == (4, Decimal("799.95"))
    assert (complete.state, complete.filled_qty) == (BrokerState.COMPLETE, 10)
    assert complete.avg_price == Decimal("799.98")


def test_rejection_keeps_rejreason_verbatim(fake: FakeNoren, broker: ShoonyaBroker) -> None:
    order_id = broker.place_order(request())
    reason = "RED:Margin Shortfall:INR 1,234.50 Available:INR 12.00 for C-FA12345 [I]"
    fake.reject(order_id, reason, word="REJECT")

    order = the_order(broker, order_id)

    assert (order.state, order.status_text, order.message) == (
        BrokerState.REJECTED,
        "REJECT",
        reason,
    )


def test_cancel_and_cancelling_again_is_refused_with_the_brokers_words(
    fake: FakeNoren, broker: ShoonyaBroker
) -> None:
    order_id = broker.place_order(request())

    broker.cancel_order(order_id)
    cancelled = the_order(broker, order_id)
    with pytest.raises(BrokerRejected) as refused:
        broker.cancel_order(order_id)

    assert (cancelled.state, cancelled.status_text) == (BrokerState.CANCELLED, "CANCELED")
    assert fake.calls_to("CancelOrder")[0].jdata["norenordno"] == order_id
    assert refused.value.message == "Rejected : Order is CANCELED, cannot cancel"


def test_modify_sends_every_field_from_the_book(fake: FakeNoren, broker: ShoonyaBroker) -> None:
    order_id = broker.place_order(request())

    broker.modify_order(order_id, quantity=20, price=Decimal("801.50"))

    (call,) = fake.calls_to("ModifyOrder")
    assert {k: call.jdata[k] for k in ("norenordno", "exch", "tsym", "qty", "prctyp", "prc")} == {
        "norenordno": order_id,
        "exch": "NSE",
        "tsym": "SBIN-EQ",
        "qty": "20",
        "prctyp": "LMT",
        "prc": "801.50",
    }
    order = the_order(broker, order_id)
    assert (order.quantity, order.price) == (20, Decimal("801.50"))


def test_modify_to_sl_m_moves_the_protected_limit_with_the_trigger(
    fake: FakeNoren, broker: ShoonyaBroker
) -> None:
    order_id = broker.place_order(
        request(order_type=OrderType.SL_M, price=None, trigger_price=Decimal("810.00"))
    )

    broker.modify_order(order_id, trigger_price=Decimal("820.00"), order_type=OrderType.SL_M)

    placed = fake.order(order_id)
    assert (placed["prctyp"], placed["trgprc"], placed["prc"]) == ("SL-LMT", "820.00", "824.10")


def test_modify_of_an_unknown_order_is_refused(broker: ShoonyaBroker) -> None:
    broker.place_order(request())
    with pytest.raises(BrokerRejected, match="Order 999 is not in Shoonya's order book"):
        broker.modify_order("999", price=Decimal("801.00"))


def test_rows_the_program_cannot_represent_are_kept_unrecognised_and_said_once(
    fake: FakeNoren, broker: ShoonyaBroker, caplog: pytest.LogCaptureFixture
) -> None:
    ours = broker.place_order(request())
    bracket = broker.place_order(request())
    fake.edit(bracket, prd="B")

    first = broker.order_book()
    second = broker.order_book()

    for book in (first, second):
        readable = [o.broker_order_id for o in book if o.state is not BrokerState.UNRECOGNISED]
        assert readable == [ours]
        assert [o.broker_order_id for o in book if o.state is BrokerState.UNRECOGNISED] == [bracket]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"Shoonya order {bracket} left out: field prd has 'B', which this program does not know"
    ]


def test_empty_books_are_empty_lists_not_errors(broker: ShoonyaBroker) -> None:
    assert broker.order_book() == []
    assert broker.positions() == []


def test_positions_in_decimals(fake: FakeNoren, broker: ShoonyaBroker) -> None:
    buy = broker.place_order(request())
    sell = broker.place_order(request(side=Side.SELL, quantity=4, price=Decimal("810.00")))
    fake.fill(buy, price="800.00")
    fake.fill(sell, price="810.00")

    (position,) = broker.positions()

    assert (position.symbol, position.exchange, position.product) == (
        "SBIN",
        Exchange.NSE,
        Product.MIS,
    )
    assert position.quantity == 6
    assert position.avg_price == Decimal("800.00")
    assert position.last_price == Decimal("808.05")
    assert position.realised_pnl == Decimal("40.00")
    assert position.unrealised_pnl == Decimal("48.30")
    assert all(
        isinstance(v, Decimal)
        for v in (position.avg_price, position.realised_pnl, position.unrealised_pnl)
    )


def test_quotes_by_common_symbol_leave_unknown_keys_out(broker: ShoonyaBroker) -> None:
    prices = broker.quotes(
        [
            (Exchange.NSE, "SBIN"),
            (Exchange.NFO, OPTION),
            (Exchange.NSE, "INFY"),
            (Exchange.NSE, "X"),
        ]
    )

    assert prices == {
        (Exchange.NSE, "SBIN"): Decimal("808.05"),
        (Exchange.NFO, OPTION): Decimal("25.60"),
    }


# -- errors: the three kinds, with the broker's words ---------------------------------------------


def test_refusal_of_an_order_is_rejected_with_emsg_verbatim(
    fake: FakeNoren, broker: ShoonyaBroker
) -> None:
    fake.inject(Fault.NOT_OK, emsg="Invalid Input : Price out of range 723.95 - 884.85")

    with pytest.raises(BrokerRejected) as refused:
        broker.place_order(request())

    assert refused.value.message == "Invalid Input : Price out of range 723.95 - 884.85"


def test_expired_session_is_session_expired_and_login_mends_it(
    fake: FakeNoren, broker: ShoonyaBroker
) -> None:
    fake.expire_session()

    with pytest.raises(SessionExpired, match="Session Expired :  Invalid Session Key"):
        broker.place_order(request())
    broker.login()
    order_id = broker.place_order(request())

    assert len(fake.calls_to("QuickAuth")) == 2
    assert len(fake.orders_tagged(fake.order(order_id)["remarks"])) == 1


def test_http_500_is_unavailable(fake: FakeNoren, broker: ShoonyaBroker) -> None:
    fake.inject(Fault.HTTP_500)

    with pytest.raises(BrokerUnavailable, match=r"^Shoonya answered HTTP 500"):
        broker.place_order(request())


def test_a_reply_that_is_not_json_is_unavailable(fake: FakeNoren, broker: ShoonyaBroker) -> None:
    fake.inject(Fault.MALFORMED, "OrderBook")

    with pytest.raises(BrokerUnavailable, match="Shoonya sent a reply that is not JSON"):
        broker.order_book()


def test_a_server_that_never_answers_is_bounded_by_the_timeout(
    fake: FakeNoren, catalog: InstrumentCatalog
) -> None:
    shoonya = make_broker(fake, catalog, timeout_s=(1.0, 0.3))
    shoonya.login()
    fake.inject(Fault.HANG)
    started = time.monotonic()

    with pytest.raises(BrokerUnavailable) as unavailable:
        shoonya.place_order(request())

    waited = time.monotonic() - started
    fake.release()
    shoonya.close()
    assert unavailable.value.message == "no answer from Shoonya within 0.3 s"
    assert waited < 2.0


def test_reply_lost_after_accept_is_unavailable_and_the_order_is_found_by_its_tag(
    fake: FakeNoren, broker: ShoonyaBroker
) -> None:
    fake.inject(Fault.DROP_AFTER_ACCEPT)
    sent = request()

    with pytest.raises(BrokerUnavailable, match="connection to Shoonya broke before it answered"):
        broker.place_order(sent)

    found = [order for order in broker.order_book() if order.tag == sent.tag]
    assert len(found) == 1
    assert len(fake.calls_to("PlaceOrder")) == 1  # never retried underneath


def test_a_server_that_is_not_there_is_unavailable(catalog: InstrumentCatalog) -> None:
    with running_fake() as gone:
        host, credentials = gone.host, gone.credentials()
    shoonya = ShoonyaBroker(catalog, host=host, credentials=credentials, client_id="FA12345")

    with pytest.raises(BrokerUnavailable, match="could not connect to Shoonya"):
        shoonya.login()
    shoonya.close()


@pytest.mark.parametrize(
    "emsg",
    [
        "Order rejected: IP 203.0.113.7 is not registered for API orders",
        "Invalid IP Address",
        "IP not whitelisted",
        "Rejected : Static IP mismatch",
    ],
)
def test_unregistered_ip_is_reworded_and_keeps_the_brokers_words(
    fake: FakeNoren, broker: ShoonyaBroker, emsg: str
) -> None:
    fake.inject(Fault.NOT_OK, emsg=emsg)

    with pytest.raises(BrokerRejected) as refused:
        broker.place_order(request())

    assert refused.value.message == (
        "Shoonya refused the order because this computer's IP address is not registered "
        f"with the broker: {emsg}"
    )


@pytest.mark.parametrize(
    "emsg",
    [
        "Invalid Input : Invalid Trading Symbol",
        "Trading not allowed in SHIPCORP-EQ",
        "RED:Margin Shortfall for TIPSINDLTD",
    ],
)
def test_other_refusals_are_not_taken_for_ip_ones(
    fake: FakeNoren, broker: ShoonyaBroker, emsg: str
) -> None:
    fake.inject(Fault.NOT_OK, emsg=emsg)

    with pytest.raises(BrokerRejected) as refused:
        broker.place_order(request())

    assert refused.value.message == emsg


# -- market protection: slabs, edges, ticks ------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "price", "percent"),
    [
        (InstrumentKind.EQ, "99.99", "2"),
        (InstrumentKind.EQ, "100", "1"),
        (InstrumentKind.EQ, "500", "1"),
        (InstrumentKind.EQ, "500.05", "0.5"),
        (InstrumentKind.FUT, "99.95", "2"),
        (InstrumentKind.FUT, "26160", "0.5"),
        (InstrumentKind.CE, "9.95", "5"),
        (InstrumentKind.CE, "10", "3"),
        (InstrumentKind.PE, "100", "3"),
        (InstrumentKind.PE, "100.05", "2"),
        (InstrumentKind.CE, "500", "2"),
        (InstrumentKind.PE, "500.05", "1"),
    ],
)
def test_protection_slabs_at_their_edges(kind: InstrumentKind, price: str, percent: str) -> None:
    assert protection_percent(kind, Decimal(price)) == Decimal(percent)


@pytest.mark.parametrize(
    ("side", "kind", "last", "tick", "expected"),
    [
        (Side.BUY, InstrumentKind.EQ, "808.05", "0.05", "812.10"),  # 812.09025 up
        (Side.SELL, InstrumentKind.EQ, "808.05", "0.05", "804.00"),  # 804.00975 down
        (Side.BUY, InstrumentKind.EQ, "100.00", "0.05", "101.00"),  # on the tick stays
        (Side.BUY, InstrumentKind.EQ, "99.95", "0.05", "101.95"),  # 2%: 101.949 up
        (Side.SELL, InstrumentKind.FUT, "26160.00", "0.10", "26029.20"),  # 0.5%
        (Side.BUY, InstrumentKind.CE, "0.05", "0.05", "0.10"),  # 5% of a tick: one more tick
        (Side.SELL, InstrumentKind.PE, "0.05", "0.05", "0.05"),  # never below one tick
        (Side.SELL, InstrumentKind.PE, "25.60", "0.05", "24.80"),  # 3%: 24.832 down
    ],
)
def test_protected_price_rounds_away_from_the_market(
    side: Side, kind: InstrumentKind, last: str, tick: str, expected: str
) -> None:
    price = protected_price(side, kind, Decimal(last), Decimal(tick))

    assert price == Decimal(expected)
    assert str(price) == expected


def test_protection_sentences() -> None:
    market = protect(
        OrderType.MARKET,
        Side.BUY,
        InstrumentKind.EQ,
        Decimal("0.05"),
        last_price=Decimal("808.05"),
    )
    stop = protect(
        OrderType.SL_M,
        Side.SELL,
        InstrumentKind.CE,
        Decimal("0.05"),
        trigger_price=Decimal("120.00"),
    )

    assert market.sentence == "MARKET BUY goes out as LIMIT 812.10 (last 808.05 + 0.5%)"
    assert (market.order_type, market.price) == (OrderType.LIMIT, Decimal("812.10"))
    assert stop.sentence == (
        "SL-M SELL goes out as SL-LIMIT, trigger 120.00, limit 117.60 (trigger 120.00 - 2%)"
    )
    assert stop.order_type is OrderType.SL


def test_protection_refuses_what_it_cannot_protect() -> None:
    with pytest.raises(ValueError, match="carry their own price"):
        protect(OrderType.LIMIT, Side.BUY, InstrumentKind.EQ, Decimal("0.05"))
    with pytest.raises(ValueError, match="positive reference price"):
        protected_price(Side.BUY, InstrumentKind.EQ, Decimal(0), Decimal("0.05"))


# -- nothing secret leaves the adapter -----------------------------------------------------------


def _error_texts(error: BaseException) -> list[str]:
    texts = ["".join(traceback.format_exception(error))]
    seen: BaseException | None = error
    while seen is not None:
        texts.append(str(seen))
        texts.append(repr(seen))
        seen = seen.__cause__ or seen.__context__
    return texts


def test_no_secret_in_logs_or_errors_or_output(
    fake: FakeNoren,
    catalog: InstrumentCatalog,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    shoonya = make_broker(fake, catalog, timeout_s=(1.0, 0.3))
    texts.append(repr(shoonya._credentials))

    def attempt(action: Any) -> None:
        try:
            action()
        except BrokerError as error:
            texts.extend(_error_texts(error))

    attempt(shoonya.login)
    token = fake.session_tokens[-1]
    code = fake.calls_to("QuickAuth")[-1].jdata["factor2"]
    shoonya.place_order(request(order_type=OrderType.MARKET, price=None))
    for fault, emsg in [
        (Fault.HTTP_500, ""),
        (Fault.MALFORMED, ""),
        (Fault.HANG, ""),
        (Fault.DROP_AFTER_ACCEPT, ""),
        (Fault.NOT_OK, f"Invalid Input : jKey {token} is not valid"),
    ]:
        fake.inject(fault, emsg=emsg)
        attempt(lambda: shoonya.place_order(request()))
    fake.release()
    fake.expire_session()
    attempt(shoonya.order_book)
    fake.inject(Fault.NOT_OK, "QuickAuth", emsg=f"Invalid Input : appkey {fake.secrets()[4]}")
    attempt(shoonya.login)
    attempt(shoonya.login)
    shoonya.close()
    oauth = make_broker(fake, catalog, oauth=True)
    attempt(oauth.login)
    oauth.place_order(request())
    fake.revoke_access_token()
    attempt(oauth.order_book)
    attempt(oauth.login)
    oauth.close()

    assert len(texts) > 10
    assert any("***" in text for text in texts)  # the echoed token and appkey were scrubbed
    logged = "\n".join(record.getMessage() for record in caplog.records)
    printed = capsys.readouterr()
    assert printed.out == ""
    for secret in fake.secrets():
        assert secret not in logged
        assert all(secret not in text for text in texts), secret
    code_alone = re.compile(rf"(?<![0-9]){code}(?![0-9])")  # not inside an order number
    assert not code_alone.search(logged)
    assert not any(code_alone.search(text) for text in texts)


# -- credentials in the OS keyring ---------------------------------------------------------------


def test_credentials_come_from_the_one_credential_store(
    fake: FakeNoren, memory_credential_store: CredentialStore
) -> None:
    given = fake.credentials()
    memory_credential_store.save(
        "shoonya",
        fake.user,
        {
            "user": given.user,
            "password": given.password,
            "totp_secret": given.totp_secret,
            "vendor_code": given.vendor_code,
            "api_secret": given.api_secret,
            "imei": given.imei,
        },
    )

    loaded = shoonya_credentials(fake.user, memory_credential_store)

    assert loaded == given


def test_missing_credentials_say_how_to_log_in(memory_credential_store: CredentialStore) -> None:
    with pytest.raises(CredentialsUnavailableError, match="trader-gui login shoonya"):
        shoonya_credentials("FA99999", memory_credential_store)


@pytest.fixture
def memory_credential_store() -> CredentialStore:
    """The real store over an in-memory secure backend (the OS keyring is tested elsewhere)."""
    from keyring_doubles import MemoryKeyring

    return CredentialStore(MemoryKeyring(), service="trader-gui-test")
