"""The calendar file: the bundled data, and a bad file refused with its line and key path."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from trader_gui.domain.enums import Exchange, Product
from trader_gui.domain.market_calendar import MarketCalendar, MarketStatus, Segment, WindowKind
from trader_gui.domain.market_time import IST
from trader_gui.persistence.calendar_file import (
    CalendarFileError,
    line_index,
    load_bundled_calendar,
    load_calendar,
    parse_calendar,
)

NSE_WEEKDAY_HOLIDAYS_2026 = {
    date(2026, 1, 15): "Municipal Corporation Elections in Maharashtra",
    date(2026, 1, 26): "Republic Day",
    date(2026, 3, 3): "Holi",
    date(2026, 3, 26): "Shri Ram Navami",
    date(2026, 3, 31): "Shri Mahavir Jayanti",
    date(2026, 4, 3): "Good Friday",
    date(2026, 4, 14): "Dr. Baba Saheb Ambedkar Jayanti",
    date(2026, 5, 1): "Maharashtra Day",
    date(2026, 5, 28): "Bakri Id",
    date(2026, 6, 26): "Muharram",
    date(2026, 9, 14): "Ganesh Chaturthi",
    date(2026, 10, 2): "Mahatma Gandhi Jayanti",
    date(2026, 10, 20): "Dussehra",
    date(2026, 11, 10): "Diwali Balipratipada",
    date(2026, 11, 24): "Prakash Gurpurb Sri Guru Nanak Dev",
    date(2026, 12, 25): "Christmas",
}
"""NSE's 15 weekday holidays for 2026 (NSE/CMTR/71775) and the election day added in January."""


def ist(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), IST)


@pytest.fixture(scope="module")
def bundled() -> MarketCalendar:
    return load_bundled_calendar()


# ---- the bundled file --------------------------------------------------------------------------


def test_the_bundled_holidays_are_nses_2026_list(bundled: MarketCalendar) -> None:
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    shut_weekdays = {
        day for day in days if day.weekday() < 5 and not bundled.is_trading_day(Exchange.NSE, day)
    }

    assert shut_weekdays == set(NSE_WEEKDAY_HOLIDAYS_2026)
    for day, name in NSE_WEEKDAY_HOLIDAYS_2026.items():
        holiday = bundled.holiday(Exchange.NSE, day)
        assert holiday is not None
        assert holiday.name == name


def test_cash_and_derivatives_share_the_holidays(bundled: MarketCalendar) -> None:
    for day in NSE_WEEKDAY_HOLIDAYS_2026:
        for exchange in (Exchange.BSE, Exchange.NFO, Exchange.BFO):
            assert not bundled.is_trading_day(exchange, day), (exchange, day)


def test_mcx_keeps_its_evening_on_most_holidays(bundled: MarketCalendar) -> None:
    holi = date(2026, 3, 3)

    assert bundled.state(Exchange.MCX, ist(holi, 10)).status is MarketStatus.HOLIDAY
    assert bundled.state(Exchange.MCX, ist(holi, 17)).status is MarketStatus.OPEN
    assert not bundled.is_trading_day(Exchange.MCX, date(2026, 1, 26))
    assert not bundled.is_trading_day(Exchange.MCX, date(2026, 12, 25))
    assert bundled.state(Exchange.MCX, ist(date(2026, 1, 1), 18)).status is MarketStatus.HOLIDAY


def test_mcx_closes_at_2355_while_the_us_is_on_standard_time(bundled: MarketCalendar) -> None:
    def close(day: date) -> time:
        span = bundled.open_span(Exchange.MCX, day)
        assert span is not None
        return span[1].time()

    assert close(date(2026, 3, 6)) == time(23, 55)
    assert close(date(2026, 3, 9)) == time(23, 30)
    assert close(date(2026, 10, 30)) == time(23, 30)
    assert close(date(2026, 11, 2)) == time(23, 55)


