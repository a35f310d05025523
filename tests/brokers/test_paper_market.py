"""Simulated prices: deterministic, lazy, positive and on the tick."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from paper_support import EQUITY, FUTURE, OPTION, START, FakeClock, make_broker

from trader_gui.brokers.paper import PaperConfig
from trader_gui.brokers.paper_market import EXACT_STEP_LIMIT, PaperMarket, WalkState
from trader_gui.domain.enums import Exchange
from trader_gui.domain.prices import is_on_tick

KEYS = [EQUITY.key, OPTION.key, FUTURE.key]
MOVING = PaperConfig(volatility=0.002)


def price_path(seed: int, steps: list[float]) -> list[dict[tuple[Exchange, str], Decimal]]:
    clock = FakeClock()
    broker = make_broker(clock, config=MOVING, seed=seed)
    path = [broker.quotes(KEYS)]  # each walk starts when first looked at
    for seconds in steps:
        clock.advance(seconds)
        path.append(broker.quotes(KEYS))
    broker.close()
    return path


def test_same_seed_and_clock_give_the_same_prices() -> None:
    steps = [0.25, 1.0, 0.1, 30.0, 600.0]

    assert price_path(7, steps) == price_path(7, steps)
    assert price_path(7, steps) != price_path(8, steps)


def test_prices_do_not_move_while_the_clock_stands_still() -> None:
    clock = FakeClock()
    broker = make_broker(clock, config=MOVING)
    start = broker.quotes(KEYS)
    clock.advance(60)
    first = broker.quotes(KEYS)

    again = [broker.quotes(KEYS) for _ in range(5)]

    assert all(quotes == first for quotes in again)
    assert first != start
    broker.close()


def test_prices_start_at_the_reference_price() -> None:
    broker = make_broker(FakeClock(), config=MOVING)

    assert broker.quotes(KEYS) == {
        EQUITY.key: Decimal("329.00"),
        OPTION.key: Decimal("150.00"),
        FUTURE.key: Decimal("24000.00"),
    }
    broker.close()


def test_the_path_does_not_depend_on_how_often_it_is_looked_at() -> None:
    often = price_path(7, [0.25] * 40)[-1]
    once = price_path(7, [10.0])[-1]

    assert often == once


def test_prices_stay_positive_on_the_tick_and_near_the_reference() -> None:
    clock = FakeClock()
    broker = make_broker(clock, config=PaperConfig(volatility=0.004))
    seen = []
    for _ in range(200):
        clock.advance(3600)
        seen.append(broker.quotes(KEYS))
    broker.close()

    instruments = {EQUITY.key: EQUITY, OPTION.key: OPTION, FUTURE.key: FUTURE}
    for quotes in seen:
        for key, price in quotes.items():
            instrument = instruments[key]
            assert price > 0
            assert is_on_tick(price, instrument.tick_size)
            assert abs(price / instrument.reference_price - 1) < Decimal("0.5")


def market(seed: int = 7, wander_pct: float | None = 5.0) -> PaperMarket:
    return PaperMarket(seed=seed, epoch=START, step_s=0.25, volatility=0.01, wander_pct=wander_pct)


def test_a_long_gap_is_crossed_in_one_draw() -> None:
    gap = timedelta(seconds=0.25 * (EXACT_STEP_LIMIT + 10))

    stepped = market()
    stepped.last(EQUITY, START)
    price = stepped.last(EQUITY, START + gap)

    assert price > 0
    assert price != EQUITY.reference_price
    again = market()
    again.last(EQUITY, START)
    assert again.last(EQUITY, START + gap) == price


def test_a_pure_random_walk_is_available() -> None:
    walk = market(wander_pct=None)
    walk.last(EQUITY, START)

    later = walk.last(EQUITY, START + timedelta(days=3))

    assert later > 0


def test_changed_walks_are_reported_once_for_saving() -> None:
    prices = market()
    prices.last(EQUITY, START)

    first = prices.take_dirty()
    second = prices.take_dirty()

    assert first == {EQUITY.key: WalkState(raw=329.0, step=0)}
    assert second == {}


def test_set_price_holds_until_the_clock_moves() -> None:
    clock = FakeClock()
    broker = make_broker(clock, config=MOVING)

    broker.set_price("NSE", "ITC", "340.00")

    assert broker.quotes([EQUITY.key]) == {EQUITY.key: Decimal("340.00")}
    clock.advance(5)
    assert broker.quotes([EQUITY.key]) != {EQUITY.key: Decimal("340.00")}
    broker.close()
