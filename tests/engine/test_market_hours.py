"""Step 2 and the market's clock: a closed exchange's order goes as an AMO or is refused, a new
MIS entry after the broker's cut-off is refused, exits still go, a flatten is never an AMO.

Every test sets the engine's clock to an IST moment and uses the bundled calendar (2026
holidays, the paper broker's Zerodha-like rules: equity AMOs 16:00-08:58, F&O 15:45-09:10,
at any hour on closed days; MIS squared off at 15:20, new entries stop at 15:15).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from engine_support import Harness, ticket

from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.domain.enums import ExecutionType, OrderStatus, Product, Side, Source, Tag
from trader_gui.domain.market_time import IST
from trader_gui.persistence.calendar_file import load_bundled_calendar

pytestmark = pytest.mark.asyncio

CALENDAR = load_bundled_calendar()
NIFTY_CE = {"symbol": "NIFTY01DEC2626000CE", "exchange": "NFO", "product": "NRML", "quantity": 65}


def ist(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=IST)


@pytest.fixture
def paper_config() -> PaperConfig:
    return PaperConfig(fill_latency_s=0, volatility=0.0)


@pytest.fixture
def hours(harness: Harness) -> Harness:
    harness.calendar = CALENDAR
    return harness


async def test_a_weekday_order_in_market_hours_goes_as_a_regular_order(hours, clock) -> None:
    clock.jump_to(ist(25, 10))  # Wednesday 10:00
    runtime = await hours.start()

    record = await runtime.engine.submit(ticket())

    assert record.status is OrderStatus.SENT_TO_BROKER
    assert record.amo is False
    assert "AMO" not in record.detail


async def test_a_saturday_fno_order_goes_as_an_amo_and_says_so(hours, clock) -> None:
    clock.jump_to(ist(28, 11))  # Saturday
    runtime = await hours.start()

    record = await runtime.engine.submit(ticket(**NIFTY_CE))

    assert record.status is OrderStatus.SENT_TO_BROKER
    assert record.amo is True
    assert runtime.repository.get(record.command_id).amo is True  # kept across a read
    trail = [t.detail for t in runtime.repository.transitions(record.command_id)]
    assert any(d.startswith("Sending to paper as an AMO: NFO is closed (Saturday)") for d in trail)
    assert "AMO order" in record.detail


async def test_a_2026_holiday_order_goes_as_an_amo_where_the_broker_takes_them(
    hours, clock
) -> None:
    clock.jump_to(ist(24, 11))  # Prakash Gurpurb, a Tuesday holiday
    runtime = await hours.start()

    record = await runtime.engine.submit(ticket(product=Product.CNC))

    assert record.amo is True
    assert "Prakash Gurpurb" in runtime.repository.transitions(record.command_id)[1].detail


async def test_between_the_amo_window_and_the_open_the_order_is_refused_with_the_open(
    hours, clock
) -> None:
    clock.jump_to(ist(25, 9, 12))  # NSE's pre-open matching: no orders, no AMOs after 08:58
    runtime = await hours.start()

    record = await runtime.engine.submit(ticket())

    assert record.status is OrderStatus.FAILED
    assert record.tag is Tag.MARKET_CLOSED
    assert "pre-open order entry has closed" in record.detail
    assert "09:15" in record.detail
    assert runtime.broker.order_book() == []


async def test_a_new_mis_entry_after_the_cutoff_is_refused_with_the_time(hours, clock) -> None:
    clock.jump_to(ist(25, 15, 17))
    runtime = await hours.start()

    record = await runtime.engine.submit(ticket(product=Product.MIS))

    assert record.status is OrderStatus.FAILED
    assert record.tag is Tag.MIS_CUTOFF
    assert "refused after 15:15" in record.detail
    assert "squares off MIS at 15:20" in record.detail
    assert runtime.broker.order_book() == []


async def test_an_mis_exit_after_the_cutoff_still_goes(hours, clock) -> None:
    clock.jump_to(ist(25, 11))
    runtime = await hours.start()
    await runtime.engine.submit(ticket(product=Product.MIS))
    await runtime.watcher.poll_once()
    clock.jump_to(ist(25, 15, 17))

    exit_order = await runtime.engine.submit(
        ticket(product=Product.MIS, side=Side.SELL, execution_type=ExecutionType.EXIT)
    )

    assert exit_order.status is OrderStatus.SENT_TO_BROKER
    assert exit_order.amo is False


async def test_a_carry_product_after_the_mis_cutoff_still_goes(hours, clock) -> None:
    clock.jump_to(ist(25, 15, 17))
    runtime = await hours.start()

    record = await runtime.engine.submit(ticket(product=Product.CNC))

    assert record.status is OrderStatus.SENT_TO_BROKER


async def test_the_preview_tells_the_trader_it_will_go_as_an_amo(hours, clock) -> None:
    clock.jump_to(ist(28, 11))
    runtime = await hours.start()

    preview = runtime.engine.session_preview(ticket(**NIFTY_CE))

    assert preview is not None
    assert not preview.refused
    assert preview.text == "Market closed: this order will go as an AMO (opens Mon 30 Nov 09:15)."
    assert preview.detail.startswith("NFO is closed (Saturday); the paper broker takes")


async def test_the_preview_of_a_refused_order_says_why_before_it_is_sent(hours, clock) -> None:
    clock.jump_to(ist(25, 15, 17))
    runtime = await hours.start()

    preview = runtime.engine.session_preview(ticket(product=Product.MIS))

    assert preview is not None
    assert preview.refused
    assert preview.text.startswith("Will be refused: New MIS orders")
    assert runtime.repository.count_orders("PAPER") == 0


async def test_a_flatten_on_a_closed_day_is_refused_not_sent_as_an_amo(hours, clock) -> None:
    clock.jump_to(ist(27, 11))  # Friday: a carried position
    runtime = await hours.start()
    await runtime.engine.submit(ticket(product=Product.CNC))
    await runtime.watcher.poll_once()
    clock.jump_to(ist(28, 11))  # Saturday

    report = await runtime.kill_and_flatten(by="trader", reason="test")

    exits = [r for r in runtime.repository.orders("PAPER") if r.command.source is Source.FLATTEN]
    assert len(exits) == 1, "a closed market is not retried round after round"
    assert exits[0].status is OrderStatus.FAILED
    assert exits[0].tag is Tag.MARKET_CLOSED
    assert exits[0].amo is False
    assert "not sent as an after-market order" in exits[0].detail
    assert not report.flat
    assert "NSE is closed (Saturday); it opens Mon 30 Nov 09:15 IST" in report.summary()
    assert [p.quantity for p in runtime.broker.positions() if p.quantity] == [10]


async def test_without_a_calendar_every_hour_is_open(harness, clock) -> None:
    """The tests' default: nothing depends on the hour the suite runs at."""
    clock.jump_to(ist(28, 3))
    runtime = await harness.start()

    record = await runtime.engine.submit(ticket())

    assert record.status is OrderStatus.SENT_TO_BROKER
    assert record.amo is False


async def test_a_calendar_shown_but_not_checked_lets_paper_fill_at_any_hour(hours, clock) -> None:
    """The paper broker outside its session mode: the window shows the hours, step 2 does
    not keep them."""
    hours.check_hours = False
    clock.jump_to(ist(28, 3))
    runtime = await hours.start()

    record = await runtime.engine.submit(ticket())

    assert record.status is OrderStatus.SENT_TO_BROKER
    assert record.amo is False
    assert runtime.market_hours is not None
    assert runtime.engine.session_preview(ticket()) is None


async def test_the_market_state_is_logged_when_the_engine_opens(hours, clock, caplog) -> None:
    clock.jump_to(ist(28, 11))

    with caplog.at_level("INFO", logger="trader_gui.engine.runtime"):
        await hours.start()

    assert "market hours kept: NSE is closed (Saturday); it opens Mon 30 Nov at 09:15." in (
        caplog.text
    )
