"""The Kite adapter against a wire-level fake of Kite Connect, through the official SDK."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from kite_fake_server import (
    Fault,
    KiteFakeServer,
    kite_server,  # noqa: F401 - a fixture
)

from trader_gui.brokers.base import (
    BrokerRejected,
    BrokerUnavailable,
    PlaceOrderRequest,
    SessionExpired,
)
from trader_gui.brokers.kite import KiteBroker
from trader_gui.brokers.kite_errors import is_ip_refusal
from trader_gui.brokers.kite_rate import SlidingWindowLimiter
from trader_gui.brokers.kite_translate import protection_value, state_for
from trader_gui.domain.enums import BrokerState, Exchange, OrderType, Product, Side
from trader_gui.domain.instruments import InstrumentCatalog

OPTION = "NIFTY01DEC2625500CE"
OPTION_AT_KITE = "NIFTY26D0125500CE"


class FakeTime:
    """A monotonic clock that moves only when slept on; it records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_broker(
    server: KiteFakeServer, catalog: InstrumentCatalog, fake_time: FakeTime, **changes: Any
) -> KiteBroker:
    options: dict[str, Any] = {
        "api_key": server.api_key,
        "access_token": server.access_token,
        "client_id": server.user_id,
        "root": server.root,
        "timeout_s": 3.0,
        "monotonic": fake_time.monotonic,
        "sleep": fake_time.sleep,
    }
    options.update(changes)
    return KiteBroker(catalog, **options)


@pytest.fixture
def broker(
    kite_server: KiteFakeServer,  # noqa: F811
    catalog: InstrumentCatalog,
    fake_time: FakeTime,
) -> Iterator[KiteBroker]:
    adapter = make_broker(kite_server, catalog, fake_time)
    yield adapter
    adapter.close()


def request(**changes: Any) -> PlaceOrderRequest:
    fields: dict[str, Any] = {
        "tag": "TAG0000000000000001",
        "symbol": "SBIN",
        "exchange": Exchange.NSE,
        "side": Side.BUY,
        "quantity": 10,
        "order_type": OrderType.MARKET,
        "product": Product.MIS,
    }
    fields.update(changes)
    return PlaceOrderRequest(**fields)


# ---- placing --------------------------------------------------------------------------------


