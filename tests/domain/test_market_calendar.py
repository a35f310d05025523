"""Sessions, holidays, MIS square-off and order windows, decided at controlled IST instants.

The calendar here is built in code, not read from the bundled file, so each test says exactly
which rule it leans on; tests/persistence/test_calendar_file.py checks the bundled data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from trader_gui.domain.enums import Exchange, Product
from trader_gui.domain.market_calendar import (
    AmoRule,
    BrokerRules,
    DatedSessions,
    ExchangeHours,
    Holiday,
    MarketCalendar,
    MarketStatus,
    Phase,
    Segment,
    Session,
    SpecialSession,
    SquareOffRule,
    TimeWindow,
    UnknownBrokerError,
    WindowKind,
)
from trader_gui.domain.market_time import IST

CASH = (Exchange.NSE, Exchange.BSE, Exchange.NFO, Exchange.BFO)

# Dates in 2026 the tests lean on.
MONDAY = date(2026, 3, 2)  # an ordinary trading day
HOLI = date(2026, 3, 3)  # Tuesday: cash and F&O shut, MCX evening only
SATURDAY = date(2026, 3, 7)
FRIDAY_BEFORE_REPUBLIC_DAY = date(2026, 1, 23)  # then a weekend, then Monday 26 Jan shut
NEW_YEAR = date(2026, 1, 1)  # MCX morning only
DIWALI_SUNDAY = date(2026, 11, 8)


def ist(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), IST)


def cash_sessions() -> tuple[Session, ...]:
    return (
        Session(Phase.PRE_OPEN, time(9, 0), time(9, 8)),
        Session(Phase.PRE_OPEN, time(9, 8), time(9, 15), accepts_orders=False),
        Session(Phase.OPEN, time(9, 15), time(15, 30)),
        Session(Phase.CLOSING_SESSION, time(15, 40), time(16, 0)),
    )


def derivative_sessions() -> tuple[Session, ...]:
    return (Session(Phase.OPEN, time(9, 15), time(15, 30)),)


def mcx_hours() -> ExchangeHours:
    late = (Session(Phase.OPEN, time(9, 0), time(23, 55)),)
    return ExchangeHours(
        Exchange.MCX,
        (Session(Phase.OPEN, time(9, 0), time(23, 30)),),
        dated=(DatedSessions(date(2025, 11, 3), date(2026, 3, 6), late, "US standard time"),),
    )


ZERODHA = BrokerRules(
    "kite",
    "Zerodha",
    square_off={
        Segment.EQUITY: SquareOffRule(at=time(15, 20)),
        Segment.FNO: SquareOffRule(at=time(15, 25)),
        Segment.COMMODITY: SquareOffRule(minutes_before_close=25),
    },
    amo={
        Segment.EQUITY: AmoRule(
            opens=time(16, 0), closes=time(8, 58), any_time_on_closed_days=True
        ),
        Segment.FNO: AmoRule(opens=time(15, 45), closes=time(9, 10), any_time_on_closed_days=True),
        Segment.COMMODITY: AmoRule(closes=time(8, 58), any_time_on_closed_days=True),
    },
)

CAUTIOUS = BrokerRules(
    "cautious",
    "Cautious",
    square_off={Segment.EQUITY: SquareOffRule(at=time(15, 15), confirmed=False)},
    amo={Segment.EQUITY: AmoRule(opens=time(16, 0), closes=time(8, 58), confirmed=False)},
    mis_entry_margin=timedelta(minutes=10),
)

MORNING_ONLY = BrokerRules(
    "morning",
    "Morning Broker",
    amo={Segment.COMMODITY: AmoRule(opens=time(0, 0), closes=time(8, 58))},
)


def build_calendar(**overrides: object) -> MarketCalendar:
    hours = [
        ExchangeHours(Exchange.NSE, cash_sessions()),
        ExchangeHours(Exchange.BSE, cash_sessions()),
        ExchangeHours(Exchange.NFO, derivative_sessions()),
        ExchangeHours(Exchange.BFO, derivative_sessions()),
        mcx_hours(),
    ]
    holidays = [
        Holiday(NEW_YEAR, "New Year's Day", partial={Exchange.MCX: TimeWindow(end=time(17, 0))}),
        Holiday(date(2026, 1, 26), "Republic Day", frozenset({*CASH, Exchange.MCX})),
        Holiday(HOLI, "Holi", frozenset(CASH), {Exchange.MCX: TimeWindow(start=time(17, 0))}),
        Holiday(date(2026, 4, 3), "Good Friday", frozenset({*CASH, Exchange.MCX})),
    ]
    special = [
        SpecialSession(
            DIWALI_SUNDAY,
            "Muhurat trading",
            frozenset({Exchange.NSE}),
            (Session(Phase.OPEN, time(18, 0), time(19, 0)),),
        )
    ]
    return MarketCalendar(
        hours,
        holidays,
        special,
        [ZERODHA, CAUTIOUS, MORNING_ONLY],
        holiday_years=[2026],
    )


@pytest.fixture(scope="module")
def calendar() -> MarketCalendar:
    return build_calendar()


# ---- the state of an exchange -----------------------------------------------------------------


def test_one_second_before_the_open_is_the_closed_pre_open(calendar: MarketCalendar) -> None:
    state = calendar.state(Exchange.NSE, ist(MONDAY, 9, 14, 59))

    assert state.status is MarketStatus.PRE_OPEN
    assert not state.accepts_orders
    assert state.next_open == ist(MONDAY, 9, 15)
    assert state.sentence == "NSE's pre-open order entry has closed; the market opens at 09:15."


def test_the_pre_open_takes_orders_until_0908(calendar: MarketCalendar) -> None:
    assert calendar.state(Exchange.NSE, ist(MONDAY, 9, 0)).accepts_orders
    assert calendar.state(Exchange.NSE, ist(MONDAY, 9, 7, 59)).accepts_orders
    assert not calendar.state(Exchange.NSE, ist(MONDAY, 9, 8)).accepts_orders


def test_before_the_pre_open_the_exchange_is_closed(calendar: MarketCalendar) -> None:
    state = calendar.state(Exchange.NSE, ist(MONDAY, 8, 59, 59))

    assert state.status is MarketStatus.CLOSED
    assert state.sentence == "NSE is closed (before the open at 09:15); it opens today at 09:15."


def test_the_market_opens_at_0915_exactly(calendar: MarketCalendar) -> None:
    state = calendar.state(Exchange.NSE, ist(MONDAY, 9, 15))

    assert state.status is MarketStatus.OPEN
    assert state.is_open
    assert state.until == ist(MONDAY, 15, 30)
    assert state.sentence == "NSE is open until 15:30."


def test_the_market_is_closed_at_1530_exactly(calendar: MarketCalendar) -> None:
    assert calendar.state(Exchange.NSE, ist(MONDAY, 15, 29, 59)).status is MarketStatus.OPEN

    state = calendar.state(Exchange.NSE, ist(MONDAY, 15, 30))

    assert state.status is MarketStatus.CLOSED
    assert state.next_open == ist(MONDAY + timedelta(days=2), 9, 15)  # Tuesday is Holi
    assert (
        state.sentence == "NSE is closed (after the close at 15:30); it opens Wed 04 Mar at 09:15."
    )


def test_the_closing_session_runs_from_1540_to_1600(calendar: MarketCalendar) -> None:
    assert calendar.state(Exchange.NSE, ist(MONDAY, 15, 39, 59)).status is MarketStatus.CLOSED
    state = calendar.state(Exchange.NSE, ist(MONDAY, 15, 40))
    assert state.status is MarketStatus.CLOSING_SESSION
    assert "closing price" in state.sentence
    assert calendar.state(Exchange.NSE, ist(MONDAY, 16, 0)).status is MarketStatus.CLOSED


def test_derivatives_have_no_pre_open(calendar: MarketCalendar) -> None:
    assert calendar.state(Exchange.NFO, ist(MONDAY, 9, 5)).status is MarketStatus.CLOSED
    assert calendar.state(Exchange.NFO, ist(MONDAY, 9, 15)).status is MarketStatus.OPEN


def test_a_weekend_is_closed_until_monday(calendar: MarketCalendar) -> None:
    state = calendar.state(Exchange.NSE, ist(SATURDAY, 11))

    assert state.status is MarketStatus.CLOSED
    assert state.holiday is None
    assert state.next_open == ist(date(2026, 3, 9), 9, 15)
    assert state.sentence == "NSE is closed (Saturday); it opens Mon 09 Mar at 09:15."


def test_a_listed_holiday_is_a_holiday_with_its_name(calendar: MarketCalendar) -> None:
    state = calendar.state(Exchange.NSE, ist(HOLI, 11))

    assert state.status is MarketStatus.HOLIDAY
    assert state.holiday == "Holi"
    assert state.next_open == ist(date(2026, 3, 4), 9, 15)
    assert state.sentence == "NSE is closed (Holi); it opens Wed 04 Mar at 09:15."


def test_the_next_open_skips_a_weekend_and_a_holiday(calendar: MarketCalendar) -> None:
    after_close = ist(FRIDAY_BEFORE_REPUBLIC_DAY, 15, 30)

    assert calendar.next_open(Exchange.NSE, after_close) == ist(date(2026, 1, 27), 9, 15)
    assert calendar.next_open(Exchange.MCX, after_close) == ist(date(2026, 1, 27), 9)


def test_the_next_open_after_good_friday_is_monday(calendar: MarketCalendar) -> None:
    thursday_evening = ist(date(2026, 4, 2), 20)

    assert calendar.next_open(Exchange.NFO, thursday_evening) == ist(date(2026, 4, 6), 9, 15)


def test_trading_days(calendar: MarketCalendar) -> None:
    assert calendar.is_trading_day(Exchange.NSE, MONDAY)
    assert not calendar.is_trading_day(Exchange.NSE, SATURDAY)
    assert not calendar.is_trading_day(Exchange.NSE, HOLI)
    assert calendar.is_trading_day(Exchange.MCX, HOLI)  # the evening session
    assert not calendar.is_trading_day(Exchange.MCX, date(2026, 1, 26))


def test_mcx_trades_only_the_evening_of_a_partial_holiday(calendar: MarketCalendar) -> None:
    morning = calendar.state(Exchange.MCX, ist(HOLI, 10))

    assert morning.status is MarketStatus.HOLIDAY
    assert morning.next_open == ist(HOLI, 17)
    assert (
        morning.sentence
        == "MCX is closed (Holi: trading from 17:00 only); it opens today at 17:00."
    )
    evening = calendar.state(Exchange.MCX, ist(HOLI, 17))
    assert evening.status is MarketStatus.OPEN
    assert evening.holiday == "Holi"


def test_mcx_trades_only_the_morning_of_new_years_day(calendar: MarketCalendar) -> None:
    assert calendar.state(Exchange.MCX, ist(NEW_YEAR, 16, 59)).status is MarketStatus.OPEN
    evening = calendar.state(Exchange.MCX, ist(NEW_YEAR, 17))
    assert evening.status is MarketStatus.HOLIDAY
    assert evening.next_open == ist(date(2026, 1, 2), 9, 0)


def test_mcx_closes_later_in_a_dated_period(calendar: MarketCalendar) -> None:
    assert calendar.state(Exchange.MCX, ist(MONDAY, 23, 40)).status is MarketStatus.OPEN
    assert calendar.state(Exchange.MCX, ist(date(2026, 3, 9), 23, 40)).status is (
        MarketStatus.CLOSED
    )
    assert calendar.open_span(Exchange.MCX, date(2026, 3, 9)) == (
        ist(date(2026, 3, 9), 9),
        ist(date(2026, 3, 9), 23, 30),
    )


def test_a_special_session_opens_a_sunday(calendar: MarketCalendar) -> None:
    state = calendar.state(Exchange.NSE, ist(DIWALI_SUNDAY, 18, 30))

    assert state.status is MarketStatus.OPEN
    assert state.sentence == "NSE is open for Muhurat trading until 19:00."
    assert calendar.state(Exchange.NSE, ist(DIWALI_SUNDAY, 17)).next_open == ist(DIWALI_SUNDAY, 18)
    assert calendar.state(Exchange.BSE, ist(DIWALI_SUNDAY, 18, 30)).status is MarketStatus.CLOSED


def test_an_instant_in_another_zone_is_read_as_ist(calendar: MarketCalendar) -> None:
    utc = datetime(2026, 3, 2, 3, 45, tzinfo=UTC)  # 09:15 IST

    assert calendar.state(Exchange.NSE, utc).status is MarketStatus.OPEN


def test_a_naive_instant_is_refused(calendar: MarketCalendar) -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        calendar.state(Exchange.NSE, datetime(2026, 3, 2, 10, 0))


def test_the_calendar_knows_which_years_it_has_holidays_for(calendar: MarketCalendar) -> None:
    assert calendar.knows_holidays(MONDAY)
    assert not calendar.knows_holidays(date(2027, 1, 26))


def test_an_exchange_that_never_opens_has_no_next_open() -> None:
    hours = [ExchangeHours(e, derivative_sessions()) for e in Exchange if e is not Exchange.BSE]
    shut = ExchangeHours(Exchange.BSE, derivative_sessions(), trading_weekdays=frozenset())
    calendar = MarketCalendar([*hours, shut])

    state = calendar.state(Exchange.BSE, ist(MONDAY, 10))

    assert state.next_open is None
    assert state.sentence == "BSE is closed (Monday); it opens on no day this calendar lists."


def test_every_exchange_needs_hours() -> None:
    with pytest.raises(ValueError, match="no trading hours for MCX"):
        MarketCalendar([ExchangeHours(e, derivative_sessions()) for e in CASH])


def test_a_session_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        Session(Phase.OPEN, time(15, 30), time(9, 15))


# ---- MIS square-off -----------------------------------------------------------------------------


def test_square_off_times_by_segment(calendar: MarketCalendar) -> None:
    assert calendar.square_off_at("kite", Exchange.NSE, Product.MIS, MONDAY) == ist(MONDAY, 15, 20)
    assert calendar.square_off_at("kite", Exchange.NFO, Product.MIS, MONDAY) == ist(MONDAY, 15, 25)


def test_mcx_square_off_follows_the_day_close(calendar: MarketCalendar) -> None:
    late_close_day, early_close_day = MONDAY, date(2026, 3, 9)

    assert calendar.square_off_at("kite", Exchange.MCX, Product.MIS, late_close_day) == ist(
        late_close_day, 23, 30
    )
    assert calendar.square_off_at("kite", Exchange.MCX, Product.MIS, early_close_day) == ist(
        early_close_day, 23, 5
    )
    assert calendar.square_off_at("kite", Exchange.MCX, Product.MIS, NEW_YEAR) == ist(
        NEW_YEAR, 16, 35
    )


def test_carried_products_and_shut_days_have_no_square_off(calendar: MarketCalendar) -> None:
    assert calendar.square_off_at("kite", Exchange.NSE, Product.CNC, MONDAY) is None
    assert calendar.square_off_at("kite", Exchange.NFO, Product.NRML, MONDAY) is None
    assert calendar.square_off_at("kite", Exchange.NSE, Product.MIS, HOLI) is None
    assert calendar.square_off_at("kite", Exchange.NSE, Product.MIS, SATURDAY) is None


def test_a_special_session_squares_off_before_its_own_close(calendar: MarketCalendar) -> None:
    square_off = calendar.square_off_at("kite", Exchange.NSE, Product.MIS, DIWALI_SUNDAY)

    assert square_off == ist(DIWALI_SUNDAY, 18, 45)


def test_the_mis_entry_cutoff_is_the_square_off_less_the_margin(calendar: MarketCalendar) -> None:
    assert calendar.mis_entry_cutoff("kite", Exchange.NSE, MONDAY) == ist(MONDAY, 15, 15)
    assert calendar.mis_entry_cutoff("cautious", Exchange.NSE, MONDAY) == ist(MONDAY, 15, 5)
    assert calendar.mis_entry_cutoff("kite", Exchange.NSE, SATURDAY) is None


# ---- order windows --------------------------------------------------------------------------------


def test_an_mis_entry_goes_until_the_cutoff_inclusive(calendar: MarketCalendar) -> None:
    window = calendar.order_window("kite", Exchange.NSE, Product.MIS, ist(MONDAY, 15, 15))

    assert window.kind is WindowKind.NORMAL
    assert window.ok


def test_an_mis_entry_after_the_cutoff_is_refused(calendar: MarketCalendar) -> None:
    window = calendar.order_window("kite", Exchange.NSE, Product.MIS, ist(MONDAY, 15, 15, 1))

    assert window.kind is WindowKind.REFUSED
    assert not window.ok
    assert window.sentence == (
        "New MIS orders are refused after 15:15 (Zerodha squares off MIS at 15:20); "
        "choose CNC to hold the position instead."
    )


def test_a_derivative_mis_refusal_suggests_nrml(calendar: MarketCalendar) -> None:
    window = calendar.order_window("kite", Exchange.NFO, Product.MIS, ist(MONDAY, 15, 20, 1))

    assert window.kind is WindowKind.REFUSED
    assert "after 15:20 (Zerodha squares off MIS at 15:25); choose NRML" in window.sentence


def test_an_mis_exit_is_never_refused_for_the_cutoff(calendar: MarketCalendar) -> None:
    window = calendar.order_window(
        "kite", Exchange.NSE, Product.MIS, ist(MONDAY, 15, 25), entry=False
    )

    assert window.kind is WindowKind.NORMAL


def test_a_delivery_order_is_not_touched_by_the_mis_cutoff(calendar: MarketCalendar) -> None:
    window = calendar.order_window("kite", Exchange.NSE, Product.CNC, ist(MONDAY, 15, 25))

    assert window.kind is WindowKind.NORMAL


def test_an_unconfirmed_square_off_says_so(calendar: MarketCalendar) -> None:
    window = calendar.order_window("cautious", Exchange.NSE, Product.MIS, ist(MONDAY, 15, 6))

    assert window.kind is WindowKind.REFUSED
    assert "(Cautious squares off MIS at 15:15: assumed, not confirmed with Cautious)" in (
        window.sentence
    )


def test_a_saturday_order_goes_as_an_amo(calendar: MarketCalendar) -> None:
    window = calendar.order_window("kite", Exchange.NSE, Product.CNC, ist(SATURDAY, 11))

    assert window.kind is WindowKind.AMO
    assert window.ok
    assert window.sentence == (
        "NSE is closed (Saturday); Zerodha takes after-market orders at any hour on a day "
        "the exchange is shut: this order goes as an AMO."
    )


def test_a_holiday_order_goes_as_an_amo(calendar: MarketCalendar) -> None:
    window = calendar.order_window("kite", Exchange.NFO, Product.NRML, ist(HOLI, 11))

    assert window.kind is WindowKind.AMO
    assert window.sentence.startswith("NFO is closed (Holi); Zerodha takes")


def test_the_evening_amo_window_opens_at_1600(calendar: MarketCalendar) -> None:
    before = calendar.order_window("kite", Exchange.NSE, Product.CNC, ist(MONDAY, 15, 59, 59))
    after = calendar.order_window("kite", Exchange.NSE, Product.CNC, ist(MONDAY, 16))

    assert before.kind is WindowKind.REFUSED
    assert before.sentence == (
        "NSE is in its closing session (closing-price trades only); Zerodha takes after-market "
        "orders only from 16:00 to 08:58: place it as an AMO from 16:00."
    )
    assert after.kind is WindowKind.AMO
    assert after.sentence == (
        "NSE is closed (after the close at 15:30); Zerodha takes after-market orders from "
        "16:00: this order goes as an AMO."
    )


def test_the_morning_amo_window_closes_at_0858(calendar: MarketCalendar) -> None:
    last = calendar.order_window("kite", Exchange.NSE, Product.CNC, ist(MONDAY, 8, 57, 59))
    gap = calendar.order_window("kite", Exchange.NSE, Product.CNC, ist(MONDAY, 8, 58))

    assert last.kind is WindowKind.AMO
    assert "takes after-market orders until 08:58" in last.sentence
    assert gap.kind is WindowKind.REFUSED
    assert gap.sentence.endswith("place it from 09:00.")


def test_the_pre_open_takes_regular_orders(calendar: MarketCalendar) -> None:
    window = calendar.order_window("kite", Exchange.NSE, Product.MIS, ist(MONDAY, 9, 0))

    assert window.kind is WindowKind.NORMAL


def test_between_pre_open_and_open_nothing_goes(calendar: MarketCalendar) -> None:
    window = calendar.order_window("kite", Exchange.NSE, Product.CNC, ist(MONDAY, 9, 10))

    assert window.kind is WindowKind.REFUSED
    assert window.sentence.startswith("NSE's pre-open order entry has closed")
    assert window.sentence.endswith("place it from 09:15.")


def test_fno_amos_are_taken_until_0910(calendar: MarketCalendar) -> None:
    assert calendar.order_window("kite", Exchange.NFO, Product.NRML, ist(MONDAY, 9, 9)).kind is (
        WindowKind.AMO
    )
    assert calendar.order_window("kite", Exchange.NFO, Product.NRML, ist(MONDAY, 9, 10)).kind is (
        WindowKind.REFUSED
    )


def test_mcx_amos_open_at_the_day_close(calendar: MarketCalendar) -> None:
    late = calendar.order_window("kite", Exchange.MCX, Product.NRML, ist(MONDAY, 23, 56))
    early = calendar.order_window("kite", Exchange.MCX, Product.NRML, ist(date(2026, 3, 9), 23, 31))

    assert late.kind is WindowKind.AMO
    assert "from the close at 23:55" in late.sentence
    assert early.kind is WindowKind.AMO
    assert "from the close at 23:30" in early.sentence


def test_a_broker_without_amos_on_closed_days_refuses_until_its_window(
    calendar: MarketCalendar,
) -> None:
    window = calendar.order_window("cautious", Exchange.NSE, Product.CNC, ist(HOLI, 11))

    assert window.kind is WindowKind.REFUSED
    assert window.sentence == (
        "NSE is closed (Holi); Cautious takes after-market orders only from 16:00 to 08:58 "
        "(assumed, not confirmed with Cautious): place it as an AMO from 16:00."
    )


def test_a_morning_only_amo_window(calendar: MarketCalendar) -> None:
    evening = calendar.order_window(
        "morning", Exchange.MCX, Product.NRML, ist(date(2026, 3, 9), 23, 45)
    )
    night = calendar.order_window("morning", Exchange.MCX, Product.NRML, ist(date(2026, 3, 10), 1))

    assert evening.kind is WindowKind.REFUSED
    assert evening.sentence.endswith("place it as an AMO from Tue 10 Mar 00:00.")
    assert night.kind is WindowKind.AMO


def test_a_broker_without_amos_for_a_segment_refuses(calendar: MarketCalendar) -> None:
    window = calendar.order_window("cautious", Exchange.NFO, Product.NRML, ist(SATURDAY, 11))

    assert window.kind is WindowKind.REFUSED
    assert window.sentence == (
        "NFO is closed (Saturday); Cautious takes no after-market orders for F&O: "
        "place it from Mon 09 Mar 09:15."
    )


def test_an_unknown_broker_is_a_programming_error(calendar: MarketCalendar) -> None:
    with pytest.raises(UnknownBrokerError, match="no rules for broker 'nobody'"):
        calendar.order_window("nobody", Exchange.NSE, Product.CNC, ist(MONDAY, 10))
    assert set(calendar.brokers) == {"kite", "cautious", "morning"}


def test_the_window_carries_the_exchange_state(calendar: MarketCalendar) -> None:
    window = calendar.order_window("kite", Exchange.NSE, Product.CNC, ist(SATURDAY, 11))

    assert window.state.status is MarketStatus.CLOSED
    assert window.state.next_open == ist(date(2026, 3, 9), 9, 15)
