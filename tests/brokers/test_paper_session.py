"""The paper broker in session mode keeps the market's hours: closed-market orders rejected in
the broker's words, AMOs held until the open, MIS squared off at the square-off time. Without
a calendar (the default) it fills at any hour."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from paper_support import QUIET, FakeClock, FakeSleep, catalog, ticket

from trader_gui.brokers.base import BrokerRejected
from trader_gui.brokers.paper import PaperBroker
from trader_gui.domain.enums import BrokerState, OrderType, Product
from trader_gui.domain.market_time import IST
from trader_gui.persistence.calendar_file import load_bundled_calendar

CALENDAR = load_bundled_calendar()


def ist(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=IST)


def session_broker(clock: FakeClock, *, calendar: bool = True) -> PaperBroker:
    return PaperBroker(
        catalog(),
        config=replace(QUIET, fill_latency_s=0),
        clock=clock,
        sleep=FakeSleep(),
        calendar=CALENDAR if calendar else None,
    )


def test_a_regular_order_on_a_saturday_is_rejected_in_the_brokers_words() -> None:
    broker = session_broker(FakeClock(ist(28, 11)))

    with pytest.raises(BrokerRejected, match=r"Markets are closed right now \(NSE: Saturday\)"):
        broker.place_order(ticket(product=Product.CNC))

    assert broker.order_book() == []


def test_an_amo_is_held_until_the_open_and_fills_then() -> None:
    clock = FakeClock(ist(28, 11))
    broker = session_broker(clock)

    order_id = broker.place_order(replace(ticket(product=Product.CNC), amo=True))

    (held,) = broker.order_book()
    assert held.state is BrokerState.OPEN
    assert held.message == "AMO held until the market opens (Mon 30 Nov 09:15 IST)"
    clock.now = ist(30, 9, 14)
    assert broker.order_book()[0].state is BrokerState.OPEN
    clock.now = ist(30, 9, 16)
    (filled,) = broker.order_book()
    assert filled.broker_order_id == order_id
    assert filled.state is BrokerState.COMPLETE


def test_an_amo_while_the_market_is_open_is_rejected() -> None:
    broker = session_broker(FakeClock(ist(25, 10)))

    with pytest.raises(BrokerRejected, match="AMO not allowed: NSE is open"):
        broker.place_order(replace(ticket(), amo=True))


def test_a_resting_order_does_not_fill_after_the_close() -> None:
    clock = FakeClock(ist(25, 15, 29))
    broker = session_broker(clock)
    broker.set_price("NSE", "ITC", "329")
    broker.place_order(ticket(product=Product.CNC, order_type=OrderType.LIMIT, price="320"))
    clock.now = ist(25, 16)

    broker.set_price("NSE", "ITC", "310")

    assert broker.order_book()[0].state is BrokerState.OPEN


def test_open_mis_positions_are_squared_off_at_the_square_off_time() -> None:
    clock = FakeClock(ist(25, 11))
    broker = session_broker(clock)
    broker.place_order(ticket(product=Product.MIS, tag="MIS1"))
    broker.place_order(ticket(product=Product.CNC, tag="CNC1"))
    clock.now = ist(25, 15, 19)
    assert {p.product: p.quantity for p in broker.positions()} == {
        Product.MIS: 10,
        Product.CNC: 10,
    }

    clock.now = ist(25, 15, 21)

    assert {p.product: p.quantity for p in broker.positions()} == {
        Product.MIS: 0,
        Product.CNC: 10,
    }
    square_off = [o for o in broker.order_book() if o.tag is None]
    assert [(o.side, o.quantity, o.state) for o in square_off] == [
        ("SELL", 10, BrokerState.COMPLETE)
    ]
    assert square_off[0].message == "Squared off by the broker (MIS square-off 15:20)"


def test_an_mis_position_still_open_before_the_next_open_is_squared_off() -> None:
    """The program was not running at the square-off: the position is a left-over."""
    clock = FakeClock(ist(25, 11))
    broker = session_broker(clock)
    broker.place_order(ticket(product=Product.MIS))
    assert [p.quantity for p in broker.positions()] == [10]
    clock.now = ist(27, 8, 30)  # no call since Wednesday 11:00

    assert [p.quantity for p in broker.positions()] == [0]
    (square_off,) = [o for o in broker.order_book() if o.tag is None]
    assert square_off.message == "Squared off by the broker (MIS square-off 26 Nov 15:20)"


def test_an_mis_position_opened_today_stays_until_the_square_off() -> None:
    clock = FakeClock(ist(25, 9, 30))
    broker = session_broker(clock)
    broker.place_order(ticket(product=Product.MIS))
    clock.now = datetime(2026, 11, 25, 15, 19, 59, tzinfo=IST)

    assert [p.quantity for p in broker.positions()] == [10]


def test_without_a_calendar_the_paper_broker_fills_at_any_hour() -> None:
    broker = session_broker(FakeClock(ist(28, 3)), calendar=False)

    broker.place_order(ticket(product=Product.CNC))

    assert broker.order_book()[0].state is BrokerState.COMPLETE