def test_the_bundled_sessions(bundled: MarketCalendar) -> None:
    monday = date(2026, 3, 2)

    assert bundled.state(Exchange.NSE, ist(monday, 9, 0)).status is MarketStatus.PRE_OPEN
    assert bundled.state(Exchange.NSE, ist(monday, 9, 15)).status is MarketStatus.OPEN
    assert bundled.state(Exchange.NSE, ist(monday, 15, 40)).status is MarketStatus.CLOSING_SESSION
    assert bundled.state(Exchange.BFO, ist(monday, 15, 30)).status is MarketStatus.CLOSED


def test_after_good_friday_the_market_opens_on_monday(bundled: MarketCalendar) -> None:
    state = bundled.state(Exchange.NSE, ist(date(2026, 4, 2), 15, 30))

    assert state.next_open == ist(date(2026, 4, 6), 9, 15)


def test_the_bundled_brokers(bundled: MarketCalendar) -> None:
    assert set(bundled.brokers) == {"kite", "shoonya", "paper"}
    zerodha = bundled.broker("kite")
    assert zerodha.label == "Zerodha"
    assert zerodha.square_off[Segment.EQUITY].confirmed
    assert not bundled.broker("shoonya").square_off[Segment.EQUITY].confirmed
    monday = date(2026, 3, 2)
    assert bundled.square_off_at("kite", Exchange.NSE, Product.MIS, monday) == ist(monday, 15, 20)
    assert bundled.square_off_at("kite", Exchange.NFO, Product.MIS, monday) == ist(monday, 15, 25)


def test_a_saturday_order_at_zerodha_goes_as_an_amo(bundled: MarketCalendar) -> None:
    window = bundled.order_window("kite", Exchange.NSE, Product.CNC, ist(date(2026, 3, 7), 11))

    assert window.kind is WindowKind.AMO
    assert window.sentence == (
        "NSE is closed (Saturday); Zerodha takes after-market orders at any hour on a day "
        "the exchange is shut: this order goes as an AMO."
    )


def test_the_bundled_file_says_where_its_data_came_from(bundled: MarketCalendar) -> None:
    assert "NSE/CMTR/71775" in bundled.source
    assert bundled.holiday_years == {2026}


# ---- reading files -----------------------------------------------------------------------------

