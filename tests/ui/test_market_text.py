"""The few words the status bar and the positions panel use for the market's clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from trader_gui.domain.enums import Exchange
from trader_gui.domain.market_time import IST
from trader_gui.persistence.calendar_file import load_bundled_calendar
from trader_gui.ui.market_text import market_line, square_off_countdown

CALENDAR = load_bundled_calendar()


def ist(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=IST)


@pytest.mark.parametrize(
    ("exchange", "moment", "line"),
    [
        (Exchange.NSE, ist(25, 9, 3), "NSE pre-open · opens 09:15"),
        (Exchange.NSE, ist(25, 15, 45), "NSE closing session until 16:00"),
        (Exchange.NSE, ist(25, 17), "NSE closed · opens Thu 09:15"),
        (Exchange.NFO, ist(25, 8), "NFO closed · opens 09:15"),
        (Exchange.MCX, ist(25, 23, 50), "MCX open · closes 23:55"),
        (Exchange.NSE, ist(10, 12), "NSE holiday: Diwali Balipratipada · opens Wed 09:15"),
    ],
)
def test_market_line(exchange: Exchange, moment: datetime, line: str) -> None:
    assert market_line(CALENDAR.state(exchange, moment), moment) == line


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (ist(25, 13, 19, 59), ("auto square-off in 2:00:01", "ok")),
        (ist(25, 15, 5), ("auto square-off in 15:00", "ok")),
        (ist(25, 15, 5, 1), ("auto square-off in 14:59", "warn")),
        (ist(25, 15, 15, 1), ("auto square-off in 04:59", "bad")),
        (ist(25, 15, 20), ("auto square-off due at 15:20", "bad")),
    ],
)
def test_square_off_countdown(now: datetime, expected: tuple[str, str]) -> None:
    assert square_off_countdown(ist(25, 15, 20), now) == expected