def test_market_order_goes_out_with_tag_kite_symbol_and_automatic_protection(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    order_id = broker.place_order(
        request(symbol=OPTION, exchange=Exchange.NFO, quantity=65, product=Product.NRML)
    )

    assert order_id == kite_server.order_by_tag("TAG0000000000000001")["order_id"]
    (form,) = kite_server.placed
    assert form == {
        "variety": "regular",
        "exchange": "NFO",
        "tradingsymbol": OPTION_AT_KITE,
        "transaction_type": "BUY",
        "quantity": "65",
        "product": "NRML",
        "order_type": "MARKET",
        "validity": "DAY",
        "tag": "TAG0000000000000001",
        "market_protection": "-1",
    }


def test_limit_order_carries_its_price_and_no_market_protection(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    broker.place_order(request(order_type=OrderType.LIMIT, price=Decimal("812.45")))

    (form,) = kite_server.placed
    assert form["price"] == "812.45"
    assert "market_protection" not in form
    assert "trigger_price" not in form


def test_sl_m_order_carries_trigger_the_traders_percentage_and_the_algo_id(
    kite_server: KiteFakeServer,  # noqa: F811
    catalog: InstrumentCatalog,
    fake_time: FakeTime,
) -> None:
    adapter = make_broker(
        kite_server, catalog, fake_time, market_protection="2.5", algo_id="EXCH0042"
    )
    try:
        adapter.place_order(
            request(order_type=OrderType.SL_M, side=Side.SELL, trigger_price=Decimal("790"))
        )
    finally:
        adapter.close()

    (form,) = kite_server.placed
    assert (form["order_type"], form["trigger_price"]) == ("SL-M", "790")
    assert form["market_protection"] == "2.5"
    assert form["algo_id"] == "EXCH0042"
    assert kite_server.order_by_tag("TAG0000000000000001")["status"] == "TRIGGER PENDING"


@pytest.mark.parametrize("setting", [0, "0", 101, "none", -2])
def test_unprotected_or_impossible_market_protection_is_refused(setting: object) -> None:
    with pytest.raises(ValueError, match="market protection"):
        protection_value(setting)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("setting", "sent"), [(-1, "-1"), ("auto", "-1"), (2.5, "2.5"), ("3", "3"), (100, "100")]
)
def test_market_protection_setting_as_sent(setting: str | float, sent: str) -> None:
    assert protection_value(setting) == sent


@pytest.mark.parametrize("tag", ["A" * 21, "TAG-1", "", "tag with space"])
def test_a_tag_kite_would_not_take_is_refused_before_sending(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
    tag: str,
) -> None:
    with pytest.raises(BrokerRejected, match="Not sent"):
        broker.place_order(request(tag=tag))

    assert kite_server.placed == []
    assert ("POST", "/orders/regular") not in kite_server.requests


def test_an_instrument_outside_the_catalog_is_not_sent(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    with pytest.raises(BrokerRejected, match="not in the instrument list"):
        broker.place_order(request(symbol="NOSUCHSTOCK"))

    assert kite_server.placed == []


# ---- the order book ---------------------------------------------------------------------------

STATUS_WORDS = [
    ("PUT ORDER REQ RECEIVED", BrokerState.PENDING),
    ("VALIDATION PENDING", BrokerState.PENDING),
    ("OPEN PENDING", BrokerState.PENDING),
    ("AMO REQ RECEIVED", BrokerState.PENDING),
    ("TRIGGER PENDING", BrokerState.TRIGGER_PENDING),
    ("OPEN", BrokerState.OPEN),
    ("MODIFY VALIDATION PENDING", BrokerState.OPEN),
    ("MODIFY PENDING", BrokerState.OPEN),
    ("MODIFIED", BrokerState.OPEN),
    ("CANCEL VALIDATION PENDING", BrokerState.OPEN),
    ("CANCEL PENDING", BrokerState.OPEN),
    ("COMPLETE", BrokerState.COMPLETE),
    ("REJECTED", BrokerState.REJECTED),
    ("CANCELLED", BrokerState.CANCELLED),
    ("CANCELLED AMO", BrokerState.CANCELLED),
    ("LAPSED", BrokerState.UNRECOGNISED),
    ("CANCELED", BrokerState.UNRECOGNISED),  # Shoonya's spelling is not Kite's
]


@pytest.mark.parametrize(("word", "state"), STATUS_WORDS)
def test_each_status_word_as_read_from_the_book_with_its_spelling_kept(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
    word: str,
    state: BrokerState,
) -> None:
    order_id = broker.place_order(request())
    kite_server.set_status(order_id, word)

    (order,) = broker.order_book()

    assert (order.state, order.status_text) == (state, word)


@pytest.mark.parametrize(
    "word", ["OPEN", "MODIFY PENDING", "CANCEL PENDING", "MODIFY VALIDATION PENDING"]
)
def test_a_live_order_with_a_fill_is_partially_filled(word: str) -> None:
    assert state_for(word, filled_qty=3) is BrokerState.PARTIALLY_FILLED


def test_partial_fill_then_cancel_of_the_rest(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    order_id = broker.place_order(request(order_type=OrderType.LIMIT, price=Decimal("800")))
    kite_server.fill(order_id, 4, price=799.95)

    (partial,) = broker.order_book()
    broker.cancel_order(order_id)
    (cancelled,) = broker.order_book()

    assert partial.state is BrokerState.PARTIALLY_FILLED
    assert (partial.filled_qty, partial.avg_price) == (4, Decimal("799.95"))
    assert partial.price == Decimal("800")
    assert partial.symbol == "SBIN"
    assert partial.tag == "TAG0000000000000001"
    assert (cancelled.state, cancelled.filled_qty) == (BrokerState.CANCELLED, 4)


def test_a_rejection_keeps_kites_sentence(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    order_id = broker.place_order(request())
    sentence = "Insufficient funds. Required margin is 8,245.00 but available margin is 12.40."
    kite_server.set_status(order_id, "REJECTED", sentence)

    (order,) = broker.order_book()

    assert order.state is BrokerState.REJECTED
    assert order.message == sentence


def test_an_order_book_row_in_common_words(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    order_id = broker.place_order(
        request(symbol=OPTION, exchange=Exchange.NFO, quantity=65, product=Product.NRML)
    )
    kite_server.fill(order_id, price=101.5)

    (order,) = broker.order_book()

    assert order.broker_order_id == order_id
    assert order.symbol == OPTION
    assert (order.exchange, order.side, order.product) == (Exchange.NFO, Side.BUY, Product.NRML)
    assert (order.state, order.filled_qty, order.avg_price) == (
        BrokerState.COMPLETE,
        65,
        Decimal("101.5"),
    )
    assert order.placed_at is not None
    assert order.placed_at.utcoffset() is not None


def test_a_row_in_a_segment_this_program_does_not_trade_is_kept_unrecognised(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    broker.place_order(request())
    kept = kite_server.order_by_tag("TAG0000000000000001")
    kite_server.orders["9"] = {**kept, "order_id": "9", "exchange": "CDS", "tag": None}

    book = broker.order_book()

    readable = [o.broker_order_id for o in book if o.state is not BrokerState.UNRECOGNISED]
    unreadable = [o for o in book if o.state is BrokerState.UNRECOGNISED]
    assert readable == [kept["order_id"]]
    assert [o.broker_order_id for o in unreadable] == ["9"]  # the watcher leaves it alone
    assert unreadable[0].status_text.startswith("unreadable row")


# ---- cancel, modify ---------------------------------------------------------------------------


def test_cancel(broker: KiteBroker, kite_server: KiteFakeServer) -> None:  # noqa: F811
    order_id = broker.place_order(request(order_type=OrderType.LIMIT, price=Decimal("800")))

    broker.cancel_order(order_id)

    assert ("DELETE", f"/orders/regular/{order_id}") in kite_server.requests
    (order,) = broker.order_book()
    assert order.state is BrokerState.CANCELLED


def test_cancel_of_a_complete_order_is_refused_in_kites_words(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    order_id = broker.place_order(request())
    kite_server.fill(order_id)

    with pytest.raises(BrokerRejected) as refused:
        broker.cancel_order(order_id)

    assert refused.value.message == "Order cannot be cancelled as it is COMPLETE."


def test_modify_price_and_quantity(broker: KiteBroker, kite_server: KiteFakeServer) -> None:  # noqa: F811
    order_id = broker.place_order(request(order_type=OrderType.LIMIT, price=Decimal("800")))

    broker.modify_order(order_id, quantity=20, price=Decimal("801.50"))

    form = kite_server.orders[order_id]["modify_form"]
    assert form == {"order_id": order_id, "quantity": "20", "price": "801.50", "variety": "regular"}
    (order,) = broker.order_book()
    assert (order.quantity, order.price) == (20, Decimal("801.5"))


def test_modify_to_market_carries_market_protection(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    order_id = broker.place_order(request(order_type=OrderType.LIMIT, price=Decimal("800")))

    broker.modify_order(order_id, order_type=OrderType.MARKET)

    form = kite_server.orders[order_id]["modify_form"]
    assert (form["order_type"], form["market_protection"]) == ("MARKET", "-1")


# ---- positions and quotes ---------------------------------------------------------------------


def test_positions_in_common_words_with_kites_total_pnl(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    kite_server.positions = [
        {
            "tradingsymbol": OPTION_AT_KITE,
            "exchange": "NFO",
            "product": "NRML",
            "quantity": -65,
            "average_price": 101.5,
            "last_price": 98.25,
            "pnl": 411.25,
            "realised": 200.0,
            "unrealised": 211.25,
        },
        {"tradingsymbol": "USDINR26DECFUT", "exchange": "CDS", "product": "NRML", "pnl": 5.0},
    ]

    (position,) = broker.positions()

    assert (position.symbol, position.exchange, position.product) == (
        OPTION,
        Exchange.NFO,
        Product.NRML,
    )
    assert (position.quantity, position.avg_price, position.last_price) == (
        -65,
        Decimal("101.5"),
        Decimal("98.25"),
    )
    assert (position.realised_pnl, position.pnl) == (Decimal("200.0"), Decimal("411.25"))


def test_quotes_by_common_symbol(broker: KiteBroker, kite_server: KiteFakeServer) -> None:  # noqa: F811
    kite_server.prices = {"NSE:SBIN": 812.45, f"NFO:{OPTION_AT_KITE}": 101.5}

    prices = broker.quotes([(Exchange.NSE, "SBIN"), (Exchange.NFO, OPTION), (Exchange.NSE, "INFY")])

    assert prices == {
        (Exchange.NSE, "SBIN"): Decimal("812.45"),
        (Exchange.NFO, OPTION): Decimal("101.5"),
    }


# ---- errors, each kind, with Kite's message kept ---------------------------------------------

ERRORS = [
    (400, "InputException", "Invalid `quantity`.", BrokerRejected),
    (400, "OrderException", "Order placement failed.", BrokerRejected),
    (400, "MarginException", "Insufficient funds.", BrokerRejected),
    (403, "PermissionException", "Insufficient permission for that call.", BrokerRejected),
    (503, "NetworkException", "Couldn't reach the OMS.", BrokerUnavailable),
    (500, "GeneralException", "Something went wrong.", BrokerUnavailable),
    (502, "DataException", "Couldn't parse the OMS response.", BrokerUnavailable),
]


@pytest.mark.parametrize(("status", "error_type", "message", "kind"), ERRORS)
def test_each_kite_error_on_place_is_its_kind_with_kites_message(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
    status: int,
    error_type: str,
    message: str,
    kind: type[Exception],
) -> None:
    kite_server.inject(
        "place", Fault.HTTP_ERROR, status=status, error_type=error_type, message=message
    )

    with pytest.raises(kind) as raised:
        broker.place_order(request())

    assert message in raised.value.message  # type: ignore[attr-defined]


@pytest.mark.parametrize("fault", [Fault.MALFORMED, Fault.NOT_JSON])
def test_a_reply_that_is_not_json_is_an_unknown_outcome(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
    fault: Fault,
) -> None:
    kite_server.inject("place", fault, accept=True)

    with pytest.raises(BrokerUnavailable, match="could not be read"):
        broker.place_order(request())


def test_http_500_on_the_order_book_is_unavailable(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    kite_server.inject("orders", Fault.HTTP_ERROR, status=500, message="Internal server error")

    with pytest.raises(BrokerUnavailable, match="Internal server error"):
        broker.order_book()
    assert broker.order_book() == []


def test_an_expired_token_is_session_expired_and_later_calls_do_not_reach_kite(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    kite_server.expire_token()

    with pytest.raises(SessionExpired) as expired:
        broker.order_book()
    sent = len(kite_server.requests)
    with pytest.raises(SessionExpired, match="log in again from the window"):
        broker.place_order(request())
    with pytest.raises(SessionExpired, match="log in again from the window"):
        broker.login()

    assert "Incorrect `api_key` or `access_token`." in expired.value.message
    assert len(kite_server.requests) == sent
    assert kite_server.placed == []
    assert not broker.has_session


def test_a_fresh_token_makes_calls_work_again(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    kite_server.expire_token()
    with pytest.raises(SessionExpired):
        broker.order_book()

    broker.set_access_token(kite_server.new_access_token())
    broker.login()

    assert broker.order_book() == []
    assert broker.has_session


def test_login_without_a_token_asks_for_the_window_and_sends_nothing(
    kite_server: KiteFakeServer,  # noqa: F811
    catalog: InstrumentCatalog,
    fake_time: FakeTime,
) -> None:
    adapter = make_broker(kite_server, catalog, fake_time, access_token=None)

    with pytest.raises(SessionExpired, match="Kite session ended: log in again from the window"):
        adapter.login()

    assert kite_server.requests == []
    adapter.close()


def test_a_token_of_another_user_is_refused_and_dropped(
    kite_server: KiteFakeServer,  # noqa: F811
    catalog: InstrumentCatalog,
    fake_time: FakeTime,
) -> None:
    adapter = make_broker(kite_server, catalog, fake_time, client_id="ZZ9999")

    with pytest.raises(SessionExpired, match="for user AB1234, not ZZ9999"):
        adapter.login()
    with pytest.raises(SessionExpired):
        adapter.place_order(request())

    assert kite_server.placed == []
    adapter.close()


# ---- rate limits ------------------------------------------------------------------------------


def test_a_read_refused_with_429_is_retried_after_a_back_off(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
    fake_time: FakeTime,
) -> None:
    kite_server.inject("orders", Fault.RATE_LIMITED)

    assert broker.order_book() == []
    assert fake_time.sleeps == [0.25]


def test_a_read_still_refused_with_429_is_unavailable(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
    fake_time: FakeTime,
) -> None:
    kite_server.inject("positions", Fault.RATE_LIMITED, times=3)

    with pytest.raises(BrokerUnavailable, match="Kite rate limit: Too many requests"):
        broker.positions()
    assert fake_time.sleeps == [0.25, 0.5]


def test_an_order_refused_with_429_is_sent_again_and_placed_once(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
    fake_time: FakeTime,
) -> None:
    kite_server.inject("place", Fault.RATE_LIMITED, times=2)

    order_id = broker.place_order(request())

    assert order_id
    assert kite_server.count_tag("TAG0000000000000001") == 1
    assert kite_server.requests.count(("POST", "/orders/regular")) == 3
    assert fake_time.sleeps == [0.25, 0.5]


def test_an_order_still_refused_with_429_is_rejected_and_nothing_placed(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    kite_server.inject("place", Fault.RATE_LIMITED, times=3)

    with pytest.raises(BrokerRejected, match="Kite rate limit: Too many requests"):
        broker.place_order(request())

    assert kite_server.placed == []
    assert kite_server.requests.count(("POST", "/orders/regular")) == 3


def test_the_eleventh_order_in_a_second_waits_its_turn(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
    fake_time: FakeTime,
) -> None:
    for n in range(11):
        broker.place_order(request(tag=f"TAG{n:02d}"))

    assert len(kite_server.placed) == 11
    assert fake_time.sleeps == [pytest.approx(1.0)]


def test_the_limiter_never_lets_more_than_the_limit_start_in_any_window() -> None:
    fake = FakeTime()
    starts: list[float] = []
    lock = threading.Lock()
    limiter = SlidingWindowLimiter(10, 1.0, monotonic=fake.monotonic, sleep=lambda _s: None)

    def call() -> None:
        waited = limiter.acquire()
        with lock:
            starts.append(fake.monotonic() + waited)

    threads = [threading.Thread(target=call) for _ in range(35)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    starts.sort()
    assert len(starts) == 35
    for i in range(len(starts) - 10):
        assert starts[i + 10] - starts[i] >= 1.0 - 1e-9
    assert starts[-1] == pytest.approx(fake.now + 3.0)


# ---- no answer, lost answer ---------------------------------------------------------------------


def test_no_answer_is_bounded_by_the_timeout_and_is_unavailable(
    kite_server: KiteFakeServer,  # noqa: F811
    catalog: InstrumentCatalog,
    fake_time: FakeTime,
) -> None:
    adapter = make_broker(kite_server, catalog, fake_time, timeout_s=0.3)
    kite_server.inject("place", Fault.HANG)
    started = time.monotonic()

    with pytest.raises(BrokerUnavailable, match=r"did not answer within 0\.3 s"):
        adapter.place_order(request())

    assert time.monotonic() - started < 2.0
    adapter.close()


def test_a_reply_lost_after_the_order_was_accepted_is_found_by_its_tag(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
) -> None:
    kite_server.inject("place", Fault.DROP, accept=True)

    with pytest.raises(BrokerUnavailable, match="connection to Kite failed"):
        broker.place_order(request())
    found = [order for order in broker.order_book() if order.tag == "TAG0000000000000001"]

    assert len(found) == 1
    assert kite_server.count_tag("TAG0000000000000001") == 1


# ---- the static IP rule -------------------------------------------------------------------------

IP_MESSAGES = [
    "Order request from an IP address that is not whitelisted for this app.",
    "IP 203.0.113.9 is not allowed. Register a static IP on the developer console.",
    "Unregistered IP: orders are accepted only from the registered static IP.",
]


@pytest.mark.parametrize("message", IP_MESSAGES)
def test_an_order_refused_for_the_ip_address_says_so_plainly(
    broker: KiteBroker,
    kite_server: KiteFakeServer,  # noqa: F811
    message: str,
) -> None:
    kite_server.inject(
        "place", Fault.HTTP_ERROR, status=403, error_type="PermissionException", message=message
    )

    with pytest.raises(BrokerRejected) as refused:
        broker.place_order(request())

    assert refused.value.message == (
        "Zerodha refused the order because this computer's IP address is not registered with "
        f"the broker: {message}"
    )


@pytest.mark.parametrize(
    "message",
    ["Insufficient funds.", "Tag length should be less than 20 characters.", "IPO bids closed."],
)
def test_other_refusals_are_not_taken_for_the_ip_rule(message: str) -> None:
    assert not is_ip_refusal(message)


# ---- secrets ---------------------------------------------------------------------------------


def test_no_secret_reaches_a_log_line_or_an_error_text(
    kite_server: KiteFakeServer,  # noqa: F811
    catalog: InstrumentCatalog,
    fake_time: FakeTime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = kite_server.access_token
    adapter = make_broker(kite_server, catalog, fake_time)
    errors: list[str] = []
    adapter.login()
    adapter.place_order(request())
    kite_server.inject(
        "place",
        Fault.HTTP_ERROR,
        status=400,
        error_type="InputException",
        message=f"Bad header token {kite_server.api_key}:{token}",
    )
    kite_server.inject("orders", Fault.DROP)
    for call in (lambda: adapter.place_order(request()), adapter.order_book):
        try:
            call()
        except Exception as error:
            errors.append(f"{error!s} {error!r}")
    kite_server.expire_token()
    try:
        adapter.positions()
    except SessionExpired as error:
        errors.append(f"{error!s} {error!r}")
    fresh = kite_server.new_access_token()
    adapter.set_access_token(fresh)
    adapter.order_book()
    adapter.close()

    assert len(errors) == 3
    assert "***" in errors[0]
    texts = [record.getMessage() for record in caplog.records] + errors
    assert any("Kite place" in text for text in texts)
    for secret in (token, fresh):
        assert not [text for text in texts if secret in text]