VALID = """\
[meta]
holiday_years = [2026]

[exchanges.NSE]
weekdays = ["MON", "TUE", "WED", "THU", "FRI"]
sessions = [
    { phase = "PRE_OPEN", start = 09:00:00, end = 09:08:00 },
    { phase = "OPEN", start = 09:15:00, end = 15:30:00 },
]

[exchanges.BSE]
weekdays = ["MON", "TUE", "WED", "THU", "FRI"]
sessions = [{ phase = "OPEN", start = 09:15:00, end = 15:30:00 }]

[exchanges.NFO]
weekdays = ["MON", "TUE", "WED", "THU", "FRI"]
sessions = [{ phase = "OPEN", start = 09:15:00, end = 15:30:00 }]

[exchanges.BFO]
weekdays = ["MON", "TUE", "WED", "THU", "FRI"]
sessions = [{ phase = "OPEN", start = 09:15:00, end = 15:30:00 }]

[exchanges.MCX]
weekdays = ["MON", "TUE", "WED", "THU", "FRI"]
sessions = [{ phase = "OPEN", start = 09:00:00, end = 23:30:00 }]

[[exchanges.MCX.dated]]
first_day = 2026-01-05
last_day = 2026-03-06
sessions = [{ phase = "OPEN", start = 09:00:00, end = 23:55:00 }]

[[holidays]]
date = 2026-01-26
name = "Republic Day"
closed = ["NSE", "BSE", "NFO", "BFO", "MCX"]

[[holidays]]
date = 2026-03-03
name = "Holi"
closed = ["NSE", "BSE", "NFO", "BFO"]
partial = { MCX = { from = 17:00:00 } }

[[special_sessions]]
date = 2026-11-08
name = "Muhurat trading"
exchanges = ["NSE"]
sessions = [{ phase = "OPEN", start = 18:00:00, end = 19:00:00 }]

[brokers.kite]
label = "Zerodha"

[brokers.kite.square_off]
equity = { at = 15:20:00 }
commodity = { minutes_before_close = 25 }

[brokers.kite.amo]
equity = { opens = 16:00:00, closes = 08:58:00, any_time_on_closed_days = true }
commodity = { opens_at_close = true, closes = 08:58:00 }
"""


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """The 1-based line of the `occurrence`-th line containing `fragment`."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return found[occurrence - 1]


def refused(text: str) -> CalendarFileError:
    with pytest.raises(CalendarFileError) as caught:
        parse_calendar(text)
    return caught.value


def test_a_valid_file_reads(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(VALID, encoding="utf-8")

    calendar = load_calendar(path)

    assert calendar.state(Exchange.NSE, ist(date(2026, 11, 8), 18, 30)).is_open
    assert calendar.state(Exchange.MCX, ist(date(2026, 3, 3), 18)).is_open
    assert calendar.broker("kite").mis_entry_margin == timedelta(minutes=5)


def test_a_syntax_error_names_its_line() -> None:
    text = VALID.replace('name = "Holi"', 'name = "Holi')

    error = refused(text)

    assert error.line == line_of(text, 'name = "Holi')
    assert str(error).startswith(f"line {error.line}: not valid TOML")


def test_an_unknown_key_names_its_path_and_line() -> None:
    text = VALID.replace('closed = ["NSE", "BSE", "NFO", "BFO"]', 'closd = ["NSE", "BSE"]')

    error = refused(text)

    assert error.key == "holidays[1].closd"
    assert error.line == line_of(text, "closd")
    assert str(error) == (
        f"line {error.line}: holidays[1].closd: unknown key "
        "(expected one of: closed, date, name, partial)"
    )


def test_an_unknown_exchange_in_a_holiday() -> None:
    text = VALID.replace('closed = ["NSE", "BSE", "NFO", "BFO", "MCX"]', 'closed = ["NSE", "NYSE"]')

    error = refused(text)

    assert error.key == "holidays[0].closed[1]"
    assert error.line == line_of(text, '"NYSE"')
    assert "must be one of NSE, BSE, NFO, BFO, MCX, not 'NYSE'" in str(error)


def test_a_session_that_ends_before_it_starts_names_the_array_item() -> None:
    text = VALID.replace(
        '{ phase = "OPEN", start = 09:15:00, end = 15:30:00 },',
        '{ phase = "OPEN", start = 09:15:00, end = 09:10:00 },',
    )

    error = refused(text)

    assert error.key == "exchanges.NSE.sessions[1].end"
    assert error.line == line_of(text, "end = 09:10:00")
    assert "is not after start 09:15:00" in error.reason


def test_overlapping_sessions_are_refused() -> None:
    text = VALID.replace("start = 09:00:00, end = 09:08:00", "start = 09:00:00, end = 09:20:00")

    error = refused(text)

    assert error.key == "exchanges.NSE.sessions[1].start"
    assert "without overlaps" in error.reason


def test_an_exchange_without_an_open_session_is_refused() -> None:
    text = VALID.replace(
        'sessions = [{ phase = "OPEN", start = 09:15:00, end = 15:30:00 }]\n\n[exchanges.NFO]',
        'sessions = [{ phase = "PRE_OPEN", start = 09:00:00, end = 09:08:00 }]\n\n[exchanges.NFO]',
    )

    error = refused(text)

    assert error.key == "exchanges.BSE.sessions"
    assert "no OPEN session" in error.reason


def test_a_missing_exchange_is_refused() -> None:
    start = VALID.index("[exchanges.BFO]")
    text = VALID[:start] + VALID[VALID.index("[exchanges.MCX]") :]

    error = refused(text)

    assert error.key == "exchanges"
    assert error.reason == "lacks the key 'BFO'"


def test_a_date_written_as_text_is_refused() -> None:
    text = VALID.replace("date = 2026-01-26", 'date = "2026-01-26"')

    error = refused(text)

    assert error.key == "holidays[0].date"
    assert error.line == line_of(text, 'date = "2026-01-26"')
    assert "must be a date like 2026-01-26" in error.reason


def test_a_holiday_outside_the_listed_years_is_refused() -> None:
    text = VALID.replace("date = 2026-03-03", "date = 2027-03-22")

    error = refused(text)

    assert error.key == "holidays[1].date"
    assert "2027 is not in meta.holiday_years" in error.reason


def test_two_holidays_on_one_day_for_one_exchange_are_refused() -> None:
    text = VALID.replace("date = 2026-03-03", "date = 2026-01-26")

    error = refused(text)

    assert error.key == "holidays[1].date"
    assert "NSE already has a holiday on 2026-01-26: Republic Day" in error.reason


def test_an_exchange_both_closed_and_partial_is_refused() -> None:
    text = VALID.replace('closed = ["NSE", "BSE", "NFO", "BFO"]', 'closed = ["NSE", "MCX"]')

    error = refused(text)

    assert error.key == "holidays[1].partial.MCX"
    assert error.line == line_of(text, "partial = { MCX")


def test_overlapping_dated_periods_are_refused() -> None:
    extra = (
        "\n[[exchanges.MCX.dated]]\nfirst_day = 2026-03-01\nlast_day = 2026-03-31\n"
        'sessions = [{ phase = "OPEN", start = 09:00:00, end = 23:30:00 }]\n'
    )
    text = VALID.replace("\n[[holidays]]", extra + "\n[[holidays]]", 1)

    error = refused(text)

    assert error.key == "exchanges.MCX.dated[1]"
    assert error.line == line_of(text, "[[exchanges.MCX.dated]]", occurrence=2)
    assert "overlaps the period 2026-01-05 to 2026-03-06" in error.reason


def test_a_square_off_needs_exactly_one_rule() -> None:
    text = VALID.replace(
        "equity = { at = 15:20:00 }", "equity = { at = 15:20:00, minutes_before_close = 10 }"
    )

    error = refused(text)

    assert error.key == "brokers.kite.square_off.equity"
    assert error.line == line_of(text, "minutes_before_close = 10")
    assert "exactly one of `at` and `minutes_before_close`" in error.reason


def test_an_amo_window_needs_its_start() -> None:
    text = VALID.replace("opens_at_close = true, closes", "closes")

    error = refused(text)

    assert error.key == "brokers.kite.amo.commodity"
    assert "exactly one of `opens` and `opens_at_close = true`" in error.reason


def test_an_unknown_segment_is_refused() -> None:
    text = VALID.replace("equity = { opens = 16:00:00", "currency = { opens = 16:00:00")

    error = refused(text)

    assert error.key == "brokers.kite.amo.currency"
    assert "expected one of: commodity, equity, fno" in error.reason


def test_a_margin_out_of_range_is_refused() -> None:
    text = VALID.replace('label = "Zerodha"', 'label = "Zerodha"\nmis_entry_margin_minutes = -1')

    error = refused(text)

    assert error.key == "brokers.kite.mis_entry_margin_minutes"
    assert error.reason == "must be from 0 to 120, not -1"


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_bytes(b"\xff\xfe[meta]\n")

    with pytest.raises(CalendarFileError, match="not UTF-8"):
        load_calendar(path)


def test_the_line_index_places_headers_keys_and_array_items() -> None:
    index = line_index(VALID)

    assert index["exchanges.MCX.dated[0]"] == line_of(VALID, "[[exchanges.MCX.dated]]")
    assert index["exchanges.NSE.sessions[0]"] == line_of(VALID, 'phase = "PRE_OPEN"')
    assert index["holidays[1].name"] == line_of(VALID, 'name = "Holi"')
    assert index["special_sessions[0].sessions[0]"] == line_of(VALID, "start = 18:00:00")
    assert index["brokers.kite.amo.commodity"] == line_of(VALID, "opens_at_close")
