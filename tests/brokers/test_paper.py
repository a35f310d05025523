"""The paper broker as the engine sees it: order lifecycle, refusals, margin, positions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from paper_support import FUTURE, OPTION, FakeClock, FakeSleep, make_broker, ticket

from trader_gui.brokers.base import Broker, BrokerOrder, BrokerRejected
from trader_gui.brokers.paper import PaperBroker, PaperConfig
from trader_gui.domain.enums import BrokerState, Exchange, OrderType, Product, Side


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def broker(clock: FakeClock) -> Iterator[PaperBroker]:
    paper = make_broker(clock)
    yield paper
    paper.close()


def the_order(broker: PaperBroker, order_id: str) -> BrokerOrder:
    (order,) = [o for o in broker.order_book() if o.broker_order_id == order_id]
    return order


def test_is_a_broker(broker: PaperBroker) -> None:
    assert isinstance(broker, Broker)
    assert broker.name == "paper"


def test_order_ids_look_like_broker_ids(broker: PaperBroker) -> None:
    first = broker.place_order(ticket())
    second = broker.place_order(ticket())

    assert first == "25112600000001"
    assert second == "25112600000002"


# -- market orders -----------------------------------------------------------------------------


def test_market_buy_waits_for_fill_latency_then_fills_at_touch_plus_slippage(
    broker: PaperBroker, clock: FakeClock
) -> None:
    order_id = broker.place_order(ticket(quantity=10))

    clock.advance(0.29)
    waiting = the_order(broker, order_id)
    clock.advance(0.01)
    filled = the_order(broker, order_id)

    assert (waiting.state, waiting.status_text, waiting.filled_qty) == (BrokerState.OPEN, "OPEN", 0)
    assert (filled.state, filled.status_text) == (BrokerState.COMPLETE, "COMPLETE")
    assert filled.filled_qty == 10
    assert filled.avg_price == Decimal("329.05")


def test_market_sell_fills_one_tick_below_the_last_price(
    broker: PaperBroker, clock: FakeClock
) -> None:
    order_id = broker.place_order(ticket(side=Side.SELL))

    clock.advance(1)

    assert the_order(broker, order_id).avg_price == Decimal("328.95")


def test_slippage_is_configurable(clock: FakeClock) -> None:
    broker = make_broker(clock, config=PaperConfig(volatility=0.0, slippage_ticks=3))
    order_id = broker.place_order(ticket())

    clock.advance(1)

    assert the_order(broker, order_id).avg_price == Decimal("329.15")
    broker.close()


# -- limit and stop orders ---------------------------------------------------------------------


def test_buy_limit_fills_only_when_the_price_reaches_it(
    broker: PaperBroker, clock: FakeClock
) -> None:
    order_id = broker.place_order(ticket(order_type=OrderType.LIMIT, price="328.00"))
    clock.advance(5)

    broker.set_price(Exchange.NSE, "ITC", Decimal("328.05"))
    above = the_order(broker, order_id)
    broker.set_price(Exchange.NSE, "ITC", Decimal("328.00"))
    reached = the_order(broker, order_id)

    assert (above.state, above.filled_qty) == (BrokerState.OPEN, 0)
    assert reached.state is BrokerState.COMPLETE
    assert reached.avg_price == Decimal("328.00")


def test_marketable_limit_fills_at_the_touch_when_better_than_the_limit(
    broker: PaperBroker, clock: FakeClock
) -> None:
    order_id = broker.place_order(ticket(order_type=OrderType.LIMIT, price="335.00"))

    clock.advance(0.3)

    assert the_order(broker, order_id).avg_price == Decimal("329.05")


def test_sell_limit_fills_at_the_limit_when_the_price_rises_to_it(
    broker: PaperBroker, clock: FakeClock
) -> None:
    order_id = broker.place_order(ticket(side=Side.SELL, order_type=OrderType.LIMIT, price="330"))
    clock.advance(1)
    assert the_order(broker, order_id).state is BrokerState.OPEN

    broker.set_price("NSE", "ITC", "330.00")

    assert the_order(broker, order_id).avg_price == Decimal("330.00")


def test_buy_sl_waits_for_the_trigger_then_acts_as_a_limit(
    broker: PaperBroker, clock: FakeClock
) -> None:
    order_id = broker.place_order(ticket(order_type=OrderType.SL, price="332.00", trigger="331.00"))
    clock.advance(1)
    pending = the_order(broker, order_id)

    broker.set_price("NSE", "ITC", "330.95")
    still_pending = the_order(broker, order_id)
    broker.set_price("NSE", "ITC", "331.00")
    filled = the_order(broker, order_id)

    assert (pending.state, pending.status_text) == (BrokerState.TRIGGER_PENDING, "TRIGGER PENDING")
    assert still_pending.state is BrokerState.TRIGGER_PENDING
    assert filled.state is BrokerState.COMPLETE
    assert filled.avg_price == Decimal("331.05")


def test_triggered_sl_beyond_its_limit_stays_open(broker: PaperBroker, clock: FakeClock) -> None:
    order_id = broker.place_order(ticket(order_type=OrderType.SL, price="331.00", trigger="331.00"))
    clock.advance(1)

    broker.set_price("NSE", "ITC", "331.50")

    order = the_order(broker, order_id)
    assert (order.state, order.status_text, order.filled_qty) == (BrokerState.OPEN, "OPEN", 0)


def test_sell_sl_m_triggers_then_fills_at_market(broker: PaperBroker, clock: FakeClock) -> None:
    order_id = broker.place_order(
        ticket(side=Side.SELL, order_type=OrderType.SL_M, trigger="320.00")
    )
    clock.advance(1)
    assert the_order(broker, order_id).state is BrokerState.TRIGGER_PENDING

    broker.set_price("NSE", "ITC", "319.50")

    order = the_order(broker, order_id)
    assert order.state is BrokerState.COMPLETE
    assert order.avg_price == Decimal("319.45")
    assert order.trigger_price == Decimal("320.00")
    assert order.price is None


# -- partial fills -----------------------------------------------------------------------------


def test_large_order_fills_in_parts_one_per_interval(broker: PaperBroker, clock: FakeClock) -> None:
    order_id = broker.place_order(ticket(OPTION, quantity=25 * 65))

    clock.advance(0.3)
    first = the_order(broker, order_id)
    clock.advance(0.3)
    second = the_order(broker, order_id)
    clock.advance(0.3)
    done = the_order(broker, order_id)

    assert (first.state, first.status_text) == (BrokerState.PARTIALLY_FILLED, "OPEN")
    assert first.filled_qty == 650
    assert first.avg_price == Decimal("150.05")
    assert second.filled_qty == 1300
    assert (done.state, done.filled_qty) == (BrokerState.COMPLETE, 1625)
    assert [f.quantity for f in broker.fills()] == [650, 650, 325]


def test_parts_take_the_price_of_their_moment(broker: PaperBroker, clock: FakeClock) -> None:
    order_id = broker.place_order(ticket(OPTION, quantity=20 * 65))
    clock.advance(0.3)
    broker.order_book()

    broker.set_price("NFO", OPTION.symbol, "160.00")
    clock.advance(0.3)
    order = the_order(broker, order_id)

    assert order.filled_qty == 1300
    assert order.avg_price == Decimal("155.05")


def test_elapsed_intervals_fill_several_parts_at_once(
    broker: PaperBroker, clock: FakeClock
) -> None:
    order_id = broker.place_order(ticket(OPTION, quantity=25 * 65))

    clock.advance(0.6)

    assert the_order(broker, order_id).filled_qty == 1300


def test_orders_up_to_the_part_size_fill_whole(broker: PaperBroker, clock: FakeClock) -> None:
    order_id = broker.place_order(ticket(OPTION, quantity=10 * 65))

    clock.advance(0.3)

    assert the_order(broker, order_id).state is BrokerState.COMPLETE


def test_cancelling_a_partly_filled_order_keeps_its_fills(
    broker: PaperBroker, clock: FakeClock
) -> None:
    order_id = broker.place_order(ticket(OPTION, quantity=25 * 65))
    clock.advance(0.3)

    broker.cancel_order(order_id)
    clock.advance(5)

    order = the_order(broker, order_id)
    assert (order.state, order.status_text, order.filled_qty) == (
        BrokerState.CANCELLED,
        "CANCELLED",
        650,
    )
    (position,) = broker.positions()
    assert position.quantity == 650


# -- synchronous refusals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_kwargs", "reason"),
    [
        pytest.param(
            {"quantity": 70, "instrument": OPTION},
            "RMS:Rule: Check lot size, quantity 70 is not a multiple of lot size 65",
            id="lot",
        ),
        pytest.param(
            {"quantity": 1820, "instrument": OPTION},
            "Quantity 1820 exceeds freeze limit 1755",
            id="freeze",
        ),
        pytest.param(
            {"quantity": 0},
            "Quantity 0 is invalid: it must be more than zero",
            id="zero-quantity",
        ),
        pytest.param(
            {"quantity": -5},
            "Quantity -5 is invalid: it must be more than zero",
            id="negative-quantity",
        ),
        pytest.param(
            {"order_type": OrderType.LIMIT, "price": "329.03"},
            "Price 329.03 is not a multiple of tick size 0.05",
            id="tick",
        ),
        pytest.param(
            {"order_type": OrderType.LIMIT, "price": "400.00"},
            "Price 400.00 is outside the price band 263.20 - 394.80",
            id="band",
        ),
        pytest.param(
            {"order_type": OrderType.LIMIT, "price": "0"},
            "Price 0 is invalid: it must be more than zero",
            id="zero-price",
        ),
        pytest.param(
            {"order_type": OrderType.LIMIT},
            "Price is required for a LIMIT order",
            id="limit-without-price",
        ),
        pytest.param(
            {"order_type": OrderType.SL, "trigger": "331.00"},
            "Price is required for a SL order",
            id="sl-without-price",
        ),
        pytest.param(
            {"order_type": OrderType.SL_M},
            "Trigger price is required for a SL-M order",
            id="sl-m-without-trigger",
        ),
        pytest.param(
            {"order_type": OrderType.SL_M, "trigger": "329.07"},
            "Trigger price 329.07 is not a multiple of tick size 0.05",
            id="trigger-tick",
        ),
        pytest.param(
            {"order_type": OrderType.SL_M, "trigger": "100.00"},
            "Trigger price 100.00 is outside the price band 263.20 - 394.80",
            id="trigger-band",
        ),
        pytest.param(
            {"order_type": OrderType.SL_M, "trigger": "328.00"},
            "Trigger price 328.00 for a stoploss BUY order must be higher than the last "
            "traded price 329.00",
            id="buy-trigger-below-market",
        ),
        pytest.param(
            {"order_type": OrderType.SL_M, "trigger": "330.00", "side": Side.SELL},
            "Trigger price 330.00 for a stoploss SELL order must be lower than the last "
            "traded price 329.00",
            id="sell-trigger-above-market",
        ),
        pytest.param(
            {"order_type": OrderType.SL, "trigger": "331.00", "price": "330.00"},
            "Price 330.00 for a stoploss BUY order cannot be lower than the trigger price 331.00",
            id="buy-limit-below-trigger",
        ),
        pytest.param(
            {"order_type": OrderType.SL, "trigger": "320.00", "price": "321.00", "side": Side.SELL},
            "Price 321.00 for a stoploss SELL order cannot be higher than the trigger price 320.00",
            id="sell-limit-above-trigger",
        ),
        pytest.param(
            {"instrument": OPTION, "quantity": 65, "product": Product.CNC},
            "Product CNC is not allowed on NFO",
            id="product",
        ),
    ],
)
def test_place_refuses_what_the_exchange_refuses(
    broker: PaperBroker, request_kwargs: dict[str, object], reason: str
) -> None:
    with pytest.raises(BrokerRejected) as refused:
        broker.place_order(ticket(**request_kwargs))  # type: ignore[arg-type]

    assert refused.value.message == reason
    assert broker.order_book() == []


def test_unknown_symbol_is_refused(broker: PaperBroker) -> None:
    unknown = replace(ticket(), symbol="XYZ")

    with pytest.raises(BrokerRejected, match=r"^Symbol XYZ not found on NSE$"):
        broker.place_order(unknown)


def test_prices_already_on_the_tick_pass_in_any_spelling(broker: PaperBroker) -> None:
    order_id = broker.place_order(ticket(order_type=OrderType.LIMIT, price="300.1"))

    assert the_order(broker, order_id).price == Decimal("300.1")


# -- margin ------------------------------------------------------------------------------------


def test_insufficient_margin_is_accepted_then_rejected_in_the_book(broker: PaperBroker) -> None:
    order_id = broker.place_order(ticket(OPTION, side=Side.SELL, quantity=1755))

    order = the_order(broker, order_id)

    assert (order.state, order.status_text) == (BrokerState.REJECTED, "REJECTED")
    assert order.message == ("RMS:Margin Exceeds, Required: 6,318,000.00, Available: 1,000,000.00")
    assert broker.funds().available == Decimal("1000000.00")


def test_margin_is_blocked_by_an_open_order_and_released_on_cancel(broker: PaperBroker) -> None:
    order_id = broker.place_order(ticket(quantity=1000, order_type=OrderType.LIMIT, price="320.00"))
    blocked = broker.funds()

    broker.cancel_order(order_id)
    released = broker.funds()

    assert blocked.blocked == Decimal("64000.00")  # 320 x 1000 / 5 (MIS equity)
    assert blocked.available == Decimal("936000.00")
    assert (released.blocked, released.available) == (Decimal(0), Decimal("1000000.00"))
    assert the_order(broker, order_id).state is BrokerState.CANCELLED


def test_margin_moves_from_order_to_position_and_is_freed_by_closing(
    broker: PaperBroker, clock: FakeClock
) -> None:
    broker.place_order(ticket(quantity=1000, product=Product.CNC))
    clock.advance(2)
    held = broker.funds()

    broker.place_order(ticket(quantity=1000, product=Product.CNC, side=Side.SELL))
    clock.advance(2)
    closed = broker.funds()

    assert (held.blocked, held.held) == (Decimal(0), Decimal("329050.00"))
    assert held.available == Decimal("670950.00")
    assert (closed.held, closed.realised) == (Decimal(0), Decimal("-100.00"))
    assert closed.available == Decimal("999900.00")


def test_leverage_follows_product_and_kind(broker: PaperBroker) -> None:
    broker.place_order(ticket(FUTURE, quantity=75, order_type=OrderType.LIMIT, price="24000.00"))
    broker.place_order(ticket(OPTION, quantity=65, order_type=OrderType.LIMIT, price="150.00"))

    # future 24000 x 75 / 10 + option premium 150 x 65
    assert broker.funds().blocked == Decimal("180000.00") + Decimal("9750.00")


def test_an_exit_needs_no_margin_even_when_funds_are_used_up(
    broker: PaperBroker, clock: FakeClock
) -> None:
    broker.place_order(ticket(quantity=3000, product=Product.CNC))
    clock.advance(2)
    assert broker.funds().available < Decimal("20000")

    order_id = broker.place_order(ticket(quantity=3000, product=Product.CNC, side=Side.SELL))

    assert the_order(broker, order_id).state is BrokerState.OPEN


def test_margin_rejection_does_not_block_margin(broker: PaperBroker) -> None:
    broker.place_order(ticket(OPTION, side=Side.SELL, quantity=1755))

    assert broker.funds().blocked == Decimal(0)


def test_partial_fills_release_margin_part_by_part(broker: PaperBroker, clock: FakeClock) -> None:
    broker.place_order(ticket(OPTION, quantity=20 * 65, order_type=OrderType.LIMIT, price="150.00"))
    before = broker.funds().blocked
    clock.advance(0.3)

    funds = broker.funds()

    assert before == Decimal("195000.00")
    assert funds.blocked == Decimal("97500.00")
    assert funds.held == Decimal("97500.00")


# -- cancel and modify -------------------------------------------------------------------------


def test_cancel_or_modify_of_a_completed_order_is_refused(
    broker: PaperBroker, clock: FakeClock
) -> None:
    order_id = broker.place_order(ticket())
    clock.advance(1)

    with pytest.raises(BrokerRejected) as cancel:
        broker.cancel_order(order_id)
    with pytest.raises(BrokerRejected) as modify:
        broker.modify_order(order_id, price=Decimal("330.00"))

    assert cancel.value.message == f"Order {order_id} is already COMPLETE, cannot cancel"
    assert modify.value.message == f"Order {order_id} is already COMPLETE, cannot modify"


def test_cancel_of_a_cancelled_or_rejected_or_unknown_order_is_refused(
    broker: PaperBroker,
) -> None:
    cancelled = broker.place_order(ticket(order_type=OrderType.LIMIT, price="300.00"))
    broker.cancel_order(cancelled)
    rejected = broker.place_order(ticket(OPTION, side=Side.SELL, quantity=1755))

    with pytest.raises(BrokerRejected, match="is already CANCELLED, cannot cancel"):
        broker.cancel_order(cancelled)
    with pytest.raises(BrokerRejected, match="is already REJECTED, cannot cancel"):
        broker.cancel_order(rejected)
    with pytest.raises(BrokerRejected, match=r"^Order 999 not found$"):
        broker.cancel_order("999")


def test_modify_price_then_the_order_fills_at_the_new_price(
    broker: PaperBroker, clock: FakeClock
) -> None:
    order_id = broker.place_order(ticket(order_type=OrderType.LIMIT, price="300.00"))
    clock.advance(1)

    broker.modify_order(order_id, price=Decimal("329.00"))
    clock.advance(0.3)

    order = the_order(broker, order_id)
    assert (order.state, order.price, order.avg_price) == (
        BrokerState.COMPLETE,
        Decimal("329.00"),
        Decimal("329.00"),
    )


def test_modify_applies_the_same_checks_as_place(broker: PaperBroker) -> None:
    order_id = broker.place_order(
        ticket(OPTION, quantity=65, order_type=OrderType.LIMIT, price="140.00")
    )

    with pytest.raises(BrokerRejected, match="quantity 100 is not a multiple of lot size 65"):
        broker.modify_order(order_id, quantity=100)
    with pytest.raises(BrokerRejected, match="not a multiple of tick size"):
        broker.modify_order(order_id, price=Decimal("140.01"))
    with pytest.raises(BrokerRejected, match="Trigger price is required"):
        broker.modify_order(order_id, order_type=OrderType.SL_M)

    order = the_order(broker, order_id)
    assert (order.quantity, order.price, order.order_type) == (
        65,
        Decimal("140.00"),
        OrderType.LIMIT,
    )


def test_modify_to_market_drops_the_price_and_fills(broker: PaperBroker, clock: FakeClock) -> None:
    order_id = broker.place_order(ticket(order_type=OrderType.LIMIT, price="300.00"))

    broker.modify_order(order_id, order_type=OrderType.MARKET)
    clock.advance(0.3)

    order = the_order(broker, order_id)
    assert (order.order_type, order.price, order.state) == (
        OrderType.MARKET,
        None,
        BrokerState.COMPLETE,
    )


def test_modify_to_a_stop_arms_it(broker: PaperBroker, clock: FakeClock) -> None:
    order_id = broker.place_order(ticket(order_type=OrderType.LIMIT, price="300.00"))

    broker.modify_order(order_id, order_type=OrderType.SL_M, trigger_price=Decimal("335.00"))
    clock.advance(1)

    assert the_order(broker, order_id).state is BrokerState.TRIGGER_PENDING


def test_modify_cannot_shrink_below_the_filled_quantity(
    broker: PaperBroker, clock: FakeClock
) -> None:
    order_id = broker.place_order(ticket(OPTION, quantity=25 * 65))
    clock.advance(0.3)

    with pytest.raises(BrokerRejected, match="must be more than the filled quantity 650"):
        broker.modify_order(order_id, quantity=650)


def test_modify_quantity_beyond_the_funds_is_refused(broker: PaperBroker) -> None:
    order_id = broker.place_order(ticket(quantity=1000, order_type=OrderType.LIMIT, price="320.00"))

    with pytest.raises(BrokerRejected, match=r"^RMS:Margin Exceeds, Required: 1,024,000.00"):
        broker.modify_order(order_id, quantity=16000)

    assert broker.funds().blocked == Decimal("64000.00")


# -- positions and quotes ----------------------------------------------------------------------


def test_round_trip_books_realised_and_unrealised_pnl(
    broker: PaperBroker, clock: FakeClock
) -> None:
    broker.place_order(ticket(quantity=100))
    clock.advance(2)
    broker.set_price("NSE", "ITC", "335.00")
    (opened,) = broker.positions()

    broker.place_order(ticket(quantity=40, side=Side.SELL))
    clock.advance(2)
    (reduced,) = broker.positions()
    broker.place_order(ticket(quantity=60, side=Side.SELL))
    clock.advance(2)
    (flat,) = broker.positions()

    assert (opened.quantity, opened.avg_price, opened.last_price) == (
        100,
        Decimal("329.05"),
        Decimal("335.00"),
    )
    assert (opened.realised_pnl, opened.unrealised_pnl) == (Decimal("0.00"), Decimal("595.00"))
    assert (reduced.quantity, reduced.realised_pnl, reduced.unrealised_pnl) == (
        60,
        Decimal("236.00"),
        Decimal("357.00"),
    )
    assert (flat.quantity, flat.realised_pnl, flat.unrealised_pnl) == (
        0,
        Decimal("590.00"),
        Decimal("0.00"),
    )
    assert flat.pnl == Decimal("590.00")


def test_short_position_and_flip(broker: PaperBroker, clock: FakeClock) -> None:
    broker.place_order(ticket(quantity=10, side=Side.SELL))
    clock.advance(1)
    broker.set_price("NSE", "ITC", "320.00")
    (short,) = broker.positions()

    broker.place_order(ticket(quantity=30))
    clock.advance(1)
    (long,) = broker.positions()

    assert (short.quantity, short.unrealised_pnl) == (-10, Decimal("89.50"))
    assert (long.quantity, long.avg_price) == (20, Decimal("320.05"))
    assert long.realised_pnl == Decimal("89.00")


def test_positions_are_kept_per_product(broker: PaperBroker, clock: FakeClock) -> None:
    broker.place_order(ticket(quantity=5, product=Product.MIS))
    broker.place_order(ticket(quantity=7, product=Product.CNC))
    clock.advance(1)

    positions = {p.product: p.quantity for p in broker.positions()}

    assert positions == {Product.MIS: 5, Product.CNC: 7}


def test_average_price_keeps_its_decimals(broker: PaperBroker, clock: FakeClock) -> None:
    broker.place_order(ticket(quantity=1))
    clock.advance(1)
    broker.set_price("NSE", "ITC", "329.05")
    broker.place_order(ticket(quantity=1))
    clock.advance(1)

    (position,) = broker.positions()

    assert position.avg_price == Decimal("329.075")


def test_quotes_give_last_prices_and_leave_unknown_keys_out(broker: PaperBroker) -> None:
    broker.set_price("NSE", "ITC", "331.25")

    quotes = broker.quotes(
        [(Exchange.NSE, "ITC"), (Exchange.NFO, OPTION.symbol), (Exchange.BSE, "X")]
    )

    assert quotes == {
        (Exchange.NSE, "ITC"): Decimal("331.25"),
        (Exchange.NFO, OPTION.symbol): Decimal("150.00"),
    }


def test_set_price_rounds_to_the_tick(broker: PaperBroker) -> None:
    assert broker.set_price("NSE", "ITC", "331.27") == Decimal("331.25")


# -- tags, threads -----------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["0LZ3K9QAB12CDEF45GHJ", "abcXYZ012", "x"])
def test_tag_round_trips_exactly(broker: PaperBroker, tag: str) -> None:
    order_id = broker.place_order(ticket(tag=tag))

    assert the_order(broker, order_id).tag == tag


def test_rejected_orders_keep_their_tag(broker: PaperBroker) -> None:
    order_id = broker.place_order(ticket(OPTION, side=Side.SELL, quantity=1755, tag="MARGINTAG1"))

    assert the_order(broker, order_id).tag == "MARGINTAG1"


def test_concurrent_placement_gives_unique_ids(clock: FakeClock) -> None:
    broker = make_broker(clock, sleep=FakeSleep())
    ids: list[str] = []
    lock = threading.Lock()

    def place(worker: int) -> None:
        for n in range(20):
            order_id = broker.place_order(ticket(tag=f"W{worker}N{n}"))
            with lock:
                ids.append(order_id)

    threads = [threading.Thread(target=place, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(ids)) == 120
    assert len(broker.order_book()) == 120
    broker.close()


def test_calls_after_close_are_unavailable(clock: FakeClock) -> None:
    from trader_gui.brokers.base import BrokerUnavailable

    broker = make_broker(clock)
    broker.close()

    with pytest.raises(BrokerUnavailable, match="closed"):
        broker.order_book()
    broker.close()  # a second close is harmless


def test_big_lot_size_one_orders_fill_in_at_most_five_parts(
    broker: PaperBroker, clock: FakeClock
) -> None:
    broker.place_order(ticket(quantity=1000))
    for _ in range(5):
        clock.advance(0.3)
        broker.order_book()

    assert [f.quantity for f in broker.fills()] == [200] * 5


def test_an_exit_goes_through_even_with_negative_funds(clock: FakeClock) -> None:
    broker = make_broker(clock, config=PaperConfig(volatility=0.0, capital=Decimal(70_000)))
    broker.place_order(ticket(quantity=1000))  # MIS: 65,800 blocked
    clock.advance(2)
    broker.set_price("NSE", "ITC", "200.00")
    broker.place_order(ticket(quantity=900, side=Side.SELL))
    clock.advance(2)
    assert broker.funds().available < 0

    order_id = broker.place_order(ticket(quantity=100, side=Side.SELL))

    assert the_order(broker, order_id).state is BrokerState.OPEN
    broker.close()


def test_a_triggered_stop_can_have_its_price_changed(broker: PaperBroker, clock: FakeClock) -> None:
    order_id = broker.place_order(ticket(order_type=OrderType.SL, price="331.00", trigger="331.00"))
    clock.advance(1)
    broker.set_price("NSE", "ITC", "332.00")  # triggered, above its limit

    broker.modify_order(order_id, price=Decimal("332.50"))
    clock.advance(0.3)

    order = the_order(broker, order_id)
    assert (order.state, order.avg_price) == (BrokerState.COMPLETE, Decimal("332.05"))


def test_a_failing_state_file_is_reported_as_unavailable(broker: PaperBroker) -> None:
    from trader_gui.brokers.base import BrokerUnavailable

    broker._store.close()  # the file goes away under the broker

    with pytest.raises(BrokerUnavailable, match="state file failed"):
        broker.place_order(ticket())
