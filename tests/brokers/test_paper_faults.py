"""Failures on demand: each fault kind does what the engine must learn to survive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from paper_support import FakeClock, FakeSleep, make_broker, ticket

from trader_gui.brokers.base import BrokerRejected, BrokerUnavailable, SessionExpired
from trader_gui.brokers.paper import PaperBroker, PaperConfig, PaperFault
from trader_gui.domain.enums import BrokerState, Exchange, OrderType


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def broker(clock: FakeClock, sleep: FakeSleep) -> Iterator[PaperBroker]:
    paper = make_broker(clock, sleep=sleep)
    yield paper
    paper.close()


def test_error_before_accept_creates_nothing(broker: PaperBroker) -> None:
    broker.faults.inject(PaperFault.ERROR_BEFORE_ACCEPT)

    with pytest.raises(BrokerUnavailable):
        broker.place_order(ticket())

    assert broker.order_book() == []
    assert broker.place_order(ticket())  # the next call goes through


def test_timeout_after_accept_leaves_the_order_at_the_broker(
    broker: PaperBroker, clock: FakeClock
) -> None:
    broker.faults.inject(PaperFault.TIMEOUT_AFTER_ACCEPT)

    with pytest.raises(BrokerUnavailable) as lost:
        broker.place_order(ticket(tag="LOSTREPLY01"))
    clock.advance(1)

    assert lost.value.message == "timed out waiting for the broker"
    (order,) = broker.order_book()
    assert (order.tag, order.state) == ("LOSTREPLY01", BrokerState.COMPLETE)


def test_timeout_after_accept_hides_a_rejection_too(broker: PaperBroker) -> None:
    broker.faults.inject(PaperFault.TIMEOUT_AFTER_ACCEPT)

    with pytest.raises(BrokerUnavailable):
        broker.place_order(ticket(quantity=0))

    assert broker.order_book() == []


def test_timeout_after_accept_on_cancel_still_cancels(broker: PaperBroker) -> None:
    order_id = broker.place_order(ticket(order_type=OrderType.LIMIT, price="300.00"))
    broker.faults.inject(PaperFault.TIMEOUT_AFTER_ACCEPT)

    with pytest.raises(BrokerUnavailable):
        broker.cancel_order(order_id)

    (order,) = broker.order_book()
    assert order.state is BrokerState.CANCELLED


def test_reject_raises_the_message_and_creates_nothing(broker: PaperBroker) -> None:
    broker.faults.inject(PaperFault.REJECT, message="RMS:Blocked for trading")

    with pytest.raises(BrokerRejected, match=r"^RMS:Blocked for trading$"):
        broker.place_order(ticket())

    assert broker.order_book() == []


def test_session_expired_fails_every_call_until_login(broker: PaperBroker) -> None:
    order_id = broker.place_order(ticket(order_type=OrderType.LIMIT, price="300.00"))
    broker.faults.inject(PaperFault.SESSION_EXPIRED)

    calls: list[Callable[[], object]] = [
        lambda: broker.place_order(ticket()),
        lambda: broker.cancel_order(order_id),
        lambda: broker.modify_order(order_id, price=Decimal("301.00")),
        broker.order_book,
        broker.positions,
        lambda: broker.quotes([(Exchange.NSE, "ITC")]),
    ]
    for call in calls:
        with pytest.raises(SessionExpired, match=r"^Session Expired : Invalid Session Key$"):
            call()

    broker.login()

    assert len(broker.order_book()) == 1
    assert broker.faults.fired == 1


def test_slow_sleeps_outside_the_broker_and_still_places(
    broker: PaperBroker, sleep: FakeSleep
) -> None:
    broker.faults.inject(PaperFault.SLOW, delay_s=7.5)

    order_id = broker.place_order(ticket())

    assert sleep.calls == [7.5]
    assert [o.broker_order_id for o in broker.order_book()] == [order_id]


def test_ack_latency_sleeps_on_every_place(clock: FakeClock, sleep: FakeSleep) -> None:
    broker = make_broker(clock, config=PaperConfig(volatility=0.0, ack_latency_s=0.2), sleep=sleep)

    broker.place_order(ticket())
    broker.place_order(ticket())
    broker.order_book()

    assert sleep.calls == [0.2, 0.2]
    broker.close()


def test_order_book_error_counts_down(broker: PaperBroker) -> None:
    broker.faults.inject(PaperFault.ORDER_BOOK_ERROR, count=2)
    broker.place_order(ticket())  # order calls are not affected

    for _ in range(2):
        with pytest.raises(BrokerUnavailable):
            broker.order_book()

    assert len(broker.order_book()) == 1
    assert broker.faults.fired_by_kind == {PaperFault.ORDER_BOOK_ERROR: 2}


def test_faults_wait_for_a_call_they_apply_to(broker: PaperBroker) -> None:
    broker.faults.inject(PaperFault.REJECT)

    broker.order_book()
    broker.positions()

    assert broker.faults.fired == 0
    with pytest.raises(BrokerRejected):
        broker.place_order(ticket())
    assert broker.faults.fired == 1


def test_fired_counts_every_fault(broker: PaperBroker) -> None:
    broker.faults.inject(PaperFault.ERROR_BEFORE_ACCEPT, count=3)
    for _ in range(3):
        with pytest.raises(BrokerUnavailable):
            broker.place_order(ticket())

    broker.place_order(ticket())

    assert broker.faults.fired == 3


def test_clear_disarms(broker: PaperBroker) -> None:
    broker.faults.inject(PaperFault.REJECT, count=5)
    broker.faults.inject(PaperFault.SESSION_EXPIRED)

    broker.faults.clear()

    assert broker.place_order(ticket())


def test_random_mode_fires_at_the_given_rate(broker: PaperBroker) -> None:
    broker.faults.random(1.0, kinds=[PaperFault.REJECT])

    with pytest.raises(BrokerRejected):
        broker.place_order(ticket())
    broker.faults.random(0.0)

    assert broker.place_order(ticket())


def outcomes(seed: int) -> list[str]:
    broker = make_broker(FakeClock())
    broker.faults.random(
        0.5,
        kinds=[PaperFault.ERROR_BEFORE_ACCEPT, PaperFault.REJECT, PaperFault.ORDER_BOOK_ERROR],
        seed=seed,
    )
    seen: list[str] = []
    for _ in range(40):
        try:
            broker.place_order(ticket())
            broker.order_book()
            seen.append("ok")
        except (BrokerRejected, BrokerUnavailable) as error:
            seen.append(type(error).__name__)
    broker.close()
    return seen


def test_random_mode_is_repeatable_with_its_seed() -> None:
    first = outcomes(seed=3)

    assert first == outcomes(seed=3)
    assert first != outcomes(seed=4)
    assert {"ok", "BrokerRejected", "BrokerUnavailable"} <= set(first)


def test_inject_validates_its_arguments(broker: PaperBroker) -> None:
    with pytest.raises(ValueError, match="count"):
        broker.faults.inject(PaperFault.REJECT, count=0)
    with pytest.raises(ValueError, match="rate"):
        broker.faults.random(1.5)
